import { expect } from 'chai';
import { storeName } from '../helpers/db';
import { emlFixture } from '../helpers/eml';
import { eventually, useMailHub } from '../helpers/mail-hub';
import { ACCOUNT_SID, AUTH_TOKEN, fixture, HUB_NUMBER, postTwilio, sid, TwilioStandIn } from './twilio-helpers';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const ELS = 'els.jansen@gmail.com';
const ELS_MOBILE = '+31612345678';
const MALLORY = 'mallory@evil.example';

/** A plain mail as a stranger's client sends it; `headers` go on top, as a receiving server adds its own. */
function plainMail(args: { from: string; subject: string; body: string; id: string; headers?: string[] }): string {
  return [
    ...(args.headers ?? []),
    `From: ${args.from}`,
    'To: klachten@example.nl',
    `Subject: ${args.subject}`,
    'Date: Tue, 24 Nov 2026 10:20:00 +0100',
    `Message-ID: <${args.id}@evil.example>`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    args.body,
    '',
  ].join('\r\n');
}

describe(`proof before trust, by mail and SMS through real servers (${storeName})`, function () {
  this.timeout(60_000);
  const twilioApi = new TwilioStandIn();
  before(() => twilioApi.start());
  after(() => twilioApi.stop());
  beforeEach(() => twilioApi.requests.splice(0));
  const mail = useMailHub({
    folderPrefix: 'Proof',
    now: TUESDAY_10,
    env: () => ({
      PUBLIC_URL: 'https://hub.example.nl',
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_PHONE_NUMBER: HUB_NUMBER,
      TWILIO_API_URL: twilioApi.url,
    }),
  });

  const db = () => mail.t.hub.ctx.db;
  const mailTo = (address: string) => mail.smtp.received.filter((received) => received.to.includes(address));
  const smsTo = (number: string) => twilioApi.requests.filter((request) => request.path.endsWith('/Messages.json') && request.form.To === number);

  async function deliver(source: string): Promise<void> {
    await mail.readPast(await mail.deliver(source));
  }

  async function dossier(reference: string) {
    return (await mail.t.request('GET', `/api/threads/${reference}`)).json;
  }

  /** Els's complaint by mail, acknowledged to her: its reference. */
  async function elsComplains(): Promise<string> {
    await deliver(emlFixture('gmail-new-complaint'));
    await mail.t.hub.worker.runDue();
    await eventually(async () => mailTo(ELS).length > 0, 'her acknowledgement');
    return (await db()('threads').orderBy('id').first('reference')).reference;
  }

  it('a stranger who mails her reference reaches her thread unverified; replies, callback notices and his own acknowledgement never carry her thread to him', async () => {
    const reference = await elsComplains();
    await deliver(plainMail({ from: `Els Jansen <${MALLORY}>`, subject: `Re: ${reference}`, body: 'Mijn nieuwe IBAN is NL00EVIL0123456789, stuur alles hierheen.', id: 'm1' }));

    const view = await dossier(reference);
    const contacts = view.contacts.filter((contact: { direction: string }) => contact.direction === 'inbound');
    expect(contacts.map((contact: { from: string; verified: boolean }) => [contact.from, contact.verified])).to.deep.equal([
      [ELS, true],
      [MALLORY, false],
    ]);
    expect(view.customer.emails).to.deep.equal([ELS]);
    expect(view.customer.claims.map((claim: { value: string; via: string }) => [claim.value, claim.via])).to.deep.include([MALLORY, 'reference']);

    // The agent answers without choosing a channel: it goes to her, not to the last sender.
    const reply = await mail.t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text: 'Uw rekeningnummer eindigt op 1234.' } });
    expect(reply.json).to.deep.equal({ reply: { channel: 'email', to: ELS } });
    // A callback booked for her is confirmed to her alone.
    const [slot] = (await mail.t.request('GET', `/api/callbacks/slots?reference=${reference}&limit=1`)).json;
    expect((await mail.t.request('POST', `/api/threads/${reference}/callbacks`, { body: { start: slot.start } })).status).to.equal(201);
    await mail.t.hub.worker.runDue();
    await eventually(async () => mailTo(ELS).length >= 3, 'her reply and callback confirmation');

    // His next mail, without her reference, is his own complaint: acknowledged to him, without her name.
    await deliver(plainMail({ from: `Els Jansen <${MALLORY}>`, subject: 'Nog iets', body: 'Hallo?', id: 'm2' }));
    await mail.t.hub.worker.runDue();
    const [ack] = await eventually(async () => mailTo(MALLORY).length > 0 && mailTo(MALLORY), 'his own acknowledgement');
    expect(ack?.mail.subject).to.not.contain(reference);
    expect(ack?.mail.text).to.not.contain(reference);
    expect(mailTo(MALLORY)).to.have.length(1);
    const threads = await db()('threads').orderBy('id').select('reference', 'customer_id');
    expect(threads).to.have.length(2);
    expect(threads[1]?.customer_id).to.not.equal(threads[0]?.customer_id);

    // Her thread resolved: the satisfaction question is hers too.
    const resolved = await mail.t.request('POST', `/api/threads/${reference}/resolve`, { body: { agent: 'anna', resolution: 'Nieuwe lamp verstuurd' } });
    expect(resolved.json.satisfactionQuestion).to.deep.equal({ channel: 'email', to: ELS });
    await eventually(async () => mailTo(ELS).length >= 4, 'the satisfaction question');
    expect(mailTo(MALLORY)).to.have.length(1);
  });

  it('a phone number in a mail is a claim: its owner\'s first SMS opens her own thread, and the mail\'s sender gets no SMS', async () => {
    await deliver(plainMail({ from: `Piet <piet@example.nl>`, subject: 'Klacht', body: 'Bel mij gerust op 06 12345678.', id: 'p1' }));
    const piet = (await db()('threads').orderBy('id').first('reference')).reference;
    expect((await dossier(piet)).customer.claims.map((claim: { kind: string; value: string; via: string }) => [claim.kind, claim.value, claim.via])).to.deep.equal([['phone', ELS_MOBILE, 'email-text']]);

    const sms = await postTwilio(mail.t, '/twilio/sms', fixture('sms-inbound', { From: ELS_MOBILE, MessageSid: sid('SM'), Body: 'Mijn pakket is niet bezorgd' }));
    expect(sms.status).to.equal(200);
    const threads = await db()('threads').orderBy('id').select('reference', 'customer_id');
    expect(threads).to.have.length(2);
    expect(threads[1]?.customer_id).to.not.equal(threads[0]?.customer_id);

    // Piet's thread has no proven number: an SMS reply is refused, and nothing went to her number for him.
    const bySms = await mail.t.request('POST', `/api/threads/${piet}/replies`, { body: { agent: 'anna', text: 'Wij bellen u.', channel: 'sms' } });
    expect(bySms.status).to.equal(422);
    await mail.t.hub.worker.runDue();
    expect(smsTo(ELS_MOBILE).map((request) => request.form.Body).join('\n')).to.not.contain(piet);
  });

  it('a mail our server marked dmarc=fail is no proof: it joins nothing of hers and nobody is acknowledged', async () => {
    const reference = await elsComplains();
    const acknowledged = mailTo(ELS).length;
    // The receiving server's verdict is on top; a sender can only add lines below it.
    const spoofed = plainMail({
      from: `Els Jansen <${ELS}>`,
      subject: 'Nieuw adres',
      body: 'Stuur het antwoord voortaan naar mallory@evil.example',
      id: 's1',
      headers: ['Authentication-Results: mx.example.nl; spf=fail smtp.mailfrom=evil.example; dmarc=fail (p=none) header.from=gmail.com', 'Authentication-Results: evil.example; dmarc=pass'],
    });
    await deliver(spoofed);
    await mail.t.hub.worker.runDue();

    const threads = await db()('threads').orderBy('id').select('id', 'reference', 'customer_id');
    expect(threads).to.have.length(2);
    expect((await dossier(reference)).contacts.filter((contact: { direction: string }) => contact.direction === 'inbound')).to.have.length(1);
    const spoofedThread = await dossier(threads[1]?.reference as string);
    expect(spoofedThread.contacts[0]).to.include({ verified: false, from: ELS });
    expect(spoofedThread.customer.emails).to.deep.equal([]);
    expect(spoofedThread.timeline.map((event: { kind: string }) => event.kind)).to.include('acknowledgement-not-sent');
    expect(mailTo(ELS)).to.have.length(acknowledged);
  });

  it('her own mail and SMS are still recognised as hers: an agent-confirmed number joins her thread by identity', async () => {
    const reference = await elsComplains();
    await deliver(emlFixture('gmail-reply', { reference, ackMessageId: mailTo(ELS)[0]?.mail.messageId as string }));
    expect((await dossier(reference)).contacts.filter((contact: { direction: string; verified: boolean }) => contact.direction === 'inbound' && contact.verified)).to.have.length(2);

    // She gave her mobile on the phone; the agent confirms it, and her SMS joins her thread.
    expect((await mail.t.request('POST', `/api/threads/${reference}/identities/confirm`, { body: { kind: 'phone', value: '06 12345678', agent: 'anna' } })).status).to.equal(201);
    await postTwilio(mail.t, '/twilio/sms', fixture('sms-inbound', { From: ELS_MOBILE, MessageSid: sid('SM'), Body: 'Ik ben vanmiddag thuis' }));
    const view = await dossier(reference);
    expect(view.customer.phones).to.deep.equal([ELS_MOBILE]);
    expect(view.customer.identities.find((identity: { kind: string }) => identity.kind === 'phone')).to.include({ proof: 'agent', by: 'anna' });
    expect(view.contacts.at(-1)).to.include({ channel: 'sms', verified: true });
    expect(view.customer.claims).to.deep.equal([]);
  });
});
