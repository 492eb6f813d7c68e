import type { Channel } from './contact';
import type { DbOrTrx } from './db';
import { isSmsOptedOut, recordSmsParts, recordSuppressed, smsPartsOf } from './delivery';
import { DomainError } from './errors';
import { mailThreading } from './mail-threading';
import { recordSend } from './send-ledger';

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

/** A message to a thread's customer, recorded on the thread as an outbound contact. */
export interface ThreadMessage extends OutboundMessage {
  threadId: number;
  /** When the promise it keeps falls due (an acknowledgement's deadline): the team's leads hear when it is not sent by then. */
  dueAt?: number;
  /** A provider that fails is tried until then (default by purpose, see GIVE_UP_AFTER_MS); a reminder is no use after its callback. */
  giveUpAt?: number;
}

/** What a provider is given: the message, and what stays the same on every attempt. */
export interface ProviderMessage extends OutboundMessage {
  /** An email's Message-ID, chosen once: a resend is the same mail to the receiver. */
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
}

/** One message as the provider took it (a text over 1600 characters goes as several). */
export interface SentPart {
  /** MessageSid, SMTP Message-ID. */
  providerId: string;
  part: number;
  parts: number;
  encoding?: 'GSM-7' | 'UCS-2';
  segments?: number;
}

export interface SendReceipt {
  /** The provider's id for the message (outbox row, chat event). */
  providerId: string;
  /** For email: our Message-ID, so a customer's reply finds the thread. */
  messageId?: string;
}

/** Writes the message into the store itself (the outbox, a chat's stream): it commits or rolls back with the caller. */
export interface StoreSender {
  readonly via: 'store';
  send(db: DbOrTrx, message: OutboundMessage, now: number): Promise<SendReceipt>;
}

/**
 * A provider over the network (Twilio, SMTP). It cannot take part in a transaction, so the hub
 * records the send first and the outbound-send job calls it (src/outbound/). It throws
 * SendFailure when the provider refuses or cannot be reached.
 */
export interface ProviderSender {
  readonly via: 'provider';
  /** An id fixed before the first attempt and kept for every retry (an email's Message-ID); none when the provider gives one. */
  assignMessageId?(): string;
  /** Sends what is not among `alreadySent`; returns every part, those included. */
  send(message: ProviderMessage, alreadySent: readonly SentPart[]): Promise<SentPart[]>;
  /**
   * What the provider took since `since` that may be this message (one of its parts, word for
   * word): possibly more than one per part, when the same words went out before. Null when the
   * provider cannot tell (SMTP).
   */
  findSent(message: ProviderMessage, since: number): Promise<SentPart[] | null>;
}

export type ChannelSender = StoreSender | ProviderSender;

/** The sender per channel; `sendNow` tries a recorded send at once instead of at the job worker's next poll (an agent waits for her reply). */
export interface Senders {
  get(channel: Channel): ChannelSender | undefined;
  sendNow?(sendIds: readonly number[]): Promise<void>;
}

export interface Delivery {
  /** Withheld on purpose (the number opted out): nothing goes out and no contact is recorded. */
  suppressed: boolean;
  /** A provider's send, recorded in the caller's transaction; it goes out after the commit (src/outbound/). */
  sendId?: number;
}

const HOUR = 3_600_000;
/**
 * How long a provider that fails is tried, by what the message is for, when the caller names no
 * time: a day, then the send fails visibly. A one-time code is asked for again by the chat instead.
 */
const GIVE_UP_AFTER_MS: Record<OutboundPurpose, number> = { acknowledgement: 24 * HOUR, reply: 24 * HOUR, satisfaction: 24 * HOUR, callback: 24 * HOUR, verification: 0 };

/**
 * Sends a message to a thread's customer. A store sender (outbox, chat) writes it in the caller's
 * transaction, and the outbound contact with it. A provider's send is recorded instead; it goes
 * out once the caller commits, exactly once, and its contact is recorded when the provider took it.
 */
