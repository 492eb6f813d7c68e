import { Router } from 'express';
import { z } from 'zod';
import { bookCallback, cancelCallback, findSlots, viewCallback } from '../../callbacks/booking';
import { rosterFor } from '../../callbacks/roster';
import type { HubContext } from '../../context';
import { threadByReference } from '../../core/threads';
import { toIso } from '../../core/format-time';

/** An instant with its offset ("2026-11-24T14:00:00+01:00" or "...Z"): a local time without one would be ambiguous. */
const instant = z.iso.datetime({ offset: true }).transform((value) => Date.parse(value));

const slotsQuery = z.object({
  reference: z.string().trim().min(1).max(40).optional(),
  from: instant.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(3),
});

const bookBody = z.strictObject({ start: instant });
const callbackId = z.coerce.number().int().positive();

/** GET /api/callbacks/slots: `[{start, end}]`, the next times an agent of the thread's team (or the default team) is free. */
export function callbackSlotsRouter(ctx: HubContext): Router {
  const router = Router();
  const roster = rosterFor(ctx.config);
  const { timezone } = ctx.config;

  router.get('/slots', async (req, res) => {
    const query = slotsQuery.parse(req.query);
    const thread = query.reference ? await threadByReference(ctx.db, query.reference) : undefined;
    const teamId = thread?.team_id ?? roster.defaultTeam;
    const slots = await findSlots(ctx.db, roster, { teamId, now: ctx.clock(), from: query.from, limit: query.limit, ignoreThreadId: thread?.id });
    res.json(slots.map((slot) => ({ start: toIso(slot.start, timezone), end: toIso(slot.end, timezone) })));
  });

  return router;
}

/**
 * Under /api/threads/:reference/callbacks:
 *   POST {start}   books (or moves) the thread's callback: 201 {callback}; 409 when not free.
 *   DELETE /:id    cancels it: 200 {callback} with status "cancelled"; 409 when not booked.
 */
export function threadCallbacksRouter(ctx: HubContext): Router {
  const router = Router({ mergeParams: true });
  const roster = rosterFor(ctx.config);
  const { timezone } = ctx.config;
  const referenceOf = (params: unknown): string => (params as { reference: string }).reference;

  router.post('/', async (req, res) => {
    const body = bookBody.parse(req.body);
    const booked = await bookCallback(ctx.db, roster, { reference: referenceOf(req.params), start: body.start, now: ctx.clock(), via: 'api' });
    res.status(201).json({ callback: viewCallback(booked, timezone) });
  });

  router.delete('/:id', async (req, res) => {
    const id = callbackId.parse(req.params.id);
    const cancelled = await cancelCallback(ctx.db, { reference: referenceOf(req.params), id, now: ctx.clock(), timezone, by: 'agent' });
    res.json({ callback: viewCallback(cancelled, timezone) });
  });

  return router;
}
