import { expect } from 'chai';
import type { JobHandler } from '../../src/jobs/worker';
import { PROMISE_LATE_JOB } from '../../src/promises/lifecycle';
import { promiseJobHandlers } from '../../src/promises/jobs';
import { PROMISE_WATCH_JOB } from '../../src/promises/watch-schedule';
import { ACCOUNT_SID, AUTH_TOKEN, HUB_NUMBER, fixture, postTwilio, sid } from '../channels/twilio-helpers';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { at, configWith, CUSTOMER, dossier, outbox, runAll, smsComplaint, TUESDAY_10 } from './helpers';

/** What the customer was told about late promises. */
const lateNotices = async (t: TestHub) => (await outbox(t)).filter((message) => message.body.startsWith('Het spijt ons'));

/** No escalation steps: these tests are about the promises themselves. */
const quiet = () => configWith({ escalation: [] });

describe(`promises: kept, broken, renewed (${storeName})`, function () {
  let t: TestHub;
  afterEach(async () => {
    await t?.stop();
  });

  it('a new thread carries its promises in the dossier as the SPEC shapes them: the acknowledgement kept, first response and resolution open', async () => {
    t = await startHub({ now: TUESDAY_10, config: quiet() });
    const { reference } = await smsComplaint(t);
    const promises = (await dossier(t, reference)).promises;
    expect(promises.map(({ id, ...rest }: { id: number }) => (expect(id).to.be.a('number'), rest))).to.deep.equal([
      { kind: 'acknowledgement', due: '2026-11-24T10:01:00+01:00', owner: { team: 'service' }, state: 'kept', keptAt: '2026-11-24T10:00:00+01:00' },
      // Tuesday 10:00 + 8 service hours (2.5 before lunch, 3.5 after, 2 on Wednesday).
      { kind: 'first-response', due: '2026-11-25T11:00:00+01:00', owner: { team: 'service' }, state: 'open' },
      // + 24 service hours: Tuesday 6, Wednesday 8, Thursday 8, Friday 2.
      { kind: 'resolution', due: '2026-11-27T11:00:00+01:00', owner: { team: 'service' }, state: 'open' },
    ]);
  });

  it("an agent's reply keeps the first response, and the agent owns the thread's promises from then on", async () => {
    t = await startHub({ now: TUESDAY_10, config: quiet() });
    const { reference } = await smsComplaint(t);
    await at(t, '2026-11-24T10:30:00+01:00');
    expect((await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text: 'We kijken ernaar.' } })).status).to.equal(201);
    const firstResponse = (await dossier(t, reference)).promises.find((promise: { kind: string }) => promise.kind === 'first-response');
    expect(firstResponse).to.include({ state: 'kept', keptAt: '2026-11-24T10:30:00+01:00' });
    expect(firstResponse.owner).to.deep.equal({ team: 'service', agent: 'anna' });
  });

  it('a first response not given in time is broken and renewed 4 service hours on, and the customer is told by SMS, once, that it is late and the new time', async () => {
    t = await startHub({ now: TUESDAY_10, config: quiet() });
    const { reference } = await smsComplaint(t);
    await at(t, '2026-11-25T10:59:00+01:00');
    expect((await outbox(t, { channel: 'sms', purpose: 'reply' }))).to.deep.equal([]);

    await at(t, '2026-11-25T11:00:00+01:00');
    const promises = (await dossier(t, reference)).promises.filter((promise: { kind: string }) => promise.kind === 'first-response');
    expect(promises.map((promise: { state: string; due: string }) => [promise.state, promise.due])).to.deep.equal([
      ['broken', '2026-11-25T11:00:00+01:00'],
      // Wednesday 11:00 + 4 service hours.
      ['open', '2026-11-25T15:00:00+01:00'],
    ]);
    const told = await outbox(t, { channel: 'sms', purpose: 'reply' });
    expect(told).to.deep.equal([
      {
        channel: 'sms',
        recipient: CUSTOMER,
        subject: null,
        body: `Het spijt ons: we hebben u niet vóór woensdag 25 november 11:00 kunnen antwoorden over uw klacht ${reference}, zoals we hadden beloofd. U hoort uiterlijk woensdag 25 november 15:00 van ons.`,
        purpose: 'reply',
      },
    ]);

    // The watch comes round again: nothing more to say until the new time passes too.
    await at(t, '2026-11-25T14:59:00+01:00');
    expect(await outbox(t, { channel: 'sms', purpose: 'reply' })).to.have.length(1);
    // A reply now keeps the renewed promise; the broken one stays broken.
    expect((await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'bram', text: 'Sorry voor het wachten.' } })).status).to.equal(201);
    const after = (await dossier(t, reference)).promises.filter((promise: { kind: string }) => promise.kind === 'first-response');
    expect(after.map((promise: { state: string }) => promise.state)).to.deep.equal(['broken', 'kept']);
    await at(t, '2026-11-25T16:00:00+01:00');
    expect(await lateNotices(t)).to.have.length(1);
  });

  it('a reply late, before the watch came round, breaks the promise without renewing it or telling the customer a new time', async () => {
    t = await startHub({ now: TUESDAY_10, config: quiet() });
    const { reference } = await smsComplaint(t);
    t.setNow(Date.parse('2026-11-25T11:00:20+01:00'));
    expect((await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text: 'Hier is ons antwoord.' } })).status).to.equal(201);
    await runAll(t);
    const promises = (await dossier(t, reference)).promises.filter((promise: { kind: string }) => promise.kind === 'first-response');
    expect(promises.map((promise: { state: string }) => promise.state)).to.deep.equal(['broken']);
    expect(await lateNotices(t)).to.deep.equal([]);
  });
});

