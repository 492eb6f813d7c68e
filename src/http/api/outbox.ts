import { Router } from 'express';
import { z } from 'zod';
import type { HubContext } from '../../context';
import { recentOutbox } from '../../core/outbox';

const outboxQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });

/** What the hub would have sent, for channels without a provider configured; newest first. */
export function outboxRouter(ctx: HubContext): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const { limit } = outboxQuery.parse(req.query);
    res.json({ messages: await recentOutbox(ctx.db, { limit, timezone: ctx.config.timezone }) });
  });
  return router;
}
