import { expect } from 'chai';
import { setPassword } from '../../src/console/credentials';
import { ConsoleClient } from '../console/console-client';
import { storeName } from '../helpers/db';
import { corpusMail, emlFixture } from '../helpers/eml';
import { eventually, useMailHub } from '../helpers/mail-hub';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const ELS = 'els.jansen@gmail.com';

/** A plain mail as a client sends it. */
function plainMail(args: { from: string; subject: string; body: string; id: string; headers?: string[] }): string {
  return [`From: ${args.from}`, 'To: klachten@example.nl', `Subject: ${args.subject}`, 'Date: Tue, 24 Nov 2026 10:20:00 +0100', `Message-ID: <${args.id}>`, ...(args.headers ?? []), 'Content-Type: text/plain; charset=utf-8', '', args.body, ''].join('\r\n');
}

describe(`real mail, every time: automatic mail, addresses, names, threads (${storeName})`, function () {
  this.timeout(60_000);
  const mail = useMailHub({ folderPrefix: 'Real', now: TUESDAY_10 });
  const db = () => mail.t.hub.ctx.db;

  async function deliver(source: string | Buffer): Promise<void> {
    await mail.readPast(await mail.deliver(source));
  }

  async function dossierOf(contact: { thread_id: number } | undefined) {
    const { reference } = await db()('threads').where({ id: contact?.thread_id }).first('reference');
    return (await mail.t.request('GET', `/api/threads/${reference}`)).json;
  }

  /** Els's complaint, acknowledged over SMTP: the acknowledgement's Message-ID, the reference and the thread. */
  async function elsComplains(): Promise<{ reference: string; ackMessageId: string; threadId: number }> {
    await deliver(emlFixture('gmail-new-complaint'));
    const sent = await mail.sentAfterJobs();
    const ack = sent.find((received) => received.to.includes(ELS))?.mail;
    const [contact] = await mail.inboundEmails();
    const { reference } = await db()('threads').where({ id: contact?.thread_id }).first('reference');
    return { reference, ackMessageId: ack?.messageId as string, threadId: contact?.thread_id as number };
  }

  /** Delivers a mail that must open a thread of its own without any acknowledgement; its withheld reason and signal. */
  async function withheld(source: string | Buffer): Promise<{ reason: string; signal: string }> {
    await deliver(source);
    expect(await mail.sentAfterJobs()).to.deep.equal([]);
    const [contact] = await mail.inboundEmails();
    const event = await db()('timeline_events').where({ thread_id: contact?.thread_id, kind: 'acknowledgement-withheld' }).first('data');
    return JSON.parse(event.data);
  }

  describe('no acknowledgement to a machine', () => {
    it('an abuse feedback report (multipart/report; report-type=feedback-report) from AOL', async () => {
      expect(await withheld(corpusMail('flanker/complaints--aol.eml'))).to.deep.equal({ reason: 'feedback-report', signal: 'Content-Type: multipart/report; report-type=feedback-report' });
    });

    it('a read receipt (disposition-notification)', async () => {
      expect(await withheld(corpusMail('mimekit/disposition-notification.eml'))).to.deep.equal({ reason: 'read-receipt', signal: 'Content-Type: multipart/report; report-type=disposition-notification' });
    });

    it('an iCloud vacation reply: X-Apple-Action: VACATION, subject "Auto reply:", no Auto-Submitted', async () => {
      expect(await withheld(corpusMail('sisimai/rfc3834-03.eml'))).to.deep.equal({ reason: 'auto-reply', signal: 'X-Apple-Action: VACATION' });
    });

    it('a noreply@ sender without a Reply-To', async () => {
      expect(await withheld(corpusMail('mikel-mail/plain_emails--raw_email_trailing_dot.eml'))).to.deep.equal({ reason: 'no-reply', signal: 'answers to noreply@rubyforge.org' });
    });

    it('a bounce whose multipart/report has no report-type and whose Return-Path is MAILER-DAEMON marks our acknowledgement undelivered', async () => {
      const { reference, ackMessageId, threadId } = await elsComplains();
      await deliver(emlFixture('bounce-without-report-type', { reference, ackMessageId }));
      expect(await mail.inboundEmails()).to.have.length(1);
      const ack = await db()('contacts').where({ direction: 'outbound', message_id: ackMessageId }).first('delivery_status', 'delivery_error_code');
      expect(ack).to.deep.equal({ delivery_status: 'undelivered', delivery_error_code: '5.3.0' });
      expect(await db()('timeline_events').where({ thread_id: threadId, kind: 'delivery-failed' }).count({ n: '*' })).to.deep.equal([{ n: 1 }]);
    });
  });

  it('an out-of-office with Return-Path: <> joins her thread as an automatic note, not as a bounce, and is not answered', async () => {
    const { reference, ackMessageId, threadId } = await elsComplains();
    await deliver(emlFixture('out-of-office-null-sender', { reference, ackMessageId }));
    const [, outOfOffice] = await mail.inboundEmails();
    expect(outOfOffice?.thread_id).to.equal(threadId);
    expect((await mail.sentAfterJobs()).length).to.equal(1);
    const view = await dossierOf(outOfOffice);
    expect(view.contacts.filter((contact: { direction: string }) => contact.direction === 'inbound').map((contact: { automatic?: string }) => contact.automatic ?? null)).to.deep.equal([null, 'auto-reply']);
    // The agent reads it as a note about her, not as her words.
    await setPassword(db(), { agentId: 'anna', password: 'lange-zin-voor-anna', now: TUESDAY_10 });
    const anna = new ConsoleClient(mail.t);
    await anna.login('anna', 'lange-zin-voor-anna');
    const page = await anna.get(`/console/threads/${reference}`);
    expect(page.html).to.contain('E-mail, automatisch: afwezigheidsmelding of automatisch antwoord');
    expect(page.html.match(/E-mail van de klant/g)).to.have.length(1);
  });

  describe('addresses as RFC 6532 allows', () => {
    it('a UTF-8 address is the customer\'s, proven by her mail, and is acknowledged', async () => {
      await deliver(corpusMail('mikel-mail/rfc6532--utf8_headers.eml'));
      const [contact] = await mail.inboundEmails();
      expect(contact?.from_value).to.equal('jdöe@mächine.example');
      const view = await dossierOf(contact);
      expect(view.customer).to.deep.include({ name: 'Jöhn Doe', emails: ['jdöe@mächine.example'] });
      const sent = await eventually(async () => (await mail.sentAfterJobs()).length > 0 && mail.smtp.received, 'the acknowledgement');
      expect(sent[0]?.to).to.deep.equal(['jdöe@mächine.example']);
    });

    it('an address with a dotless domain is the customer\'s', async () => {
      await deliver(corpusMail('mikel-mail/mime_emails--raw_email11.eml'));
      const [contact] = await mail.inboundEmails();
      expect(contact?.from_value).to.equal('xxxxx@xxxxx');
      expect((await dossierOf(contact)).customer.emails).to.deep.equal(['xxxxx@xxxxx']);
    });
  });

  describe('names', () => {
    it('a name that only repeats her address is no name: her later real display name fills it in', async () => {
      await deliver(plainMail({ from: '"els.jansen" <els.jansen@gmail.com>', subject: 'Lamp kapot', body: 'De lamp is kapot.', id: 'n1@gmail.com' }));
      const [first] = await mail.inboundEmails();
      expect((await dossierOf(first)).customer.name).to.equal(null);
      await deliver(plainMail({ from: 'Els Jansen <els.jansen@gmail.com>', subject: 'Re: Lamp kapot', body: 'Nog iets.', id: 'n2@gmail.com' }));
      expect((await dossierOf(first)).customer.name).to.equal('Els Jansen');
      await deliver(plainMail({ from: 'E. J. <els.jansen@gmail.com>', subject: 'Re: Lamp kapot', body: 'En nog iets.', id: 'n3@gmail.com' }));
      expect((await dossierOf(first)).customer.name, 'a real name stays').to.equal('Els Jansen');
    });

    it('a name an address gave before this change (stored as "els.jansen") is replaced by her real display name', async () => {
      await deliver(plainMail({ from: 'els.jansen@gmail.com', subject: 'Lamp kapot', body: 'De lamp is kapot.', id: 'o1@gmail.com' }));
      const [first] = await mail.inboundEmails();
      const { customer_id: customerId } = await db()('threads').where({ id: first?.thread_id }).first('customer_id');
      await db()('customers').where({ id: customerId }).update({ name: 'els.jansen' });
      await deliver(plainMail({ from: 'Els Jansen <els.jansen@gmail.com>', subject: 'Re: Lamp kapot', body: 'Nog iets.', id: 'o2@gmail.com' }));
      expect((await dossierOf(first)).customer.name).to.equal('Els Jansen');
    });
  });

  it('a reply-all whose In-Reply-To names a message on another customer\'s thread, but whose References name his own, stays on his one thread, and so does his next mail', async () => {
    await deliver(plainMail({ from: 'Els Jansen <els.jansen@gmail.com>', subject: 'Storing in de straat', body: 'Geen stroom sinds vanochtend.', id: 'els-1@gmail.com' }));
    await deliver(plainMail({ from: 'Piet Bakker <piet@ziggo.example>', subject: 'Storing', body: 'Ook bij mij geen stroom.', id: 'piet-1@ziggo.example' }));
    const [els, piet] = await mail.inboundEmails();
    expect(piet?.thread_id).not.to.equal(els?.thread_id);

    await deliver(plainMail({ from: 'Piet Bakker <piet@ziggo.example>', subject: 'Re: Storing in de straat', body: 'Zie ook mijn eigen melding.', id: 'piet-2@ziggo.example', headers: ['In-Reply-To: <els-1@gmail.com>', 'References: <piet-1@ziggo.example> <els-1@gmail.com>'] }));
    await deliver(plainMail({ from: 'Piet Bakker <piet@ziggo.example>', subject: 'Nog steeds', body: 'Nog steeds geen stroom.', id: 'piet-3@ziggo.example' }));
    const contacts = await mail.inboundEmails();
    expect(contacts.map((contact) => contact.thread_id)).to.deep.equal([els?.thread_id, piet?.thread_id, piet?.thread_id, piet?.thread_id]);
    expect(await db()('threads').count({ n: '*' })).to.deep.equal([{ n: 2 }]);
  });

  describe('mail with no sender is a contact an agent sees, on an unknown sender\'s thread, and nothing is sent', () => {
    for (const [what, from] of [
      ['no From at all', []],
      ['From: <> that is no bounce', ['From: <>']],
    ] as const) {
      it(what, async () => {
        await deliver([...from, 'To: klachten@example.nl', 'Subject: Lekkage', 'Message-ID: <anon-1@example.org>', 'Content-Type: text/plain; charset=utf-8', '', 'Er lekt water uit de meterkast.', ''].join('\r\n'));
        const [contact] = await mail.inboundEmails();
        expect(contact).to.deep.include({ from_value: null, body: 'Er lekt water uit de meterkast.' });
        const view = await dossierOf(contact);
        expect(view.customer).to.deep.include({ name: null, emails: [], phones: [] });
        expect(view.status).to.equal('open');
        expect(await mail.sentAfterJobs()).to.deep.equal([]);
        const events = await db()('timeline_events').where({ thread_id: contact?.thread_id }).pluck('kind');
        expect(events).to.include('acknowledgement-not-sent');
      });
    }
  });
});
