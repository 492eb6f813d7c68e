import type { Knex } from 'knex';
import { continueChatOn, type ChatSession } from '../core/chat';
import type { Identity } from '../core/identity';
import { ownerOf, proveAddress } from '../core/proof';
import { recordEvent } from '../core/timeline';
import type { CodeAddress } from './codes';

interface ThreadRow {
  id: number;
  reference: string;
}

/**
 * What a correct code for `address` does to a chat session, in the caller's transaction. The
 * chat's customer (C_S, who owns the session's chat identity once it sent a message) and the
 * address's owner (C_A):
 * - nobody owns the address: it becomes C_S's, proven by the code (a customer with the
 *   session's name and language is made when the chat has none yet);
 * - C_A owns it: the chat is C_A's from now on. A chat that already opened a thread of its own
 *   continues on C_A's one open thread (its own stays open, for an agent to close or merge), or,
 *   when C_A has none or several, takes its thread along to C_A.
 * Returns the reference of the thread the chat continues on, or null before its first message.
 */
export async function adoptProvenAddress(trx: Knex.Transaction, args: { session: ChatSession; address: CodeAddress; now: number }): Promise<{ reference: string | null }> {
  const { session, address, now } = args;
  const chat: Identity = { kind: 'chat', value: session.id };
  const chatOwner = await ownerOf(trx, chat);
  const addressOwner = await ownerOf(trx, address);
  const ownThread: ThreadRow | undefined =
    chatOwner === undefined || session.threadId === null ? undefined : await trx('threads').where({ id: session.threadId, customer_id: chatOwner, status: 'open' }).first('id', 'reference');

  if (addressOwner === undefined) {
    const customerId = chatOwner ?? (await chatCustomer(trx, session, now));
    await proveAddress(trx, { customerId, identity: address, proof: 'code', threadId: ownThread?.id, now });
    return { reference: ownThread?.reference ?? null };
  }
  if (addressOwner === chatOwner) return { reference: ownThread?.reference ?? null };

  if (chatOwner === undefined) {
    await proveAddress(trx, { customerId: addressOwner, identity: chat, proof: 'channel', now });
  } else {
    // Proven now, so the chat is her newest chat address (recipientFor prefers the newest).
    await trx('identities').where(chat).update({ customer_id: addressOwner, proven_at: now });
    // Its typed address was a claim of the chat's customer; it is proven, and someone else's.
    await trx('identity_claims').where({ customer_id: chatOwner, kind: address.kind, value: address.value }).delete();
  }
  if (!ownThread) return { reference: null };

  const open: ThreadRow[] = await trx('threads').where({ customer_id: addressOwner, status: 'open' }).limit(2).select('id', 'reference');
  const event = { session: session.id, kind: address.kind, value: address.value };
  const [theirs] = open;
  if (open.length === 1 && theirs) {
    await continueChatOn(trx, { sessionId: session.id, threadId: theirs.id });
    for (const thread of [theirs, ownThread]) {
      await recordEvent(trx, { threadId: thread.id, kind: 'chat-verified', at: now, data: { ...event, reference: theirs.reference, from: ownThread.reference } });
    }
    return { reference: theirs.reference };
  }
  await trx('threads').where({ id: ownThread.id }).update({ customer_id: addressOwner, updated_at: now });
  await recordEvent(trx, { threadId: ownThread.id, kind: 'chat-verified', at: now, data: { ...event, reference: ownThread.reference } });
  return { reference: ownThread.reference };
}

/** A chat that proves an address before its first message: its customer is made now, from the chat's own details. */
async function chatCustomer(trx: Knex.Transaction, session: ChatSession, now: number): Promise<number> {
  const [row] = await trx('customers').insert({ name: session.name, language: session.language, created_at: now }).returning('id');
  const customerId = (row as { id: number }).id;
  await proveAddress(trx, { customerId, identity: { kind: 'chat', value: session.id }, proof: 'channel', now });
  return customerId;
}
