import { expect } from 'chai';
import type { ParsedMail } from 'mailparser';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { startSmtp, type SmtpStandIn } from '../helpers/smtp';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const CUSTOMER_MAIL = '<CAF9x1@mail.gmail.com>';

describe(`email out over SMTP (${storeName})`, function () {
  let t: TestHub;
  let smtp: SmtpStandIn;

  beforeEach(async () => {
    smtp = await startSmtp();
    t = await startHub({ now: TUESDAY_10, env: { SMTP_URL: smtp.url, MAIL_FROM: 'Klantenservice <klachten@hub.example.nl>' } });
  });
  afterEach(async () => {
    await t?.stop();
    await smtp.close();
  });

  async function emailComplaint(from = 'els@example.nl', name = 'Els Jansen'): Promise<string> {
    const { reference } = await t.hub.ingest({
      channel: 'email',
      providerId: CUSTOMER_MAIL,
      messageId: CUSTOMER_MAIL,
      inReplyTo: [],
      from: { kind: 'email', value: from },
      name,
      subject: 'Pakket beschadigd',
      body: 'Mijn pakket kwam beschadigd aan.',
      at: TUESDAY_10,
    });
    return reference;
  }

  it('acknowledges an email complaint by SMTP: our own Message-ID, In-Reply-To and References to her mail, the reference in the subject, Auto-Submitted', async () => {
    const reference = await emailComplaint();
    await t.hub.worker.runDue();
    expect(smtp.received).to.have.length(1);
    const [{ to, mail }] = smtp.received as [{ to: string[]; mail: ParsedMail }];
    expect(to).to.deep.equal(['els@example.nl']);
    expect(mail.from?.value).to.deep.equal([{ name: 'Klantenservice', address: 'klachten@hub.example.nl' }]);
    expect(mail.subject).to.contain(reference);
    expect(mail.messageId).to.match(/^<[0-9a-f-]{36}@hub\.example\.nl>$/);
    expect(mail.inReplyTo).to.equal(CUSTOMER_MAIL);
    expect(mail.references).to.equal(CUSTOMER_MAIL);
    expect(mail.headers.get('auto-submitted')).to.equal('auto-replied');
    expect(mail.text).to.contain(reference);
    // Her reply to our acknowledgement finds the thread by its In-Reply-To.
    const reply = await t.hub.ingest({ channel: 'email', providerId: '<CAF9x2@mail.gmail.com>', messageId: '<CAF9x2@mail.gmail.com>', inReplyTo: [mail.messageId as string], from: { kind: 'email', value: 'els@example.nl' }, subject: 'Re: iets', body: 'Nog een foto', at: TUESDAY_10 + 60_000 });
    expect(reply).to.include({ outcome: 'joined', matchedBy: 'reply-headers', reference });
    expect(await t.hub.ctx.db('outbox').select('id')).to.deep.equal([]);
  });

  it('acknowledges with an HTML part beside the plain text, the customer\'s name escaped in it', async () => {
    const reference = await emailComplaint('els@example.nl', 'Els <img src=x onerror=alert(1)>');
    await t.hub.worker.runDue();
    const mail = smtp.received[0]?.mail as ParsedMail;
    expect(mail.text).to.contain('Beste Els <img src=x onerror=alert(1)>,');
    expect(mail.html).to.contain(`<strong>${reference}</strong>`);
    expect(mail.html).to.contain('Beste Els &lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;,');
    expect(mail.html).to.match(/<a href="http:\/\/localhost:\d+\/callbacks\/offer\?[^"]+">Kies een tijd/);
  });

  it("sends an agent's reply as a person's mail in the same conversation: no Auto-Submitted, References growing", async () => {
    const reference = await emailComplaint();
    await t.hub.worker.runDue();
    const acknowledgement = smtp.received[0]?.mail.messageId as string;
    const sent = await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text: 'Wij sturen een nieuw exemplaar.' } });
    expect(sent.status, sent.text).to.equal(201);
    const mail = smtp.received[1]?.mail;
    expect(mail?.headers.has('auto-submitted')).to.equal(false);
    expect(mail?.subject).to.contain(reference);
    expect(mail?.inReplyTo).to.equal(CUSTOMER_MAIL);
    expect(mail?.references).to.deep.equal([CUSTOMER_MAIL, acknowledgement]);
    expect(mail?.text).to.contain('Wij sturen een nieuw exemplaar.');
  });

  it('fails a mail to an address the SMTP server refuses (550) at once: nothing recorded as sent, the failure on the timeline, no retry', async () => {
    await emailComplaint('bounce@example.nl');
    await t.hub.worker.runDue();
    t.setNow(TUESDAY_10 + 60 * 60_000);
    await t.hub.worker.runDue();
    expect(smtp.received).to.have.length(0);
    expect(await t.hub.ctx.db('contacts').where({ direction: 'outbound' }).select('id')).to.deep.equal([]);
    expect(await t.hub.ctx.db('outbound_sends').first('state', 'attempts', 'error_code')).to.deep.equal({ state: 'failed', attempts: 1, error_code: '550' });
    const events: { kind: string; data: string }[] = await t.hub.ctx.db('timeline_events').whereIn('kind', ['send-failed', 'acknowledgement-not-sent']).orderBy('id').select('kind', 'data');
    expect(events.map((event) => event.kind)).to.deep.equal(['send-failed', 'acknowledgement-not-sent']);
    expect(JSON.parse(events[0]?.data as string)).to.deep.include({ reason: 'refused', channel: 'email', to: 'bounce@example.nl' });
  });

  it('tries a mail again while the SMTP server cannot be reached, and sends it once it can', async () => {
    const url = new URL(smtp.url);
    await smtp.close();
    await emailComplaint();
    await t.hub.worker.runDue();
    expect(await t.hub.ctx.db('outbound_sends').first('state', 'attempts')).to.deep.equal({ state: 'queued', attempts: 1 });
    smtp = await startSmtp({ port: Number(url.port) });
    t.setNow(TUESDAY_10 + 2_000);
    await t.hub.worker.runDue();
    expect(smtp.received).to.have.length(1);
    expect(await t.hub.ctx.db('timeline_events').where({ kind: 'send-delayed' }).count({ n: '*' }).first()).to.deep.include({ n: 1 });
  });

  it('refuses to start with SMTP_URL but no MAIL_FROM', async () => {
    const { readEnv } = await import('../../src/config/env');
    expect(() => readEnv({ SMTP_URL: smtp.url })).to.throw(/MAIL_FROM: required when SMTP_URL is set/);
  });
});
