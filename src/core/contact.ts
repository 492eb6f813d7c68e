import type { Identity } from './identity';

/** How an address came to be named without proof (see proof.ts). */
export type ClaimVia = 'reference' | 'email-text' | 'chat-form' | 'dmarc-fail' | 'reply-to' | 'before-proof';

/** An address named in a contact that the channel does not vouch for. */
export interface ClaimedIdentity extends Identity {
  via: ClaimVia;
}

export const CHANNELS = ['voice', 'sms', 'email', 'chat'] as const;
export type Channel = (typeof CHANNELS)[number];
export type Language = 'nl' | 'en';

/** What every channel adapter turns its provider's payload into. */
export interface InboundContact {
  channel: Channel;
  /** CallSid, MessageSid, Message-ID, chat message id: the same id twice is one contact. */
  providerId: string;
  /**
   * The address it came from; absent for a withheld caller ID. The channel proves it (Twilio signs
   * the number, mail we send reaches the address, a chat session is its own) unless
   * `unprovenBecause` says why not.
   */
  from?: Identity;
  /**
   * Why the channel cannot vouch for `from` here: an email whose DMARC check failed, or whose
   * answers go to a Reply-To other than its sender (a web form relays what was typed). `from`
   * is then only a claim.
   */
  unprovenBecause?: 'dmarc-fail' | 'reply-to';
  /** Addresses named in the contact (typed into a chat form, written in a mail): claims, never proof. */
  claimedIdentities?: ClaimedIdentity[];
  /** The thread this conversation is already on (a chat session's): it continues there while open and the sender's. */
  conversationThreadId?: number;
  name?: string;
  language?: Language;
  body: string;
  /** Email subject; searched for a reference like the body. */
  subject?: string;
  /** A reference keyed in on the phone keypad. */
  keyedReference?: string;
  /** Email Message-ID of this message, and the ids it replies to (In-Reply-To, then References). */
  messageId?: string;
  inReplyTo?: string[];
  category?: string;
  /** Files sent with it (email); one without `content` was over the size limit and is kept as metadata. */
  attachments?: InboundAttachment[];
  /**
   * Why no person wrote it (an out-of-office, a mailing list, a read receipt), and the signal that
   * said so ("X-Apple-Action: VACATION"): it is stored like any contact, and marked so, but never
   * acknowledged, so two automatic systems cannot answer each other forever (RFC 3834).
   */
  automatic?: { kind: string; signal: string };
  /** When the provider received it (epoch ms). */
  at: number;
  raw?: unknown;
}

/** Claims kept from one contact: a mail full of digit runs is no customer giving her number thousands of times. */
export const MAX_CLAIMS = 10;

/** Attachments above this are kept as name, type and size only, and the customer is told. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

export interface InboundAttachment {
  filename: string;
  contentType: string;
  size: number;
  content?: Buffer;
}

export type MatchedBy = 'reference' | 'reply-headers' | 'identity' | 'conversation';

export interface IngestResult {
  threadId: number;
  reference: string;
  customerId: number;
  contactId: number;
  /** joined: added to an open thread; opened: a new thread; duplicate: this provider id was already stored. */
  outcome: 'joined' | 'opened' | 'duplicate';
  matchedBy?: MatchedBy;
  /** Whether the hub has proof that the contact came from the thread's customer (see proof.ts). */
  verified: boolean;
  /** A new thread opened instead of joining, linked to the thread it would have joined. */
  linkedThreadId?: number;
}
