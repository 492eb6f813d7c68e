import type { DbOrTrx } from './db';

/**
 * Why a mail was set aside: the parser could not read it (a message of more than 1,000 MIME
 * parts, a broken structure), or storing it failed on every try.
 */
export type QuarantineReason = 'unreadable' | 'not-stored';

/** A mail moved out of the complaints mailbox into the quarantine mailbox, for a person to look at. */
export interface QuarantinedMail {
  /** The mailbox it was read from, and its place there when it was read. */
  mailbox: string;
  uidValidity: string;
  uid: number;
  movedTo: string;
  /** As the mail gave them: untrusted text, shown escaped. */
  messageId: string | null;
  sender: string | null;
  subject: string | null;
  size: number;
  reason: QuarantineReason;
  error: string;
  attempts: number;
  at: number;
}

/** The longest error text kept: the start says what went wrong. */
const ERROR_CHARS = 2_000;

/** Records a mail set aside; the same mail recorded again (moved after a crash) stays one row. */
export async function recordQuarantine(db: DbOrTrx, mail: QuarantinedMail): Promise<void> {
  await db('mail_quarantine')
    .insert({
      mailbox: mail.mailbox,
      uid_validity: mail.uidValidity,
      uid: mail.uid,
      moved_to: mail.movedTo,
      message_id: mail.messageId,
      sender: mail.sender,
      subject: mail.subject,
      size: mail.size,
      reason: mail.reason,
      error: mail.error.slice(0, ERROR_CHARS),
      attempts: mail.attempts,
      at: mail.at,
    })
    .onConflict(['mailbox', 'uid_validity', 'uid'])
    .ignore();
}

/** The newest mail set aside first. */
export async function recentQuarantine(db: DbOrTrx, { limit }: { limit: number }): Promise<QuarantinedMail[]> {
  const rows: {
    mailbox: string;
    uid_validity: string;
    uid: number;
    moved_to: string;
    message_id: string | null;
    sender: string | null;
    subject: string | null;
    size: number;
    reason: QuarantineReason;
    error: string;
    attempts: number;
    at: number;
  }[] = await db('mail_quarantine').orderBy('id', 'desc').limit(limit).select('*');
  return rows.map((row) => ({
    mailbox: row.mailbox,
    uidValidity: row.uid_validity,
    uid: Number(row.uid),
    movedTo: row.moved_to,
    messageId: row.message_id,
    sender: row.sender,
    subject: row.subject,
    size: Number(row.size),
    reason: row.reason,
    error: row.error,
    attempts: row.attempts,
    at: Number(row.at),
  }));
}
