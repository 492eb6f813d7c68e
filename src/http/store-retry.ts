import { setTimeout as sleep } from 'node:timers/promises';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { isStoreUnavailable } from '../core/db';

/**
 * Pauses before each new try of a webhook the store failed: about 4 s in all, well inside the 15 s
 * Twilio waits. A PostgreSQL backend terminated under a request is replaced by the pool at once.
 */
const PAUSES_MS = [100, 400, 1_000, 2_500];

type Outcome = { answered: true } | { answered: false; error?: unknown };

/**
 * Runs `handler` again when it failed because of the store (a lost connection, a busy SQLite)
 * before anything was answered, so the provider gets its answer instead of a 500 and a retry
 * later. Only for handlers that may run twice: webhooks are, since providers retry them anyway
 * (contacts are stored once per provider id).
 */
export function retryStoreFaults(handler: RequestHandler, logger: Logger): RequestHandler {
  return async (req, res, next) => {
    for (let attempt = 0; ; attempt++) {
      const outcome = await runOnce(handler, req, res);
      if (outcome.answered) return;
      const { error } = outcome;
      const pause = PAUSES_MS[attempt];
      if (error === undefined || pause === undefined || res.headersSent || !isStoreUnavailable(error)) return next(error);
      logger.warn({ err: error, path: req.path, attempt: attempt + 1 }, 'the store failed a webhook; trying again');
      await sleep(pause);
    }
  };
}

function runOnce(handler: RequestHandler, req: Request, res: Response): Promise<Outcome> {
  return new Promise((resolve) => {
    const answered = () => resolve({ answered: true });
    res.once('finish', answered);
    res.once('close', answered);
    void handler(req, res, (error?: unknown) => {
      res.off('finish', answered);
      res.off('close', answered);
      resolve({ answered: false, error });
    });
  });
}
