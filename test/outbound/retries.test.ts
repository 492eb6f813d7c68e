import { expect } from 'chai';
import { setPassword } from '../../src/console/credentials';
import { storeName } from '../helpers/db';
import { ConsoleClient } from '../console/console-client';
import { startHub, type TestHub } from '../helpers/hub';
import { ACCOUNT_SID, AUTH_TOKEN, HUB_NUMBER, TwilioStandIn, fixture, postTwilio, sid } from '../channels/twilio-helpers';

/** Tuesday 24 November 2026, 10:00 in Amsterdam (demo config: Anna, the lead, +31201234567; Bram +31201234568). */
const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const PUBLIC_URL = 'https://hub.example.nl';
const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/**
 * A provider that fails for a while: every send is tried again with growing waits (at least what
 * a 429 asks) for as long as its promise allows, each exactly once in the end, and every delay, a
 * missed promise and a failure shows on the thread's timeline, in /metrics and to the team's lead.
 */
describe(`outbound sends: a provider that fails for a while (${storeName})`, function () {
  this.timeout(60_000);
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
  /** The hub's clock moves on in steps, the job worker running what fell due at each. */
  const runUntil = async (at: number, step = SECOND) => {
    while (t.now() < at) {
      t.setNow(Math.min(at, t.now() + step));
      await t.hub.worker.runDue();
    }
  };
  const complaint = async (from: string) => {
    const response = await postTwilio(t, '/twilio/sms', fixture('sms-inbound', { MessageSid: sid('SM'), From: from }));
    expect(response.status, response.text).to.equal(200);
  };
  const kindsPerThread = async (kind: string) => {
    const rows: { thread_id: number; n: number | string }[] = await db()('timeline_events').where({ kind }).groupBy('thread_id').select('thread_id').count({ n: '*' });
    return rows.map((row) => Number(row.n));
  };
  const leadWarnings = async (words: string) => (await db()('outbox').where({ channel: 'slack', recipient: 'U0ANNA' }).pluck('body')).filter((body: string) => body.includes(words));
  const metrics = async () => (await t.request('GET', '/metrics')).text;

  it('a Twilio answering 500 for a minute: 30 acknowledgements go out once each after it, each delay and missed promise on the timeline, the lead told', async () => {
    api.misbehave({ status: 500, requests: 'all' });
    const customers = Array.from({ length: 30 }, (_, i) => `+316100000${String(i).padStart(2, '0')}`);
    for (const customer of customers) await complaint(customer);
    await runUntil(TUESDAY_10 + MINUTE);
    expect(api.created.messages).to.have.length(0);
    expect((await kindsPerThread('send-delayed')).length, 'every thread shows the delay').to.equal(30);
    expect(await leadWarnings('haalt de beloofde tijd'), 'Anna hears of each missed acknowledgement once').to.have.length(30);

    api.behave();
    await runUntil(TUESDAY_10 + 3 * MINUTE);
    expect(api.created.messages.map((message) => message.to).sort()).to.deep.equal(customers);
    expect(await db()('contacts').where({ direction: 'outbound' }).count({ n: '*' }).first()).to.deep.include({ n: 30 });
    expect(await kindsPerThread('send-delayed')).to.deep.equal(Array(30).fill(1));
    expect(await kindsPerThread('send-late')).to.deep.equal(Array(30).fill(1));
    expect(await kindsPerThread('send-failed')).to.deep.equal([]);
    const sentAt = api.created.messages.map((message) => message.dateCreated - TUESDAY_10);
    expect(Math.max(...sentAt), 'out within about half a minute of Twilio coming back').to.be.at.most(95 * SECOND);
    const text = await metrics();
    expect(text).to.match(/klachtenhub_outbound_sends_total\{channel="sms",outcome="sent"\} 30/);
    expect(text).to.match(/klachtenhub_outbound_attempt_failures_total\{channel="sms",failure="transient"\} \d{3}/);
    expect(text).not.to.match(/klachtenhub_outbound_pending\{/);
  });

  it("honours a 429's Retry-After: the next attempt waits at least that long", async () => {
    api.misbehave({ status: 429, retryAfter: '20', times: 2 });
    await complaint('+31612345678');
    await t.hub.worker.runDue();
    expect(api.messages()).to.have.length(1);
    await runUntil(TUESDAY_10 + 19 * SECOND);
    expect(api.messages(), 'not before 20 s').to.have.length(1);
    await runUntil(TUESDAY_10 + 20 * SECOND);
    expect(api.messages()).to.have.length(2);
    await runUntil(TUESDAY_10 + 39 * SECOND);
    expect(api.messages()).to.have.length(2);
    await runUntil(TUESDAY_10 + 40 * SECOND);
    expect(api.created.messages).to.have.length(1);
    // A 429 means Twilio did not take it: no look-up needed before the next try.
    expect(api.lookups()).to.have.length(0);
  });

  it('a 429 storm: 20 acknowledgements told to wait 30 s each wait that long, and go out once each after it', async () => {
    api.misbehave({ status: 429, retryAfter: '30', times: 20 });
    const customers = Array.from({ length: 20 }, (_, i) => `+316200000${String(i).padStart(2, '0')}`);
    for (const customer of customers) await complaint(customer);
    await t.hub.worker.runDue();
    expect(api.messages()).to.have.length(20);
    await runUntil(TUESDAY_10 + 29 * SECOND);
    expect(api.messages(), 'nothing asked again before Retry-After').to.have.length(20);
    await runUntil(TUESDAY_10 + 31 * SECOND);
    expect(api.created.messages.map((message) => message.to).sort()).to.deep.equal(customers);
    expect(api.messages()).to.have.length(40);
  });

  it('fails an acknowledgement to a number Twilio refuses (21211) at once: no retry, on the timeline, the lead told', async () => {
    api.misbehave({ status: 400, code: 21211, times: 1 });
    await complaint('+31612345678');
    await t.hub.worker.runDue();
    await runUntil(TUESDAY_10 + 10 * MINUTE, MINUTE);
    expect(api.messages()).to.have.length(1);
    const events: { kind: string; data: string }[] = await db()('timeline_events').whereIn('kind', ['send-failed', 'acknowledgement-not-sent']).orderBy('id').select('kind', 'data');
    expect(events.map((event) => event.kind)).to.deep.equal(['send-failed', 'acknowledgement-not-sent']);
    expect(JSON.parse(events[0]?.data as string)).to.deep.include({ reason: 'refused', code: '21211', channel: 'sms', purpose: 'acknowledgement', attempts: 1 });
    expect(await leadWarnings('Niet verstuurd')).to.have.length(1);
    expect(await metrics()).to.match(/klachtenhub_outbound_sends_total\{channel="sms",outcome="refused"\} 1/);

    // The agent sees it in the console's dossier, in words.
    await setPassword(db(), { agentId: 'anna', password: 'lange-zin-voor-anna', now: t.now() });
    const console = new ConsoleClient(t);
    expect((await console.login('anna', 'lange-zin-voor-anna')).status).to.equal(303);
    const [thread] = await db()('threads').select('reference');
    const page = (await console.get(`/console/threads/${thread.reference}`)).html;
    expect(page).to.contain('Niet verstuurd').and.contain('Ontvangstbevestiging').and.contain('Twilio 400').and.contain('heeft geen zin: geweigerd');
  });

  it("gives an agent's reply up after a day of failures, visibly, and tries nothing after", async () => {
    await complaint('+31612345678');
    await t.hub.worker.runDue();
    const [thread] = await db()('threads').select('reference', 'id');
    api.misbehave({ status: 503, requests: 'all' });
    const reply = await t.request('POST', `/api/threads/${thread.reference}/replies`, { body: { agent: 'anna', text: 'Wij sturen een nieuwe.' } });
    expect(reply.status, reply.text).to.equal(201);
    const before = api.requests.length;
    await runUntil(TUESDAY_10 + 24 * 60 * MINUTE + MINUTE, 5 * MINUTE);
    // Each try after the first asks Twilio first whether the one before went out (a 503 may have).
    const tries = api.requests.length - before;
    expect(tries, 'tried all day, at most 5 minutes apart').to.be.within(2 * 280, 2 * 300);
    const failed = await db()('timeline_events').where({ kind: 'send-failed' }).first('data');
    expect(JSON.parse(failed.data)).to.deep.include({ reason: 'gave-up', purpose: 'reply' });
    expect(await leadWarnings('Niet verstuurd')).to.have.length(1);
    await runUntil(TUESDAY_10 + 26 * 60 * MINUTE, 5 * MINUTE);
    expect(api.requests.length - before).to.equal(tries);
  });

  describe('callback calls', () => {
    const book = async (from: string, start: string) => {
      await complaint(from);
      const [thread] = await db()('threads').orderBy('id', 'desc').select('reference');
      const booked = await t.request('POST', `/api/threads/${thread.reference}/callbacks`, { body: { start } });
      expect(booked.status, booked.text).to.equal(201);
      return { reference: thread.reference as string, callbackId: booked.json.callback.id as number };
    };
    const callbackOf = async (reference: string) => (await t.request('GET', `/api/threads/${reference}`)).json.callbacks[0];

    it('places a call due during a one-minute Twilio outage once, seconds after Twilio is back, within its slot', async () => {
      const { reference } = await book('+31612345678', '2026-11-24T10:30:00+01:00');
      await runUntil(Date.parse('2026-11-24T10:29:30+01:00'), MINUTE);
      api.misbehave({ status: 500, requests: 'all' });
      await runUntil(Date.parse('2026-11-24T10:31:00+01:00'));
      expect(api.created.calls).to.have.length(0);
      api.behave();
      await runUntil(Date.parse('2026-11-24T10:35:00+01:00'));
      expect(api.created.calls).to.have.length(1);
      const placed = (api.created.calls[0]?.dateCreated as number) - Date.parse('2026-11-24T10:31:00+01:00');
      expect(placed, 'within 16 s of Twilio coming back').to.be.at.most(16 * SECOND);
      expect(await callbackOf(reference)).to.deep.include({ status: 'booked', outcome: 'calling-agent' });
      expect(await db()('timeline_events').where({ kind: 'callback-started' }).count({ n: '*' }).first()).to.deep.include({ n: 1 });
    });

    it('misses a callback Twilio is down for the whole slot: on the timeline, the lead told, new times offered once Twilio is back', async () => {
      const { reference } = await book('+31612345678', '2026-11-24T10:30:00+01:00');
      await runUntil(Date.parse('2026-11-24T10:29:00+01:00'), MINUTE);
      api.misbehave({ status: 500, requests: 'all' });
      // Tried until the slot's last minute: a call then leaves no time to talk.
      await runUntil(Date.parse('2026-11-24T10:44:00+01:00'), 5 * SECOND);
      expect(await callbackOf(reference)).to.deep.include({ status: 'missed', outcome: 'call-not-placed' });
      const kinds: string[] = await db()('timeline_events').orderBy('id').pluck('kind');
      expect(kinds).to.include.members(['send-delayed', 'send-failed', 'callback-missed', 'callback-offered']);
      expect(await leadWarnings('terugbelgesprek')).to.have.length(1);
      api.behave();
      await runUntil(Date.parse('2026-11-24T10:50:00+01:00'), 5 * SECOND);
      expect(api.created.calls).to.have.length(0);
      const offers = api.created.messages.filter((message) => message.body?.includes('Wanneer mogen we u terugbellen'));
      expect(offers).to.have.length(1);
    });

    it('places calls due together at TWILIO_CALLS_PER_SECOND (1): a second apart', async () => {
      await book('+31612345678', '2026-11-24T10:30:00+01:00');
      await book('+31612345679', '2026-11-24T10:30:00+01:00');
      await runUntil(Date.parse('2026-11-24T10:30:05+01:00'), 500);
      const placed = api.created.calls.map((call) => call.dateCreated - Date.parse('2026-11-24T10:30:00+01:00'));
      expect(placed).to.deep.equal([0, SECOND]);
    });
  });
});
