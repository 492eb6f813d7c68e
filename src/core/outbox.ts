import type { DbOrTrx } from './db';
import { toIso } from './format-time';

export interface OutboxMessage {
  id: number;
  channel: string;
  to: string;
  subject?: string;
  body: string;
  purpose: string;
  reference?: string;
  at: string;
}

/** What the hub recorded instead of sending (no provider configured), newest first: for GET /api/outbox and the console. */
export async function recentOutbox(db: DbOrTrx, args: { limit: number; timezone: string }): Promise<OutboxMessage[]> {
  const rows = await db('outbox')
    .leftJoin('threads', 'threads.id', 'outbox.thread_id')
    .orderBy('outbox.id', 'desc')
    .limit(args.limit)
    .select('outbox.id', 'outbox.channel', 'outbox.recipient', 'outbox.subject', 'outbox.body', 'outbox.purpose', 'outbox.at', 'threads.reference');
  return rows.map((row) => ({
    id: row.id,
    channel: row.channel,
    to: row.recipient,
    subject: row.subject ?? undefined,
    body: row.body,
    purpose: row.purpose,
    reference: row.reference ?? undefined,
    at: toIso(row.at, args.timezone),
  }));
}
