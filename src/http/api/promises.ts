import { Router } from 'express';
import { z } from 'zod';
import { PRIORITIES } from '../../config/hub-config';
import type { HubContext } from '../../context';
import { AGENT_PROMISE_TEXT_MAX, keepAgentPromise, makeAgentPromise } from '../../promises/agent-promises';

const instant = z.iso.datetime({ offset: true }).transform((value) => Date.parse(value));
const agent = z.string().trim().min(1).max(100);
const promiseBody = z.strictObject({ agent, text: z.string().trim().min(1).max(AGENT_PROMISE_TEXT_MAX), due: instant });
const keepBody = z.strictObject({ agent });
const promiseId = z.coerce.number().int().positive();

/**
 * Under /api/threads/:reference/promises:
 *   POST {agent, text, due}     an agent's own promise: 201 {promise}
 *   POST /:id/keep {agent}      kept: 200 {promise}; 409 when it was kept or cancelled already
 */
export function threadPromisesRouter(ctx: HubContext): Router {
  const router = Router({ mergeParams: true });
  const referenceOf = (params: unknown): string => (params as { reference: string }).reference;

  router.post('/', async (req, res) => {
    const body = promiseBody.parse(req.body);
    res.status(201).json({ promise: await makeAgentPromise(ctx.db, ctx.sla, { reference: referenceOf(req.params), ...body, now: ctx.clock() }) });
  });

  router.post('/:id/keep', async (req, res) => {
    const { agent: by } = keepBody.parse(req.body);
    res.json({ promise: await keepAgentPromise(ctx.db, ctx.config, { reference: referenceOf(req.params), id: promiseId.parse(req.params.id), agent: by, now: ctx.clock() }) });
  });

  return router;
}

/** POST /api/threads/:reference/category {category, priority?, agent}. */
export const categoryBody = z.strictObject({ category: z.string().trim().min(1).max(100), priority: z.enum(PRIORITIES).optional(), agent });
