import type { Channel } from './contact';
import type { DbOrTrx } from './db';

/** References grow with every message; mail clients need the first and the newest few. */
const MAX_REFERENCES = 20;

/**
 * What a mail to the thread's customer refers to, so her mail client keeps one conversation:
 * In-Reply-To her newest mail, References the thread's mail oldest first (the first kept, then the
 * newest). Nothing for a message without a thread.
 */
export async function mailThreading(db: DbOrTrx, threadId: number | null): Promise<{ inReplyTo?: string; references?: string[] }> {
  if (threadId === null) return {};
  const rows: { message_id: string; direction: string }[] = await db('contacts')
    .where({ thread_id: threadId, channel: 'email' satisfies Channel })
    .whereNotNull('message_id')
    .orderBy([{ column: 'at' }, { column: 'id' }])
    .select('message_id', 'direction');
  const ids = rows.map((row) => row.message_id);
  const references = ids.length > MAX_REFERENCES ? [ids[0] as string, ...ids.slice(-(MAX_REFERENCES - 1))] : ids;
  const inReplyTo = rows.filter((row) => row.direction === 'inbound').at(-1)?.message_id;
  return { inReplyTo, references: references.length > 0 ? references : undefined };
}
