import { expect } from 'chai';
import type { ParsedMail } from 'mailparser';
import { storeName, storeUrl } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { startSmtp, type SmtpStandIn } from '../helpers/smtp';
import { ACCOUNT_SID, AUTH_TOKEN, HUB_NUMBER, TwilioStandIn, fixture, postTwilio, sid } from '../channels/twilio-helpers';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const PUBLIC_URL = 'https://hub.example.nl';
const CUSTOMER = '+31612345678';

/**
 * Exactly once, when Twilio's or the SMTP server's answer is lost: the send was recorded as
 * started before the call, so the next attempt asks the provider (Twilio's Messages list) and
 * records what it finds instead of sending again; an email goes again under its own Message-ID.
 */
describe(`outbound sends: exactly once when the answer is lost (${storeName})`, function () {
  this.timeout(30_000);
  let t: TestHub;
  let api: TwilioStandIn;

  beforeEach(async () => {
    api = new TwilioStandIn();
    await api.start();
    t = await startHub({
      now: TUESDAY_10,
      env: { PUBLIC_URL, TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_PHONE_NUMBER: HUB_NUMBER, TWILIO_API_URL: api.url },
    });
    api.clock = () => t.now();
  });
  afterEach(async () => {
    await t?.stop();
    await api.stop();
  });

  const db = () => t.hub.ctx.db;
  const later = async (ms: number) => {
    t.setNow(t.now() + ms);
    await t.hub.worker.runDue();
  };
  const complaint = async (from = CUSTOMER) => {
    const response = await postTwilio(t, '/twilio/sms', fixture('sms-inbound', { MessageSid: sid('SM'), From: from }));
    expect(response.status, response.text).to.equal(200);
    const thread = await db()('threads').orderBy('id', 'desc').first('id', 'reference');
    return { threadId: Number(thread.id), reference: thread.reference as string };
  };
  const outbound = () => db()('contacts').where({ direction: 'outbound' }).orderBy('id').select('provider_id', 'body');
  const kinds = async (threadId: number) => (await db()('timeline_events').where({ thread_id: threadId }).orderBy('id').pluck('kind')) as string[];

  it('finds an acknowledgement Twilio took but answered 500 in its Messages list, and records it without sending it again', async () => {
    const { threadId } = await complaint();
    api.misbehave({ status: 500, afterCreating: true, times: 1 });
    await t.hub.worker.runDue();
    expect(api.created.messages).to.have.length(1);
    expect(await outbound(), 'no result yet: Twilio answered 500').to.deep.equal([]);
    expect(await db()('outbound_sends').first('state', 'attempts')).to.deep.include({ state: 'sending', attempts: 1 });

    await later(1_000);
    expect(api.messages(), 'asked for one message only').to.have.length(1);
    expect(api.lookups().map((lookup) => lookup.query)).to.deep.include({ To: CUSTOMER, From: HUB_NUMBER, 'DateSent>': '2026-11-24T00:00:00Z', PageSize: '50' });
    const [contact] = await outbound();
    expect(contact?.provider_id).to.equal(api.created.messages[0]?.sid);
    expect(await db()('sms_parts').pluck('provider_id')).to.deep.equal([api.created.messages[0]?.sid]);
    expect(await db()('outbound_sends').first('state')).to.deep.equal({ state: 'sent' });
    expect(await kinds(threadId)).to.include.members(['acknowledged', 'send-delayed']);
    expect((await t.request('GET', '/metrics')).text).to.match(/klachtenhub_outbound_sends_total\{channel="sms",outcome="reconciled"\} 1/);
  });

  it('looks up again when the look-up itself got a 429: the earlier attempt stays unknown until Twilio answers', async () => {
    await complaint();
    api.misbehave({ status: 500, afterCreating: true, times: 1 });
    await t.hub.worker.runDue();
    api.misbehave({ status: 429, retryAfter: '5', requests: 'all', times: 2 });
    await later(1_000);
    expect(await db()('outbound_sends').first('state')).to.deep.equal({ state: 'sending' });
    await later(5_000);
    expect(api.messages(), 'never sent again').to.have.length(1);
    expect((await outbound()).map((contact) => contact.provider_id)).to.deep.equal([api.created.messages[0]?.sid]);
  });

  it('records a message whose result the store refused to commit (read-only) after Twilio took it: taken up again after the lease, nothing sent twice (SQLite)', async function () {
    if (storeUrl) return this.skip(); // SQLite's query_only stands in for a disk that takes no writes
    await complaint();
    api.onCreated = async () => {
      await db().raw('PRAGMA query_only = ON');
    };
    // The result's commit fails, so does recording the job's failure, and the worker's next claim.
    await t.hub.worker.runDue().catch(() => undefined);
    api.onCreated = undefined;
    await db().raw('PRAGMA query_only = OFF');
    // Held until its lease ends; tried for hours, should the store stay away (not the default 5 attempts in 30 s).
    expect(await db()('jobs').where({ kind: 'outbound-send' }).first('state', 'attempts', 'max_attempts')).to.deep.equal({ state: 'running', attempts: 1, max_attempts: 20 });
    expect(await outbound()).to.deep.equal([]);
    await later(5_000); // past the 4 s lease
    expect(api.created.messages).to.have.length(1);
    expect((await outbound()).map((contact) => contact.provider_id)).to.deep.equal([api.created.messages[0]?.sid]);
    expect(await db()('jobs').where({ kind: 'outbound-send' }).first('state', 'attempts')).to.deep.equal({ state: 'done', attempts: 2 });
  });

  it('finds a message whose answer stalled past the client timeout (3 s), and one Twilio still holds queued without a DateSent', async () => {
    api.holdQueued = true;
    await complaint();
    api.misbehave({ stallMs: 3_500, afterCreating: true, times: 1 });
    await t.hub.worker.runDue();
    expect(await db()('outbound_sends').first('state', 'last_error')).to.deep.include({ state: 'sending' });
    await later(1_000);
    expect(api.messages()).to.have.length(1);
    expect((await outbound()).map((contact) => contact.provider_id)).to.deep.equal([api.created.messages[0]?.sid]);
  });

  it('sends the same words twice when an agent says them twice: a lost answer of the second finds the second, not the first', async () => {
    const { reference } = await complaint();
    await t.hub.worker.runDue();
    const reply = (text: string) => t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text } });
    expect((await reply('Wij bellen u morgen.')).status).to.equal(201);
    api.misbehave({ status: 502, afterCreating: true, times: 1 });
    expect((await reply('Wij bellen u morgen.')).status, 'recorded; its send tries again').to.equal(201);
    await later(1_000);
    const bodies = api.created.messages.map((message) => message.body);
    expect(bodies.filter((body) => body === 'Wij bellen u morgen.')).to.have.length(2);
    const replies = (await outbound()).filter((contact) => contact.body === 'Wij bellen u morgen.');
    expect(replies.map((contact) => contact.provider_id)).to.deep.equal(api.created.messages.slice(1).map((message) => message.sid));
  });

  it('sends only the missing part of a long SMS: a lost answer of part 2 is looked up, a refused part 2 is sent again', async () => {
    const { reference } = await complaint();
    await t.hub.worker.runDue();
    const text = `${'woord '.repeat(300)}einde`;
    api.misbehave({ status: 500, afterCreating: true, skip: 1, times: 1 });
    expect((await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text } })).status).to.equal(201);
    expect(api.created.messages).to.have.length(3); // the acknowledgement and both parts
    await later(1_000);
    expect(api.created.messages, 'part 2 was found, not sent again').to.have.length(3);

    api.misbehave({ status: 503, skip: 1, times: 1 });
    expect((await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text: `${text} twee` } })).status).to.equal(201);
    expect(api.created.messages).to.have.length(4);
    await later(1_000);
    expect(api.created.messages, 'part 1 kept, part 2 sent').to.have.length(5);
    const parts: { contact_provider_id: string; part: number }[] = await db()('sms_parts').orderBy('id').select('contact_provider_id', 'part');
    expect(parts.map((part) => part.part)).to.deep.equal([1, 1, 2, 1, 2]);
    expect((await outbound()).map((contact) => contact.provider_id)).to.deep.equal([api.created.messages[0]?.sid, api.created.messages[1]?.sid, api.created.messages[3]?.sid]);
  });
});

describe(`outbound sends: an email sent again keeps its Message-ID (${storeName})`, function () {
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

  it('sends the acknowledgement again under the same Message-ID when the connection dropped after the server took it: one mail to her client', async () => {
    await t.hub.ingest({ channel: 'email', providerId: '<a1@mail.example.nl>', messageId: '<a1@mail.example.nl>', from: { kind: 'email', value: 'els@example.nl' }, name: 'Els', subject: 'Pakket', body: 'Kapot', at: TUESDAY_10 });
    smtp.loseAnswers(1);
    await t.hub.worker.runDue();
    expect(smtp.received).to.have.length(1);
    expect(await t.hub.ctx.db('contacts').where({ direction: 'outbound' }).select('id')).to.deep.equal([]);
    t.setNow(TUESDAY_10 + 2_000);
    await t.hub.worker.runDue();
    const [first, second] = smtp.received.map((received) => received.mail) as [ParsedMail, ParsedMail];
    expect(second?.messageId).to.equal(first.messageId);
    expect(second?.text).to.equal(first.text);
    const contacts = await t.hub.ctx.db('contacts').where({ direction: 'outbound' }).select('message_id');
    expect(contacts).to.deep.equal([{ message_id: first.messageId }]);
  });
});
