import { Router } from 'express';
import { z } from 'zod';
import type { HubContext } from '../../context';
import { mergeCustomers, undoMerge } from '../../core/merge';

const mergeBody = z.strictObject({
  fromReference: z.string().min(1).max(20),
  intoReference: z.string().min(1).max(20),
  by: z.string().trim().min(1).max(100).optional(),
});
const undoBody = z.strictObject({ by: z.string().trim().min(1).max(100).optional() });
const mergeId = z.coerce.number().int().positive();

/** Customers are named by one of their threads' references: that is what agents have in hand. */
export function mergesRouter(ctx: HubContext): Router {
  const router = Router();
  const timezone = ctx.config.timezone;
  router.post('/', async (req, res) => {
    const body = mergeBody.parse(req.body);
    res.status(201).json({ merge: await mergeCustomers(ctx.db, { ...body, now: ctx.clock(), timezone }) });
  });
  router.post('/:id/undo', async (req, res) => {
    const body = undoBody.parse(req.body ?? {});
    res.json({ merge: await undoMerge(ctx.db, { mergeId: mergeId.parse(req.params.id), by: body.by, now: ctx.clock(), timezone }) });
  });
  return router;
}
