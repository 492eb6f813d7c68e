import type { Channel } from './contact';
import type { DbOrTrx } from './db';
import type { IdentityKind } from './identity';

/** Which kind of address a channel delivers to. A call is answered later by SMS, to the same number. */
export const ADDRESS_KIND: Record<Channel, IdentityKind> = { voice: 'phone', sms: 'phone', email: 'email', chat: 'chat' };

/**
 * The one place that decides where a message to a thread's customer goes (acknowledgements,
 * replies, callback notices and calls, satisfaction, booking and status links): the newest
 * proven address of the kind asked for, or undefined when the customer has none. "Newest" is the
 * later of when the address was proven and when the customer last wrote from it on this thread,
 * so her own number wins until an agent confirms a new one, and then that one does.
 * A claim is never an answer.
 */
export async function recipientFor(db: DbOrTrx, thread: { id: number; customer_id: number }, kind: IdentityKind): Promise<string | undefined> {
  const proven: { value: string; proven_at: number | null; created_at: number }[] = await db('identities')
    .where({ customer_id: thread.customer_id, kind })
    .orderBy('id')
    .select('value', 'proven_at', 'created_at');
  if (proven.length <= 1) return proven[0]?.value;
  const lastUsed: { from_value: string; at: number }[] = await db('contacts')
    .where({ thread_id: thread.id, direction: 'inbound', from_kind: kind, verified: true })
    .groupBy('from_value')
    .select('from_value', db.raw('max(at) as at'));
  const usedAt = new Map(lastUsed.map((row) => [row.from_value, Number(row.at)]));
  const recency = (address: (typeof proven)[number]) => Math.max(Number(address.proven_at ?? address.created_at), usedAt.get(address.value) ?? 0);
  return proven.reduce((newest, address) => (recency(address) >= recency(newest) ? address : newest)).value;
}

/** The channel the customer last used from a proven address on this thread: where a reply goes by default. */
export async function lastProvenChannel(db: DbOrTrx, threadId: number): Promise<Channel | undefined> {
  const last = await db('contacts')
    .where({ thread_id: threadId, direction: 'inbound', verified: true })
    .orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }])
    .first('channel');
  return last?.channel;
}
