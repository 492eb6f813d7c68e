import { expect } from 'chai';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { CALLBACK_START_ACTION } from '../../src/handoff/render-slack';
import { ACCOUNT_SID, AUTH_TOKEN, HUB_NUMBER, TwilioStandIn, postTwilio, sid } from '../channels/twilio-helpers';
import { startFakeSlackApi } from '../slack/fake-slack-api';
import { SECRET, buttonClick, slackHeaders } from '../slack/slack-requests';

/** Tuesday 24 November 2026, 10:00 in Amsterdam (demo config: Anna +31201234567 and Bram +31201234568, 15-minute slots). */
const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const PUBLIC_URL = 'https://hub.example.nl';
const CUSTOMER = '+31612345678';
const ANNA = '+31201234567';
const BRAM = '+31201234568';

describe(`callbacks: kept at the promised time (${storeName})`, function () {
  let t: TestHub;
  let api: TwilioStandIn;

  beforeEach(async () => {
    api = new TwilioStandIn();
    await api.start();
    t = await startHub({
      now: TUESDAY_10,
      env: { PUBLIC_URL, TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_PHONE_NUMBER: HUB_NUMBER, TWILIO_API_URL: api.url },
    });
  });
  afterEach(async () => {
    await t?.stop();
    await api.stop();
  });

  /** A customer complained by SMS and was acknowledged; then a callback was booked at 10:30 through the API. */
  async function bookedAt1030(): Promise<{ reference: string; callbackId: number }> {
    const { reference } = await t.hub.ingest({ channel: 'sms', providerId: sid('SM'), from: { kind: 'phone', value: CUSTOMER }, name: 'Els Jansen', body: 'Mijn mobiele telefoon doet het niet', at: TUESDAY_10 });
    const booked = await t.request('POST', `/api/threads/${reference}/callbacks`, { body: { start: '2026-11-24T10:30:00+01:00' } });
    expect(booked.status, booked.text).to.equal(201);
    return { reference, callbackId: booked.json.callback.id };
  }

  const at = async (iso: string) => {
    t.setNow(Date.parse(iso));
    await t.hub.worker.runDue();
  };
  const smsBodies = () => api.messages().map((message) => message.form.Body as string);
  const callbackOf = async (reference: string) => (await t.request('GET', `/api/threads/${reference}`)).json.callbacks[0];
  /** What Twilio fetches or reports along the callback call, signed as Twilio signs it. */
  const twilioStep = async (url: string, form: Record<string, string>) => {
    const response = await postTwilio(t, url.replace(PUBLIC_URL, ''), { CallSid: sid('CA'), AccountSid: ACCOUNT_SID, ...form });
    expect(response.status, response.text).to.be.oneOf([200, 204]);
    return response.text.replace(/&amp;/g, '&');
  };

  it('confirms by SMS with the exact day and time, reminds 15 minutes before, and at 10:30 rings the agent, who hears the whisper and is connected', async () => {
    const { reference, callbackId } = await bookedAt1030();
    await at('2026-11-24T10:00:00+01:00');
    const change = 'Past het niet? Antwoord VERZET voor een andere tijd of AFZEGGEN om af te zeggen.';
    // Sent side by side with the acknowledgement: either may reach Twilio first.
    expect(smsBodies()).to.include(`Uw terugbelafspraak staat: dinsdag 24 november om 10:30. Een medewerker belt u dan over ${reference}. ${change}`);

    await at('2026-11-24T10:14:00+01:00');
    expect(smsBodies().filter((body) => body.startsWith('Herinnering'))).to.deep.equal([]);
    await at('2026-11-24T10:15:00+01:00');
    expect(smsBodies().at(-1)).to.equal(`Herinnering: een medewerker belt u vandaag om 10:30 over ${reference}. Zorg dat u bereikbaar bent op dit nummer. ${change}`);

    expect(api.calls()).to.have.length(0);
    await at('2026-11-24T10:30:04+01:00');
    const [call] = api.calls();
    expect(call?.form).to.include({
      To: ANNA,
      From: HUB_NUMBER,
      Url: `${PUBLIC_URL}/twilio/voice/callback/agent?callback=${callbackId}&attempt=1`,
      StatusCallback: `${PUBLIC_URL}/twilio/voice/callback/agent-status?callback=${callbackId}&attempt=1`,
    });

    const agentTwiml = await twilioStep(call?.form.Url as string, { To: ANNA, From: HUB_NUMBER, CallStatus: 'in-progress' });
    expect(agentTwiml).to.include('Els Jansen').and.include('Mijn mobiele telefoon doet het niet');
    expect(agentTwiml).to.match(new RegExp(`<Dial [^>]*action="${PUBLIC_URL}/twilio/voice/callback/customer-result\\?callback=${callbackId}&attempt=1"`));
    expect(agentTwiml).to.include(`<Number>${CUSTOMER}</Number>`);

    await twilioStep(`/twilio/voice/callback/customer-result?callback=${callbackId}&attempt=1`, { DialCallStatus: 'completed', DialCallDuration: '95' });
    expect(await callbackOf(reference)).to.deep.include({ status: 'done', outcome: 'completed', actualStart: '2026-11-24T10:30:04+01:00' });
    const metrics = (await t.request('GET', '/metrics')).text;
    expect(metrics).to.match(/klachtenhub_callback_lateness_seconds_bucket\{le="15"\} 1/);
    expect(metrics).to.match(/klachtenhub_callbacks_total\{outcome="completed"\} 1/);
    // Twilio's retry of the same step changes nothing.
    await twilioStep(`/twilio/voice/callback/customer-result?callback=${callbackId}&attempt=1`, { DialCallStatus: 'completed' });
    expect((await t.request('GET', '/metrics')).text).to.match(/klachtenhub_callbacks_total\{outcome="completed"\} 1/);
  });

  it('tries a customer who does not answer once more within the slot, then sends new concrete slots by SMS', async () => {
    const { reference, callbackId } = await bookedAt1030();
    await at('2026-11-24T10:30:00+01:00');
    const noAnswer = await twilioStep(`/twilio/voice/callback/customer-result?callback=${callbackId}&attempt=1`, { DialCallStatus: 'no-answer' });
    expect(noAnswer).to.include('opnieuw');
    await at('2026-11-24T10:32:59+01:00');
    expect(api.calls()).to.have.length(1);
    await at('2026-11-24T10:33:00+01:00');
    expect(api.calls().map((call) => call.form.Url)).to.deep.equal([
      `${PUBLIC_URL}/twilio/voice/callback/agent?callback=${callbackId}&attempt=1`,
      `${PUBLIC_URL}/twilio/voice/callback/agent?callback=${callbackId}&attempt=2`,
    ]);

    const missed = await twilioStep(`/twilio/voice/callback/customer-result?callback=${callbackId}&attempt=2`, { DialCallStatus: 'busy' });
    expect(missed).to.include('nieuwe tijden');
    expect(await callbackOf(reference)).to.deep.include({ status: 'missed', outcome: 'customer-no-answer', actualStart: '2026-11-24T10:30:00+01:00' });
    expect(smsBodies().at(-1)).to.match(new RegExp(`^Wanneer mogen we u terugbellen over ${reference}\\? Kies een tijd: 1\\) di 24 nov \\d\\d:\\d\\d`));
    await at('2026-11-24T10:40:00+01:00');
    expect(api.calls()).to.have.length(2);
  });

  it('hands the callback to another free agent of the team when its agent does not answer, and rings them at once', async () => {
    const { reference, callbackId } = await bookedAt1030();
    await at('2026-11-24T10:30:00+01:00');
    expect(api.calls()[0]?.form.To).to.equal(ANNA);
    await twilioStep(`/twilio/voice/callback/agent-status?callback=${callbackId}&attempt=1`, { CallStatus: 'no-answer' });
    // Twilio takes one new call a second from the account (TWILIO_CALLS_PER_SECOND): Bram's is the next second's.
    await t.hub.worker.runDue();
    expect(api.calls()).to.have.length(1);
    await at('2026-11-24T10:30:01+01:00');
    expect(api.calls().map((call) => call.form.To)).to.deep.equal([ANNA, BRAM]);
    expect(await callbackOf(reference)).to.deep.include({ status: 'booked', agent: 'bram' });
    // Anna's late "no-answer" retry from Twilio does not move it again.
    await twilioStep(`/twilio/voice/callback/agent-status?callback=${callbackId}&attempt=1`, { CallStatus: 'no-answer' });
    await t.hub.worker.runDue();
    expect(api.calls()).to.have.length(2);
  });

  it('calls nobody for a callback that was moved or cancelled, and keeps the moved one', async () => {
    const { reference, callbackId } = await bookedAt1030();
    const moved = await t.request('POST', `/api/threads/${reference}/callbacks`, { body: { start: '2026-11-24T11:00:00+01:00' } });
    expect(moved.status, moved.text).to.equal(201);
    await at('2026-11-24T10:30:00+01:00');
    expect(api.calls()).to.have.length(0);
    expect((await twilioStep(`/twilio/voice/callback/agent?callback=${callbackId}&attempt=1`, {}))).to.include('vervallen');
    await at('2026-11-24T11:00:00+01:00');
    expect(api.calls().map((call) => call.form.Url)).to.deep.equal([`${PUBLIC_URL}/twilio/voice/callback/agent?callback=${moved.json.callback.id}&attempt=1`]);
  });

  it('without a phone system gives the agent a "callback due now" card in Slack whose button records the start', async () => {
    await t.stop();
    const slack = await startFakeSlackApi();
    try {
      t = await startHub({ now: TUESDAY_10, env: { PUBLIC_URL, SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.url } });
      const { reference, callbackId } = await bookedAt1030();
      await at('2026-11-24T10:30:00+01:00');
      const [due] = slack.callsTo('chat.postMessage');
      expect(due?.args.channel).to.equal('U0ANNA');
      const card = JSON.stringify(due?.args.blocks);
      expect(card).to.contain('Nu terugbellen:* 10:30, bel *+31612345678*').and.contain('Els Jansen').and.contain(CALLBACK_START_ACTION);

      await at('2026-11-24T10:31:30+01:00');
      const click = buttonClick({ actionId: CALLBACK_START_ACTION, value: String(callbackId), user: 'U0ANNA', channel: 'D0ANNA', ts: due?.args.ts ?? '1' });
      const response = await t.request('POST', '/slack/events', { rawBody: click, headers: slackHeaders(click, { contentType: 'application/x-www-form-urlencoded' }), token: null });
      expect(response.status, response.text).to.equal(200);
      const [told] = await slack.waitFor('chat.postEphemeral');
      expect(told?.args.text).to.equal(`Bel nu +31612345678 (${reference}); de start is genoteerd.`);
      expect(await callbackOf(reference)).to.deep.include({ status: 'done', outcome: 'started-by-agent', actualStart: '2026-11-24T10:31:30+01:00' });
      expect(api.calls()).to.have.length(0);
    } finally {
      await slack.close();
    }
  });

  it('moves a booked callback when the customer texts VERZET and picks a digit, and calls it off on AFZEGGEN', async () => {
    const { reference } = await bookedAt1030();
    const text = async (body: string) => {
      const response = await postTwilio(t, '/twilio/sms', { MessageSid: sid('SM'), AccountSid: ACCOUNT_SID, From: CUSTOMER, To: HUB_NUMBER, Body: body });
      expect(response.status, response.text).to.equal(200);
      return response.text;
    };
    const offer = await text('verzet');
    expect(offer).to.match(new RegExp(`<Message>Wanneer mogen we u terugbellen over ${reference}\\? Kies een tijd: 1\\) di 24 nov 10:30`));
    const moved = await text('2');
    expect(moved).to.include('<Message>Uw terugbelafspraak staat: dinsdag 24 november om 10:45.');
    expect((await t.request('GET', `/api/threads/${reference}`)).json.callbacks.map((callback: { start: string; status: string }) => [callback.start, callback.status])).to.deep.equal([
      ['2026-11-24T10:30:00+01:00', 'cancelled'],
      ['2026-11-24T10:45:00+01:00', 'booked'],
    ]);

    expect(await text('Afzeggen.')).to.include('<Message>Uw terugbelafspraak van dinsdag 24 november om 10:45 over');
    await at('2026-11-24T10:45:00+01:00');
    expect(api.calls()).to.have.length(0);
    // Without a booked callback the word is an ordinary message, stored on the thread.
    expect(await text('AFZEGGEN')).not.to.include('<Message>');
  });
});
