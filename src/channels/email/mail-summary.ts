import libmime from 'libmime';
import { MAIL_LIMITS, storableLabel } from './mail-limits';

/** What a person needs to find a mail again in a mailbox: who sent it, its subject, its Message-ID. */
export interface MailSummary {
  sender: string | null;
  subject: string | null;
  messageId: string | null;
}

/**
 * The summary read straight from the header block, for a mail the parser could not read: only
 * the three header lines are looked at, in at most the first MAIL_LIMITS.headerChars of the
 * message, and encoded words ("=?utf-8?Q?...?=") are decoded where they can be.
 */
export function summaryFromHeaders(source: Buffer): MailSummary {
  const head = source.subarray(0, MAIL_LIMITS.headerChars).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const unfolded = (end === -1 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const field = (name: string): string | null => {
    const value = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(unfolded)?.[1]?.trim();
    if (!value) return null;
    return storableLabel(decoded(Buffer.from(value, 'latin1').toString('utf8')));
  };
  return { sender: field('From'), subject: field('Subject'), messageId: field('Message-ID') };
}

function decoded(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}
