import { expect } from 'chai';
import type { Db } from '../../src/core/db';
import { setPassword } from '../../src/console/credentials';
import { ConsoleClient } from '../console/console-client';
import { storeName, storeUrl } from '../helpers/db';
import { numberedComplaint } from '../helpers/eml';
import { eventually, useMailHub } from '../helpers/mail-hub';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');

/** A mail of 1,001 MIME parts: mailparser refuses more than 1,000. */
function mailOfTooManyParts(from: string): string {
  const parts = Array.from({ length: 1_001 }, (_, i) => `--B\r\nContent-Type: text/plain\r\n\r\ndeel ${i}\r\n`).join('');
  return `From: ${from}\r\nTo: klachten@example.nl\r\nSubject: =?utf-8?Q?Foto=27s_van_de_schade?=\r\nMessage-ID: <parts@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n${parts}--B--\r\n`;
}

/** The store refuses contacts whose text matches `pattern` (SQL LIKE), as a broken column or constraint would. */
async function refuseContacts(db: Db, pattern: string): Promise<void> {
  if (storeUrl) {
    await db.raw(`create function refuse_contact() returns trigger language plpgsql as $$ begin if new.body like '${pattern}' then raise exception 'refused by the store: %', left(new.body, 20); end if; return new; end $$`);
    await db.raw('create trigger refuse_contact before insert on contacts for each row execute function refuse_contact()');
  } else {
    await db.raw(`create trigger refuse_contact before insert on contacts when new.body like '${pattern}' begin select raise(abort, 'refused by the store'); end`);
  }
}

async function acceptContacts(db: Db): Promise<void> {
  await db.raw('drop trigger refuse_contact' + (storeUrl ? ' on contacts' : ''));
}

describe(`mail the hub cannot store is set aside, and the rest flows (${storeName})`, function () {
  this.timeout(60_000);
  const mail = useMailHub({ folderPrefix: 'Quarantine', now: TUESDAY_10 });
  const db = () => mail.t.hub.ctx.db;

  /** How many messages a folder holds now. */
  async function messagesIn(path: string): Promise<number> {
    const status = await mail.imap.status(path, { messages: true });
    return (status && status.messages) || 0;
  }

  async function quarantinePath(): Promise<string> {
    const folders = await mail.imap.list();
    const found = folders.find((folder) => folder.path.replace(folder.delimiter ?? '/', '/') === 'Klachtenhub/Quarantaine');
    if (!found) throw new Error(`no quarantine folder among ${folders.map((folder) => folder.path).join(', ')}`);
    return found.path;
  }

  it('a mail the parser cannot read is moved to Klachtenhub/Quarantaine at once and listed in the console, escaped; the mail behind it is stored', async () => {
    await mail.deliver(mailOfTooManyParts('"<script>alert(1)</script>" <x@example.com>'));
    const behind = await mail.deliver(numberedComplaint(1));
    await mail.readPast(behind);

    expect((await mail.inboundEmails()).map((contact) => contact.from_value)).to.deep.equal(['klant1@example.com']);
    expect(await messagesIn(mail.folder)).to.equal(1);
    expect(await messagesIn(await quarantinePath())).to.equal(1);
    const health = (await mail.t.request('GET', '/healthz')).json;
    expect(health.mailbox).to.deep.include({ state: 'idle', stuck: null, quarantined: 1, quarantineMailbox: 'Klachtenhub/Quarantaine' });

    await setPassword(db(), { agentId: 'anna', password: 'lange-zin-voor-anna', now: TUESDAY_10 });
    const anna = new ConsoleClient(mail.t);
    await anna.login('anna', 'lange-zin-voor-anna');
    const page = await anna.get('/console/quarantine');
    expect(page.html).to.contain('Onleesbaar');
    expect(page.html).to.contain('Foto&#x27;s van de schade');
    expect(page.html).to.contain('Max allowed child nodes exceeded');
    expect(page.html).to.contain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.html).not.to.contain('<script>alert');
  });

  it('a wave of mail the parser cannot read is set aside mail by mail: it never stops the mailbox', async () => {
    for (let n = 1; n <= 5; n++) await mail.deliver(mailOfTooManyParts(`spam${n}@example.com`));
    const behind = await mail.deliver(numberedComplaint(1));
    await mail.readPast(behind);
    expect((await mail.inboundEmails()).map((contact) => contact.from_value)).to.deep.equal(['klant1@example.com']);
    expect((await mail.t.request('GET', '/healthz')).json.mailbox).to.deep.include({ stuck: null, quarantined: 5 });
  });

  it('a mail the store refuses is tried three times, then set aside with the store\'s error; the mail before and after it is stored', async () => {
    await refuseContacts(db(), '%GIFTIG%');
    const quarantinedBefore = await messagesIn(await quarantinePath()).catch(() => 0);
    await mail.deliver(numberedComplaint(1));
    await mail.deliver(numberedComplaint(2).replace('Bestelling', 'GIFTIG: bestelling'));
    const behind = await mail.deliver(numberedComplaint(3));
    await mail.readPast(behind);

    expect((await mail.inboundEmails()).map((contact) => contact.from_value)).to.deep.equal(['klant1@example.com', 'klant3@example.com']);
    const [quarantined] = await db()('mail_quarantine').select('uid', 'reason', 'attempts', 'sender', 'subject', 'error', 'message_id');
    expect(quarantined).to.deep.include({ uid: 2, reason: 'not-stored', attempts: 3, sender: 'Klant 2 <klant2@example.com>', subject: 'Klacht 2: levering te laat', message_id: '<complaint-2@example.com>' });
    expect(quarantined.error).to.contain('refused by the store');
    expect(await messagesIn(await quarantinePath())).to.equal(quarantinedBefore + 1);
    expect((await mail.t.request('GET', '/healthz')).json.mailbox).to.deep.include({ stuck: null, quarantined: 1 });
  });

  it('a store that refuses every mail gets three set aside, then the mailbox waits and /healthz says what is stuck; once the store takes mail, it flows', async () => {
    await refuseContacts(db(), '%');
    for (let n = 1; n <= 5; n++) await mail.deliver(numberedComplaint(n));
    const stuck = await eventually(async () => {
      const { mailbox } = (await mail.t.request('GET', '/healthz')).json;
      return mailbox.stuck?.uids[0] === 4 && mailbox;
    }, 'the mailbox to wait at UID 4', 20_000);
    expect(stuck.quarantined).to.equal(3);
    expect(stuck.stuck.error).to.match(/^3 mails in a row could not be stored; the mailbox waits: [\s\S]*refused by the store/);
    expect(await db()('mail_quarantine').orderBy('uid').pluck('uid')).to.deep.equal([1, 2, 3]);

    await acceptContacts(db());
    await mail.readPast(5, 30_000);
    expect((await mail.inboundEmails()).map((contact) => contact.from_value)).to.deep.equal(['klant4@example.com', 'klant5@example.com']);
    expect((await mail.t.request('GET', '/healthz')).json.mailbox.stuck).to.equal(null);
  });
});
