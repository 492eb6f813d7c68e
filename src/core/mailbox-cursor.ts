import type { Db } from './db';

/** How far a mailbox has been read: UIDs mean something only within one UIDVALIDITY. */
export interface MailboxCursor {
  uidValidity: string;
  lastUid: number;
}

export async function readMailboxCursor(db: Db, mailbox: string): Promise<MailboxCursor | undefined> {
  const row: { uid_validity: string; last_uid: number } | undefined = await db('mailbox_cursors').where({ mailbox }).first('uid_validity', 'last_uid');
  return row && { uidValidity: row.uid_validity, lastUid: Number(row.last_uid) };
}

/**
 * Moves the cursor forward (never back: two hub instances reading one mailbox may finish out
 * of order). A new UIDVALIDITY starts the count again; contacts already stored are recognised
 * by their provider id, so the re-scan that follows duplicates nothing.
 */
export async function advanceMailboxCursor(db: Db, args: { mailbox: string; cursor: MailboxCursor; at: number }): Promise<void> {
  await db.transaction(async (trx) => {
    const current = await trx('mailbox_cursors').where({ mailbox: args.mailbox }).forUpdate().first('uid_validity', 'last_uid');
    const row = { uid_validity: args.cursor.uidValidity, last_uid: args.cursor.lastUid, updated_at: args.at };
    if (!current) {
      await trx('mailbox_cursors').insert({ mailbox: args.mailbox, ...row }).onConflict('mailbox').ignore();
    } else if (current.uid_validity !== args.cursor.uidValidity || Number(current.last_uid) < args.cursor.lastUid) {
      await trx('mailbox_cursors').where({ mailbox: args.mailbox }).update(row);
    }
  });
}
