import { expect } from 'chai';
import type { ImapFlow } from 'imapflow';
import type { ParsedMail } from 'mailparser';
import { storeName } from '../helpers/db';
import { connectImap, skipWithoutDovecot, startDovecot, type Mailbox } from '../helpers/dovecot';
import { emlFixture, largeAttachmentMail } from '../helpers/eml';
import { startHub, type TestHub } from '../helpers/hub';
import { startSmtp, type SmtpStandIn } from '../helpers/smtp';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');

/** Polls until `check` returns a value (not undefined/false), or fails after `ms`. */
async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe(`email in over IMAP from a real Dovecot (${storeName})`, function () {
  this.timeout(60_000);
  let dovecot: Mailbox | undefined;
  let imap: ImapFlow;
  let folderCount = 0;

  before(async function () {
    skipWithoutDovecot(this);
    dovecot = await startDovecot();
    imap = await connectImap(dovecot);
  });
  after(async () => {
    await imap?.logout().catch(() => undefined);
    await dovecot?.stop();
  });

  let t: TestHub;
  let smtp: SmtpStandIn;
  let folder: string;

  beforeEach(async function () {
    folder = `Complaints${++folderCount}`;
    await imap.mailboxCreate(folder);
    smtp = await startSmtp();
    t = await startHub({
      now: TUESDAY_10,
      env: { ...dovecot?.env, IMAP_MAILBOX: folder, SMTP_URL: smtp.url, MAIL_FROM: 'Klantenservice <klachten@example.nl>' },
    });
  });
  afterEach(async () => {
    await t?.stop();
    await smtp?.close();
  });

  const db = () => t.hub.ctx.db;

  async function deliverToMailbox(source: string | Buffer): Promise<number> {
    const appended = await imap.append(folder, source);
    if (!appended) throw new Error('append refused');
    return appended.uid ?? 0;
  }

  /** The inbound email contacts stored, oldest first. */
  async function inboundEmails(): Promise<{ id: number; thread_id: number; from_value: string; body: string; raw: string; provider_id: string }[]> {
    return db()('contacts').where({ channel: 'email', direction: 'inbound' }).orderBy('id').select('id', 'thread_id', 'from_value', 'body', 'raw', 'provider_id');
  }

  async function storedCount(n: number): Promise<void> {
    await eventually(async () => (await inboundEmails()).length >= n, `${n} stored emails`);
    await eventually(async () => t.hub.mailbox?.status().state === 'idle' && t.hub.mailbox.status().lastUid, 'the mailbox to be idle again');
  }

  async function dossier(threadId: number) {
    const { reference } = await db()('threads').where({ id: threadId }).first('reference');
    return (await t.request('GET', `/api/threads/${reference}`)).json;
  }

  /** Els's complaint, acknowledged: the acknowledgement's Message-ID and the reference. */
  async function complaintAcknowledged(): Promise<{ reference: string; ackMessageId: string; threadId: number }> {
    await deliverToMailbox(emlFixture('gmail-new-complaint'));
    await storedCount(1);
    await t.hub.worker.runDue();
    const ack = await eventually(async () => smtp.received.find((mail) => mail.to.includes('els.jansen@gmail.com'))?.mail, 'the acknowledgement');
    const [contact] = await inboundEmails();
    const { reference } = await db()('threads').where({ id: contact?.thread_id }).first('reference');
    return { reference, ackMessageId: ack.messageId as string, threadId: contact?.thread_id as number };
  }

  it('a new complaint is stored, acknowledged over SMTP, flagged \\Seen; her Gmail reply joins by In-Reply-To with quote and signature trimmed', async () => {
    const { reference, ackMessageId, threadId } = await complaintAcknowledged();
    const ack = smtp.received[0]?.mail as ParsedMail;
    expect(ack.subject).to.contain(reference);
    expect(ack.inReplyTo).to.equal('<CAF9x1qW3=gmail-new@mail.gmail.com>');

    await deliverToMailbox(emlFixture('gmail-reply', { reference, ackMessageId }));
    await storedCount(2);
    const [first, reply] = await inboundEmails();
    expect(first?.from_value).to.equal('els.jansen@gmail.com');
    expect(reply?.thread_id).to.equal(threadId);
    expect(reply?.body).to.equal('Hierbij nog een foto van de doos. De lamp werkt echt niet meer.');
    // The raw message keeps what was trimmed.
    expect(JSON.parse(reply?.raw as string).text).to.contain('schreef Klantenservice');

    const view = await dossier(threadId);
    // The number in her mail is a claim the agent sees, not an address anything is sent to.
    expect(view.customer).to.deep.include({ name: 'Els Jansen', emails: ['els.jansen@gmail.com'], phones: [] });
    expect(view.customer.claims.map((claim: { kind: string; value: string; via: string }) => [claim.kind, claim.value, claim.via])).to.deep.equal([['phone', '+31612345678', 'email-text']]);
    expect(view.contacts.filter((c: { verified: boolean }) => !c.verified)).to.deep.equal([]);
    expect(view.contacts.filter((c: { direction: string }) => c.direction === 'inbound')).to.have.length(2);

    const lock = await imap.getMailboxLock(folder);
    try {
      const flags = [];
      for await (const message of imap.fetch('1:*', { uid: true, flags: true })) flags.push([...(message.flags ?? [])]);
      expect(flags).to.deep.equal([['\\Seen'], ['\\Seen']]);
    } finally {
      lock.release();
    }
  });

  it('an Outlook reply that lost its reply headers finds the thread by the reference behind "Antw: [EXT] RE:", decoded from ISO-8859-1', async () => {
    const { reference, threadId } = await complaintAcknowledged();
    await deliverToMailbox(emlFixture('outlook-reply', { reference }));
    await storedCount(2);
    const [, reply] = await inboundEmails();
    expect(reply?.thread_id).to.equal(threadId);
    expect(reply?.body).to.equal('Ik heb nog steeds niets gehoord. Wanneer komt de vervangende lamp?\n\nMet vriendelijke groet,\nEls');
  });

  it('a reply from a different sender with a valid In-Reply-To gets its own thread, linked, not silently joined', async () => {
    const { ackMessageId, threadId } = await complaintAcknowledged();
    await deliverToMailbox(emlFixture('other-sender-reply', { ackMessageId }));
    await storedCount(2);
    const [, stranger] = await inboundEmails();
    expect(stranger?.thread_id).not.to.equal(threadId);
    const thread = await db()('threads').where({ id: stranger?.thread_id }).first('linked_thread_id');
    expect(thread.linked_thread_id).to.equal(threadId);
  });

  it("a colleague's forward opens the thread for the customer named in the forwarded headers, who is acknowledged", async () => {
    await deliverToMailbox(emlFixture('forwarded-by-colleague'));
    await storedCount(1);
    const [contact] = await inboundEmails();
    expect(contact?.from_value).to.equal('p.bakker@ziggo.nl');
    expect(JSON.parse(contact?.raw as string).forwardedBy).to.equal('mark.deboer@example.nl');
    const view = await dossier(contact?.thread_id as number);
    expect(view.customer.name).to.equal('Pieter Bakker');
    expect(view.customer.emails).to.deep.equal(['p.bakker@ziggo.nl']);
    await t.hub.worker.runDue();
    await eventually(async () => smtp.received.length === 1, 'the acknowledgement');
    expect(smtp.received[0]?.to).to.deep.equal(['p.bakker@ziggo.nl']);
  });

  it('Windows-1252 is decoded right: "ë", "€" and the en dash', async () => {
    await deliverToMailbox(emlFixture('windows-1252'));
    await storedCount(1);
    const [contact] = await inboundEmails();
    expect(contact?.body).to.contain('Op mijn factuur staat € 129,95 maar de offerte was € 99,-. Ik ben teleurgesteld – dit is de tweede keer.');
    const view = await dossier(contact?.thread_id as number);
    expect(view.customer.name).to.equal('Zoë Maës');
    expect(view.issue.summary).to.match(/^Factuur € 129,95 klopt niet: /);
  });

  it('HTML-only mail is stored as text: no tags, no script, no event handlers; the customer is the Reply-To of the web form', async () => {
    await deliverToMailbox(emlFixture('html-only'));
    await storedCount(1);
    const [contact] = await inboundEmails();
    expect(contact?.from_value).to.equal('kees@example.com');
    expect(contact?.body).to.contain('Mijn bestelling is drie weken te laat.');
    expect(contact?.body).to.contain('Ik wil mijn geld terug & een excuus.');
    expect(contact?.body).not.to.match(/<|alert|onerror|javascript:/);
  });

  it('no acknowledgement to an out-of-office or a mailing list; a bounce marks our acknowledgement undelivered instead of opening a thread', async () => {
    const { reference, ackMessageId, threadId } = await complaintAcknowledged();
    await deliverToMailbox(emlFixture('out-of-office', { reference, ackMessageId }));
    await deliverToMailbox(emlFixture('out-of-office-new'));
    await deliverToMailbox(emlFixture('mailing-list'));
    await deliverToMailbox(emlFixture('bounce', { reference, ackMessageId }));
    await storedCount(4);
    await eventually(async () => t.hub.mailbox?.status().lastUid === 5, 'all five messages read');
    await t.hub.worker.runDue();

    const contacts = await inboundEmails();
    expect(contacts.map((contact) => contact.from_value)).to.deep.equal([
      'els.jansen@gmail.com',
      'els.jansen@gmail.com',
      'jan.smit@example.org',
      'nieuws@lists.energie.example',
    ]);
    // Her out-of-office joins her thread; the other two open threads that wait for an agent, unacknowledged.
    expect(contacts[1]?.thread_id).to.equal(threadId);
    const withheld = await db()('timeline_events').where({ kind: 'acknowledgement-withheld' }).orderBy('id').select('data');
    expect(withheld.map((event) => JSON.parse(event.data).reason)).to.deep.equal(['auto-reply', 'mailing-list']);
    expect(smtp.received).to.have.length(1);

    const ack = await db()('contacts').where({ channel: 'email', direction: 'outbound', message_id: ackMessageId }).first('delivery_status', 'delivery_error_code');
    expect(ack).to.deep.equal({ delivery_status: 'undelivered', delivery_error_code: '5.1.2' });
    const failed = await db()('timeline_events').where({ thread_id: threadId, kind: 'delivery-failed' }).first('data');
    expect(JSON.parse(failed.data)).to.include({ channel: 'email', errorCode: '5.1.2' });
  });

  it('a 20 MB attachment is kept as name and size only and the customer is told; a small photo is stored', async () => {
    await deliverToMailbox(largeAttachmentMail({ from: 'Els Jansen <els.jansen@gmail.com>', largeBytes: 20 * 1024 * 1024 }));
    await storedCount(1);
    const [contact] = await inboundEmails();
    const files = await db()('attachments').where({ contact_id: contact?.id }).orderBy('id').select('filename', 'content_type', 'size', 'content');
    expect(files.map((file) => [file.filename, file.content_type, Number(file.size), file.content === null])).to.deep.equal([
      ['doos.jpg', 'image/jpeg', 2048, false],
      ['video-lekkage.mp4', 'video/mp4', 20 * 1024 * 1024, true],
    ]);
    expect(Buffer.from(files[0].content).length).to.equal(2048);

    await t.hub.worker.runDue();
    await eventually(async () => smtp.received.length === 2, 'the acknowledgement and the notice');
    const notice = smtp.received.map((entry) => entry.mail).find((mail) => mail.subject?.startsWith('Bijlage niet ontvangen'));
    expect(notice?.text).to.contain('video-lekkage.mp4 (20 MB)');
    expect(notice?.text).to.contain('maximaal 10 MB per bijlage');
  });

  it('a UIDVALIDITY change re-scans the mailbox without storing anything twice; /healthz shows the mailbox', async () => {
    await deliverToMailbox(emlFixture('gmail-new-complaint'));
    await deliverToMailbox(emlFixture('windows-1252'));
    await storedCount(2);
    const health = (await t.request('GET', '/healthz')).json;
    expect(health.mailbox).to.deep.include({ mailbox: folder, state: 'idle', lastUid: 2, reconnectAttempts: 0, lastError: null });

    await t.hub.mailbox?.stop();
    await db()('mailbox_cursors').where({ mailbox: folder }).update({ uid_validity: '1', last_uid: 2 });
    t.hub.mailbox?.start();
    await eventually(async () => t.hub.mailbox?.status().state === 'idle' && t.hub.mailbox.status().uidValidity !== '1', 're-scan');
    const cursor = await db()('mailbox_cursors').where({ mailbox: folder }).first('uid_validity', 'last_uid');
    expect(cursor.uid_validity).not.to.equal('1');
    expect(Number(cursor.last_uid)).to.equal(2);
    expect(await inboundEmails()).to.have.length(2);
    const metrics = (await t.request('GET', '/metrics')).text;
    expect(metrics).to.match(/klachtenhub_contacts_ingested_total\{channel="email",outcome="duplicate"\} 2/);
  });

  it('a dropped connection is rebuilt with back-off, and mail that arrived meanwhile is read', async () => {
    await deliverToMailbox(emlFixture('gmail-new-complaint'));
    await storedCount(1);
    dovecot?.kick();
    await eventually(async () => t.hub.mailbox?.status().state === 'disconnected', 'the watcher to notice');
    // The kick dropped the test's own connection too.
    imap = await connectImap(dovecot as Mailbox);
    await deliverToMailbox(emlFixture('windows-1252'));
    await storedCount(2);
    const health = (await t.request('GET', '/healthz')).json;
    expect(health.mailbox).to.deep.include({ state: 'idle', lastUid: 2, reconnectAttempts: 0 });
  });
});