describe(`promises: never a past time, told once, only to her (${storeName})`, function () {
  let t: TestHub;
  afterEach(async () => {
    await t?.stop();
  });

  const STRANGER = '+31687654321';

  it('an acknowledgement sent after its first-response time has passed (a hub that was down) names the renewed time, and no separate apology', async () => {
    t = await startHub({ now: TUESDAY_10, config: quiet() });
    const { reference } = await t.hub.ingest({ channel: 'sms', providerId: 'SMdown1', from: { kind: 'phone', value: CUSTOMER }, name: 'Els Jansen', body: 'Mijn telefoon doet het niet', at: TUESDAY_10 });
    await at(t, '2026-11-25T11:30:00+01:00');
    const sms = await outbox(t, { channel: 'sms' });
    expect(sms.map((message) => message.body)).to.deep.equal([
      `Beste Els Jansen, we hebben uw klacht ontvangen onder nummer ${reference}. Een medewerker reageert uiterlijk woensdag 25 november 15:30. Noem dit nummer als u contact met ons opneemt.`,
    ]);
    const firstResponse = (await dossier(t, reference)).promises.filter((promise: { kind: string }) => promise.kind === 'first-response');
    expect(firstResponse.map((promise: { state: string; due: string }) => [promise.state, promise.due])).to.deep.equal([
      ['broken', '2026-11-25T11:00:00+01:00'],
      ['open', '2026-11-25T15:30:00+01:00'],
    ]);
    // The watch finds nothing more to say about it.
    await at(t, '2026-11-25T12:00:00+01:00');
    expect(await outbox(t, { channel: 'sms' })).to.have.length(1);
  });

  it('the IVR status right after a first response fell due, before the watch came round, names the renewed time, not the one gone by; she is told the new time by SMS once', async () => {
    const PUBLIC_URL = 'https://hub.example.nl';
    t = await startHub({ now: TUESDAY_10, config: quiet(), env: { PUBLIC_URL, TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_PHONE_NUMBER: HUB_NUMBER, TWILIO_API_URL: 'http://127.0.0.1:9' } });
    const { reference } = await smsComplaint(t);
    t.setNow(Date.parse('2026-11-25T11:00:30+01:00'));
    const callSid = sid('CA');
    const call = async (path: string, form: Record<string, string>) => (await postTwilio(t, path, fixture('voice-inbound', { CallSid: callSid, From: STRANGER, Caller: STRANGER, ...form }))).text;
    await call('/twilio/voice/describe?lang=nl&attempt=1', { Digits: '3' });
    const told = await call('/twilio/voice/reference?lang=nl&attempt=1', { Digits: reference.slice(3) });
    expect(told).to.contain('Een medewerker reageert uiterlijk woensdag 25 november 15:15.');
    expect(told).not.to.contain('11:00');
    await runAll(t);
    await at(t, '2026-11-25T11:05:00+01:00');
    // With Twilio the SMS are recorded as sends for the provider (its stand-in here does not answer).
    const sends: { recipient: string; content: string }[] = await t.hub.ctx.db('outbound_sends').where({ channel: 'sms', purpose: 'reply' }).select('recipient', 'content');
    const notices = sends.map((send) => ({ recipient: send.recipient, body: JSON.parse(send.content).body as string })).filter((message) => message.body.startsWith('Het spijt ons'));
    expect(notices.map((message) => [message.recipient, message.body.endsWith('U hoort uiterlijk woensdag 25 november 15:15 van ons.')])).to.deep.equal([[CUSTOMER, true]]);
  });

  it('a stranger who texted her reference is never the one told the new time: it goes to her proven number', async () => {
    t = await startHub({ now: TUESDAY_10, config: quiet() });
    const { reference } = await smsComplaint(t);
    await at(t, '2026-11-24T16:00:00+01:00');
    const stranger = await t.hub.ingest({ channel: 'sms', providerId: 'SMstranger2', from: { kind: 'phone', value: STRANGER }, body: `${reference} waarom duurt dit zo lang`, at: t.now() });
    expect(stranger).to.include({ reference, verified: false });
    await at(t, '2026-11-25T11:00:00+01:00');
    expect((await lateNotices(t)).map((message) => message.recipient)).to.deep.equal([CUSTOMER]);
    expect((await outbox(t)).filter((message) => message.recipient === STRANGER)).to.deep.equal([]);
  });

  it('a late notice job that crashed before its commit, and is run again, tells her once; a second watch scan of the same minute changes nothing', async () => {
    t = await startHub({ now: TUESDAY_10, config: quiet() });
    await smsComplaint(t);
    const handlers = new Map(promiseJobHandlers(t.hub.ctx));
    const run = (kind: string, payload: unknown) =>
      t.hub.ctx.db.transaction((trx) => (handlers.get(kind) as JobHandler)({ id: 0, kind, payload, attempts: 1, runAt: t.now(), leaseUntil: t.now() + 60_000, lockedBy: 'test' }, trx));

    // The watch breaks the promise and asks for the notice (the notice's own job not yet run).
    t.setNow(Date.parse('2026-11-25T11:00:00+01:00'));
    await run(PROMISE_WATCH_JOB, null);
    const [late] = await t.hub.ctx.db('jobs').where({ kind: PROMISE_LATE_JOB, state: 'queued' }).select('payload');
    const payload = JSON.parse(late.payload);
    // A worker tells her and dies before the commit: nothing of it stays.
    const crash = new Error('worker died');
    const crashed = await t.hub.ctx.db.transaction(async (trx) => {
      await (handlers.get(PROMISE_LATE_JOB) as JobHandler)({ id: 0, kind: PROMISE_LATE_JOB, payload, attempts: 1, runAt: t.now(), leaseUntil: t.now(), lockedBy: 'dead' }, trx);
      expect((await trx('outbox').select('body')).filter((row) => String(row.body).startsWith('Het spijt ons'))).to.have.length(1);
      throw crash;
    }).catch((error: unknown) => error);
    expect(crashed).to.equal(crash);
    expect(await lateNotices(t)).to.deep.equal([]);

    // The job runs again (another worker, after the lease): she is told once.
    await runAll(t);
    expect(await lateNotices(t)).to.have.length(1);
    // Two scans for the same minute (two instances), and the notice's handler run once more: still once.
    await run(PROMISE_WATCH_JOB, null);
    await run(PROMISE_LATE_JOB, payload);
    await runAll(t);
    expect(await lateNotices(t)).to.have.length(1);
    expect(await t.hub.ctx.db('promises').where({ kind: 'first-response' }).select('state')).to.have.length(2);
  });

  it('two scans at the same moment (two hub instances) break a promise once, renew it once and tell her once', async () => {
    t = await startHub({ now: TUESDAY_10, config: quiet() });
    await smsComplaint(t);
    const scan = new Map(promiseJobHandlers(t.hub.ctx)).get(PROMISE_WATCH_JOB) as JobHandler;
    const run = () => t.hub.ctx.db.transaction((trx) => scan({ id: 0, kind: PROMISE_WATCH_JOB, payload: null, attempts: 1, runAt: t.now(), leaseUntil: t.now() + 60_000, lockedBy: 'test' }, trx));
    t.setNow(Date.parse('2026-11-25T11:00:00+01:00'));
    await Promise.all([run(), run()]);
    await runAll(t);
    const firstResponse = await t.hub.ctx.db('promises').where({ kind: 'first-response' }).orderBy('id').select('state');
    expect(firstResponse.map((row) => row.state)).to.deep.equal(['broken', 'open']);
    expect(await lateNotices(t)).to.have.length(1);
  });
});
