import { createHash } from 'node:crypto';

/**
 * What one mail may cost the hub, whatever it holds. Real mailboxes receive list digests of a
 * megabyte (one gave 3,017 "phone numbers"), 200 KB header blocks and attachment names longer than
 * a PostgreSQL `varchar(255)`: each is cut to what an agent can use, never refused, so no mail
 * stops the ones behind it. The full message stays in the mailbox for whoever needs more.
 * Parts and nesting are bounded by the parser: mailparser refuses a message of more than 1,000
 * MIME parts, which the hub then quarantines (see inbound.ts).
 */
export const MAIL_LIMITS = {
  /** What she wrote now, as stored on the contact: a long letter is 20,000 characters. */
  bodyChars: 100_000,
  /** The whole text kept in the raw message beside it. */
  rawTextChars: 1_000_000,
  /** HTML converted to text when a mail has no text part. */
  htmlChars: 2_000_000,
  /** Header lines kept in the raw message. */
  headerChars: 64 * 1024,
  /** The start of her text that is searched for phone numbers (a number is in the first lines). */
  phoneScanChars: 20_000,
  /** Message-IDs looked up to find the thread a mail replies to: In-Reply-To, the first and the newest References. */
  replyChain: 100,
  /** Attachments stored with content; the rest are kept as name, type and size. */
  attachments: 100,
  /** Names, file names and content types as stored (PostgreSQL columns of 255). */
  labelChars: 200,
  /** Longer Message-IDs are kept as a hash of themselves, so replies still find them. */
  messageIdChars: 200,
} as const;

/**
 * Text as the store can keep it: without NUL (PostgreSQL text refuses it) and at most `max`
 * characters, cut where it is marked as cut.
 */
export function storable(text: string, max: number): string {
  const clean = text.includes('\u0000') ? text.replace(/\u0000/g, '') : text;
  if (clean.length <= max) return clean;
  return `${clean.slice(0, max)}\n[…]`;
}

/** A short label (a name, a file name): without NUL and line breaks, at most `labelChars`. */
export function storableLabel(text: string): string {
  return text.replace(/[\u0000\r\n]+/g, ' ').slice(0, MAIL_LIMITS.labelChars);
}

/**
 * A Message-ID as stored and looked up: as written when it fits a column, otherwise a hash of it
 * in Message-ID form. The same input always gives the same id, so a reply's References still
 * match the stored one.
 */
export function storableMessageId(id: string): string {
  if (id.length <= MAIL_LIMITS.messageIdChars && !id.includes('\u0000')) return id;
  return `<${createHash('sha256').update(id).digest('base64url')}@long-message-id.invalid>`;
}