export async function deliver(db: DbOrTrx, senders: Senders, message: ThreadMessage, now: number): Promise<Delivery> {
  if (await withheldForConsent(db, message, now)) return { suppressed: true };
  const sender = senderFor(senders, message.channel);
  if (sender.via === 'store') {
    await recordOutboundContact(db, { message, receipt: await sender.send(db, message, now), at: now });
    return { suppressed: false };
  }
  const threading = message.channel === 'email' ? await mailThreading(db, message.threadId) : {};
  const sendId = await recordSend(db, {
    kind: 'message',
    channel: message.channel,
    recipient: message.to,
    purpose: message.purpose,
    threadId: message.threadId,
    content: { subject: message.subject, body: message.body, html: message.html, ...threading } satisfies MessageContent,
    messageId: sender.assignMessageId?.(),
    dueAt: message.dueAt,
    giveUpAt: message.giveUpAt ?? now + GIVE_UP_AFTER_MS[message.purpose],
    now,
  });
  return { suppressed: false, sendId };
}

/** What a recorded message carries besides its address (outbound_sends.content). */
export interface MessageContent {
  subject?: string;
  body: string;
  html?: string;
  inReplyTo?: string;
  references?: string[];
}

/**
 * A message that belongs to no thread (a one-time code) goes straight to its sender while the
 * chat waits: a code that could not be sent is asked for again, so it is not worth a send record.
 * Its SMS parts are kept, so Twilio's delivery reports about it are known.
 */
export async function sendUnrecorded(db: DbOrTrx, senders: Senders, message: OutboundMessage, now: number): Promise<{ suppressed: boolean }> {
  if (await withheldForConsent(db, message, now)) return { suppressed: true };
  const sender = senderFor(senders, message.channel);
  if (sender.via === 'store') {
    await sender.send(db, message, now);
    return { suppressed: false };
  }
  const parts = await sender.send({ ...message, messageId: sender.assignMessageId?.() }, []);
  const first = parts[0];
  if (message.channel === 'sms' && first) await recordSmsParts(db, { threadId: message.threadId, to: message.to, contactProviderId: first.providerId, parts: smsPartsOf(parts), at: now });
  return { suppressed: false };
}

/**
 * Nothing goes to a number that texted STOP, whichever provider sends. A message for a thread is
 * skipped with an `sms-suppressed` event (a one-time code has no thread: its caller is told); an
 * agent's reply is refused (409), so the agent knows to use another channel. Asked again right
 * before a recorded send goes out: the number may have opted out in between.
 */
export async function withheldForConsent(db: DbOrTrx, message: OutboundMessage, now: number): Promise<boolean> {
  if (message.channel !== 'sms' || !(await isSmsOptedOut(db, message.to))) return false;
  if (message.purpose === 'reply') throw new DomainError('conflict', `${message.to} opted out of SMS (STOP); reply on another channel`);
  if (message.threadId !== null) await recordSuppressed(db, { threadId: message.threadId, to: message.to, purpose: message.purpose, at: now });
  return true;
}

/** The message on its thread, as an outbound contact: at once for a store sender, once the provider took it otherwise. */
export async function recordOutboundContact(db: DbOrTrx, args: { message: ThreadMessage; receipt: SendReceipt; at: number }): Promise<void> {
  const { message, receipt } = args;
  await db('contacts').insert({
    thread_id: message.threadId,
    channel: message.channel,
    direction: 'outbound',
    provider_id: receipt.providerId,
    message_id: receipt.messageId ?? null,
    body: message.subject ? `${message.subject}\n\n${message.body}` : message.body,
    at: args.at,
  });
}

function senderFor(senders: Senders, channel: Channel): ChannelSender {
  const sender = senders.get(channel);
  if (!sender) throw new Error(`no sender for channel ${channel}`);
  return sender;
}
