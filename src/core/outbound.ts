import type { DbOrTrx } from './db';
import type { Channel } from './contact';

/** `verification`: a one-time code that proves an address (no thread: see src/verification/). */
export type OutboundPurpose = 'acknowledgement' | 'reply' | 'satisfaction' | 'callback' | 'verification';

export interface OutboundMessage {
  /** Null for a message that belongs to no thread (a one-time code). */
  threadId: number | null;
  channel: Channel;
  /** E.164 phone, email address or chat session id. */
  to: string;
  subject?: string;
  body: string;
  /** Email only: an HTML alternative of `body` (which stays the plain-text part, and what the thread records). */
  html?: string;
  purpose: OutboundPurpose;
}

export interface SendReceipt {
  /** The provider's id for the message (MessageSid, SMTP Message-ID, outbox row). */
  providerId: string;
  /** Withheld on purpose (the customer opted out): nothing went out, so no contact is recorded. */
  suppressed?: boolean;
  /** For email: our Message-ID, so a customer's reply finds the thread. */
  messageId?: string;
}

/** One provider for one channel. Senders write inside the caller's transaction where they can. */
export interface ChannelSender {
  send(db: DbOrTrx, message: OutboundMessage, now: number): Promise<SendReceipt>;
}

export type Senders = ReadonlyMap<Channel, ChannelSender>;

/** A message to a thread's customer, recorded on the thread as an outbound contact. */
export type ThreadMessage = OutboundMessage & { threadId: number };

/** Sends a message and records it as an outbound contact on its thread, unless the sender withheld it. */
export async function deliver(db: DbOrTrx, senders: Senders, message: ThreadMessage, now: number): Promise<SendReceipt> {
  const sender = senders.get(message.channel);
  if (!sender) throw new Error(`no sender for channel ${message.channel}`);
  const receipt = await sender.send(db, message, now);
  if (receipt.suppressed) return receipt;
  await db('contacts').insert({
    thread_id: message.threadId,
    channel: message.channel,
    direction: 'outbound',
    provider_id: receipt.providerId,
    message_id: receipt.messageId ?? null,
    body: message.subject ? `${message.subject}\n\n${message.body}` : message.body,
    at: now,
  });
  return receipt;
}
