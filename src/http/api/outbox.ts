import { Router } from 'express';
import { z } from 'zod';
import type { HubContext } from '../../context';
import { toIso } from '../../core/format-time';

const outboxQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });

/** What the hub would have sent, for channels without a provider configured; newest first. */
export function outboxRouter(ctx: HubContext): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const { limit } = outboxQuery.parse(req.query);
    const rows = await ctx.db('outbox')
      .leftJoin('threads', 'threads.id', 'outbox.thread_id')
      .orderBy('outbox.id', 'desc')
      .limit(limit)
      .select('outbox.id', 'outbox.channel', 'outbox.recipient', 'outbox.subject', 'outbox.body', 'outbox.purpose', 'outbox.at', 'threads.reference');
    res.json({
      messages: rows.map((row) => ({
        id: row.id,
        channel: row.channel,
        to: row.recipient,
        subject: row.subject ?? undefined,
        body: row.body,
        purpose: row.purpose,
        reference: row.reference ?? undefined,
        at: toIso(row.at, ctx.config.timezone),
      })),
    });
  });
  return router;
}
