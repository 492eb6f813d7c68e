import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { HubContext } from '../../context';
import type { ChatSession } from '../../core/chat';
import { HttpError } from '../../http/errors';
import { requestCode, verifyCode, type CodeRequest } from '../../verification/chat-verification';
import type { ChatRequest } from './chat-router';

/** "123 456" as typed from a mail is 123456; anything but six digits is no try at all. */
const verifyBody = z.strictObject({ code: z.string().transform((code) => code.replace(/\s+/g, '')).pipe(z.string().regex(/^\d{6}$/, 'a code is 6 digits')) });

/**
 * What session creation and a proof tell the chat about the next code: where it went, or why
 * none went (`verificationRefused`: the chat works on regardless, on a thread of its own).
 */
export function verificationFields(request: CodeRequest): Record<string, unknown> {
  if (request.outcome === 'sent') return { verification: { kind: request.to.kind, to: request.to.value } };
  if (request.outcome === 'nothing_to_prove') return { verification: null };
  const retryAfter = request.retryAfterMs === undefined ? {} : { retryAfter: Math.ceil(request.retryAfterMs / 1000) };
  return { verification: null, verificationRefused: { kind: request.to.kind, to: request.to.value, reason: request.reason, ...retryAfter } };
}

/**
 * The chat's proof of a typed address (SPEC "Proof"): `POST /:id/verify {code}` checks the code
 * sent to it, `POST /:id/verification` sends a new one (the same hourly limit).
 */
export function chatVerificationRouter(ctx: HubContext, authorised: RequestHandler<{ id: string }>): Router {
  const router = Router();

  router.post('/:id/verify', authorised, async (req: ChatRequest, res) => {
    const { code } = verifyBody.parse(req.body ?? {});
    const result = await verifyCode(ctx, { sessionId: (req.chatSession as ChatSession).id, typed: code });
    switch (result.outcome) {
      case 'proven':
        return void res.json({ verified: { kind: result.verified.kind, value: result.verified.value }, reference: result.reference, ...verificationFields(result.next) });
      case 'wrong_code':
        throw new HttpError(400, 'wrong_code', `that is not the code; ${result.triesLeft} ${result.triesLeft === 1 ? 'try' : 'tries'} left`);
      case 'code_expired':
        throw new HttpError(400, 'code_expired', 'this code has expired; ask for a new one');
      case 'too_many_tries':
        throw new HttpError(429, 'too_many_tries', 'too many wrong codes; ask for a new one');
      case 'no_code':
        throw new HttpError(409, 'no_code', 'no code is waiting to be typed; ask for one');
    }
  });

  router.post('/:id/verification', authorised, async (req: ChatRequest, res) => {
    const request = await requestCode(ctx, req.chatSession as ChatSession);
    if (request.outcome === 'sent') return void res.status(201).json(verificationFields(request));
    throw refusal(res, request);
  });

  return router;
}

function refusal(res: Response, request: Exclude<CodeRequest, { outcome: 'sent' }>): HttpError {
  if (request.outcome === 'nothing_to_prove') return new HttpError(409, 'nothing_to_verify', 'every address given in this chat is confirmed');
  switch (request.reason) {
    case 'rate_limited':
      res.set('retry-after', String(Math.ceil((request.retryAfterMs ?? 0) / 1000)));
      return new HttpError(429, 'rate_limited', 'at most 3 codes an hour are sent to an address or a chat; try again later');
    case 'opted_out':
      return new HttpError(409, 'opted_out', `${request.to.value} has opted out of our text messages (STOP); text START from it to get codes again`);
    case 'send_failed':
      return new HttpError(503, 'send_failed', 'the code could not be sent just now; try again in a moment');
  }
}
