import { expect } from 'chai';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { startFakeSlackApi, type FakeSlackApi } from '../slack/fake-slack-api';
import { ACCOUNT_SID, AUTH_TOKEN, HUB_NUMBER, fixture, postTwilio, sid } from '../channels/twilio-helpers';
import { at, configWith, runAll, smsComplaint, TUESDAY_10 } from '../promises/helpers';

const SLACK_ENV = (slack: FakeSlackApi) => ({ SLACK_SIGNING_SECRET: 'secret', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.url });

describe(`absence: no slots, no new threads, work handed to a present colleague (${storeName})`, function () {
  let t: TestHub | undefined;
  let slack: FakeSlackApi | undefined;
  afterEach(async () => {
    await t?.stop();
    await slack?.close();
    t = undefined;
    slack = undefined;
  });

  const hub = () => t as TestHub;
  const book = async (reference: string, start: string) => {
    const booked = await hub().request('POST', `/api/threads/${reference}/callbacks`, { body: { start } });
    expect(booked.status, booked.text).to.equal(201);
    return booked.json.callback as { id: number; agent: string };
  };

  it('an absent agent is offered no callback slot: with Anna away, one callback at 10:30 fits, a second is refused; back again, it fits', async () => {
    t = await startHub({ now: TUESDAY_10, config: configWith({ escalation: [] }) });
    const first = await smsComplaint(t, { from: { kind: 'phone', value: '+31611110001' } });
    const second = await smsComplaint(t, { from: { kind: 'phone', value: '+31611110002' } });
    const away = await t.request('PUT', '/api/agents/anna/absence', { body: { from: '2026-11-24', to: '2026-11-24' } });
    expect(away.status, away.text).to.equal(200);
    expect(away.json).to.deep.equal({ absence: { agent: 'anna', from: '2026-11-24', to: '2026-11-24' } });
    expect((await book(first.reference, '2026-11-24T10:30:00+01:00')).agent).to.equal('bram');
    const refused = await t.request('POST', `/api/threads/${second.reference}/callbacks`, { body: { start: '2026-11-24T10:30:00+01:00' } });
    expect(refused.status).to.equal(409);
    // Tomorrow she works again.
    expect((await book(second.reference, '2026-11-25T10:30:00+01:00')).agent).to.equal('anna');

    const back = await t.request('DELETE', '/api/agents/anna/absence');
    expect(back.json).to.deep.equal({ ended: 1 });
    const third = await smsComplaint(t, { from: { kind: 'phone', value: '+31611110003' } });
    expect((await book(third.reference, '2026-11-24T10:30:00+01:00')).agent).to.equal('anna');
    expect((await t.request('PUT', '/api/agents/mallory/absence', { body: { from: '2026-11-24', to: '2026-11-25' } })).status).to.equal(404);
    expect((await t.request('PUT', '/api/agents/anna/absence', { body: { from: '2026-11-26', to: '2026-11-25' } })).status).to.equal(400);
  });

  it("when Bram's absence begins, his threads and his callbacks in it go to Anna, who is told in one message; a transfer to him is refused", async () => {
    slack = await startFakeSlackApi();
    t = await startHub({ now: TUESDAY_10, config: configWith({ escalation: [] }), env: SLACK_ENV(slack) });
    const mine = await smsComplaint(t, { from: { kind: 'phone', value: '+31611110001' } });
    const other = await smsComplaint(t, { from: { kind: 'phone', value: '+31611110002' } });
    expect((await t.request('POST', `/api/threads/${mine.reference}/transfer`, { body: { toAgent: 'bram' } })).status).to.equal(200);
    // Two bookings at Wednesday 10:30 take Anna and then Bram; Anna's is called off, so she is free then.
    const annas = await book(other.reference, '2026-11-25T10:30:00+01:00');
    const brams = await book(mine.reference, '2026-11-25T10:30:00+01:00');
    expect([annas.agent, brams.agent]).to.deep.equal(['anna', 'bram']);
    expect((await t.request('DELETE', `/api/threads/${other.reference}/callbacks/${annas.id}`)).status).to.equal(200);

    expect((await t.request('PUT', '/api/agents/bram/absence', { body: { from: '2026-11-25', to: '2026-11-27' } })).status).to.equal(200);
    await at(t, '2026-11-24T23:59:00+01:00');
    expect((await t.request('GET', `/api/threads/${mine.reference}`)).json.agent).to.equal('bram');
    const before = slack.callsTo('chat.postMessage').length;

    await at(t, '2026-11-25T00:00:00+01:00');
    const thread = (await t.request('GET', `/api/threads/${mine.reference}`)).json;
    expect(thread.agent).to.equal('anna');
    expect(thread.callbacks.map((callback: { agent: string; status: string }) => [callback.agent, callback.status])).to.deep.equal([['anna', 'booked']]);
    expect(thread.timeline.map((event: { kind: string }) => event.kind)).to.include.members(['absence-reassigned', 'callback-reassigned']);
    const told = slack.callsTo('chat.postMessage').slice(before);
    expect(told.map((call) => [call.args.channel, call.args.text])).to.deep.equal([
      ['U0ANNA', `Bram Jansen is afwezig tot en met 27 november. Jij neemt over: ${mine.reference}. Terugbelafspraken die nu van jou zijn: ${mine.reference} wo 25 nov 10:30.`],
    ]);
    // No new thread for him while he is away.
    const transfer = await t.request('POST', `/api/threads/${other.reference}/transfer`, { body: { toAgent: 'bram' } });
    expect(transfer.status).to.equal(409);
    expect(transfer.json.error.message).to.contain('absent until 2026-11-27');
  });

  it('a configured absence is stored at start and counts like one set through the API; what nobody can take is raised with the lead', async () => {
    slack = await startFakeSlackApi();
    const config = configWith({ escalation: [] });
    const agents = config.agents.map((agent) => (agent.id === 'bram' ? { ...agent, absent: [{ from: '2026-11-24', to: '2026-11-24' }] } : agent));
    t = await startHub({ now: TUESDAY_10, config: { ...config, agents }, env: SLACK_ENV(slack) });
    await runAll(t);
    const { reference } = await smsComplaint(t);
    expect((await book(reference, '2026-11-24T10:30:00+01:00')).agent).to.equal('anna');
    expect((await t.request('POST', `/api/threads/${reference}/transfer`, { body: { toAgent: 'bram' } })).status).to.equal(409);
    expect(await t.hub.ctx.db('agent_absences').select('agent_id', 'from_date', 'to_date', 'source')).to.deep.equal([{ agent_id: 'bram', from_date: '2026-11-24', to_date: '2026-11-24', source: 'config' }]);
  });

  it('a call put through goes to a present agent: with Anna, the lead, away, Bram\'s phone rings', async () => {
    t = await startHub({ now: TUESDAY_10, config: configWith({ escalation: [] }), env: { PUBLIC_URL: 'https://hub.example.nl', TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_PHONE_NUMBER: HUB_NUMBER, TWILIO_API_URL: 'http://127.0.0.1:9' } });
    const dial = async () => {
      const callSid = sid('CA');
      await postTwilio(t as TestHub, '/twilio/voice', fixture('voice-inbound', { CallSid: callSid }));
      return (await postTwilio(t as TestHub, '/twilio/voice/describe?lang=nl&attempt=1', fixture('voice-inbound', { CallSid: callSid, Digits: '1' }))).text;
    };
    expect(await dial()).to.contain('<Number url=').and.contain('+31201234567</Number>');
    expect((await t.request('PUT', '/api/agents/anna/absence', { body: { from: '2026-11-24', to: '2026-11-24' } })).status).to.equal(200);
    const twiml = await dial();
    expect(twiml).to.contain('+31201234568</Number>').and.not.contain('+31201234567');
  });

  it("Anna's absence with nobody free at her callback's time: the callback stays, and the leads hear what to move", async () => {
    slack = await startFakeSlackApi();
    t = await startHub({ now: TUESDAY_10, config: configWith({ escalation: [] }), env: SLACK_ENV(slack) });
    const first = await smsComplaint(t, { from: { kind: 'phone', value: '+31611110001' } });
    const second = await smsComplaint(t, { from: { kind: 'phone', value: '+31611110002' } });
    const annas = await book(first.reference, '2026-11-24T14:00:00+01:00');
    await book(second.reference, '2026-11-24T14:00:00+01:00');
    expect(annas.agent).to.equal('anna');
    expect((await t.request('PUT', '/api/agents/anna/absence', { body: { from: '2026-11-24', to: '2026-11-24' } })).status).to.equal(200);
    await runAll(t);
    const callbacks = (await t.request('GET', `/api/threads/${first.reference}`)).json.callbacks;
    expect(callbacks.map((callback: { agent: string }) => callback.agent)).to.deep.equal(['anna']);
    // Anna is the team's only lead, and the one away: the team's channel hears it.
    const raised = slack.callsTo('chat.postMessage').filter((call) => String(call.args.text).includes('niet alles kon worden overgedragen'));
    expect(raised.map((call) => call.args.channel)).to.deep.equal(['C0SERVICE']);
    expect(raised[0]?.args.text).to.contain(`Niemand is vrij voor deze terugbelafspraken; verzet ze: ${first.reference} di 24 nov 14:00.`);
  });
});
