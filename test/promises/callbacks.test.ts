import { expect } from 'chai';
import { CALLBACK_START_ACTION } from '../../src/handoff/render-slack';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { postTwilio, sid, ACCOUNT_SID, AUTH_TOKEN, HUB_NUMBER } from '../channels/twilio-helpers';
import { startFakeSlackApi, type FakeSlackApi } from '../slack/fake-slack-api';
import { SECRET, buttonClick, slackHeaders } from '../slack/slack-requests';
import { at, configWith, CUSTOMER, dossier, outbox, runAll, smsComplaint, TUESDAY_10 } from './helpers';

const STRANGER = '+31687654321';
const quiet = () => configWith({ escalation: [] });
const kinds = (promises: { kind: string; state: string }[], kind: string) => promises.filter((promise) => promise.kind === kind).map((promise) => promise.state);

describe(`promises: callbacks booked, moved, called off, made (${storeName})`, function () {
  let t: TestHub;
  let slack: FakeSlackApi | undefined;
  afterEach(async () => {
    await t?.stop();
    await slack?.close();
    slack = undefined;
  });

  async function book(reference: string, start: string): Promise<number> {
    const booked = await t.request('POST', `/api/threads/${reference}/callbacks`, { body: { start } });
    expect(booked.status, booked.text).to.equal(201);
    await runAll(t); // the confirmation
    return booked.json.callback.id;
  }

  it('resolving calls off her booked callback and tells her so on the channel its confirmation used, her own number, never a stranger who texted her reference', async () => {
    t = await startHub({ now: TUESDAY_10, config: quiet() });
    const { reference } = await smsComplaint(t);
    await book(reference, '2026-11-24T14:00:00+01:00');
    expect((await outbox(t, { purpose: 'callback' })).map((message) => message.body)).to.deep.equal([
      `Uw terugbelafspraak staat: dinsdag 24 november om 14:00. Een medewerker belt u dan over ${reference}. Past het niet? Antwoord VERZET voor een andere tijd of AFZEGGEN om af te zeggen.`,
    ]);
    // A stranger texts her reference: his message reaches her thread, unverified; he is told nothing of hers.
    await t.hub.ingest({ channel: 'sms', providerId: 'SMstranger1', from: { kind: 'phone', value: STRANGER }, body: `Over ${reference}: wanneer wordt er gebeld?`, at: t.now() });

    await at(t, '2026-11-24T10:30:00+01:00');
    expect((await t.request('POST', `/api/threads/${reference}/resolve`, { body: { agent: 'anna', resolution: 'Telefonisch opgelost' } })).status).to.equal(200);
    await runAll(t);
    const callbackMessages = await outbox(t, { purpose: 'callback' });
    expect(callbackMessages.slice(1)).to.deep.equal([
      { channel: 'sms', recipient: CUSTOMER, subject: null, body: `Uw klacht ${reference} is afgehandeld. Daarom gaat uw terugbelafspraak van dinsdag 24 november om 14:00 niet door.`, purpose: 'callback' },
    ]);
    expect((await outbox(t)).filter((message) => message.recipient === STRANGER)).to.deep.equal([]);

    const promises = (await dossier(t, reference)).promises;
    expect(kinds(promises, 'callback')).to.deep.equal(['cancelled']);
    expect(kinds(promises, 'first-response')).to.deep.equal(['cancelled']);
    expect(kinds(promises, 'resolution')).to.deep.equal(['kept']);
    expect((await dossier(t, reference)).callbacks.map((callback: { status: string }) => callback.status)).to.deep.equal(['cancelled']);

    // At 14:00 nobody is called and nothing more is said.
    const before = (await outbox(t)).length;
    await at(t, '2026-11-24T14:20:00+01:00');
    expect(await outbox(t)).to.have.length(before);
  });

  it('a moved callback updates every channel that showed the old time: the chat she booked in, and no second word where she moved it', async () => {
    t = await startHub({ now: TUESDAY_10, config: quiet() });
    const created = await t.request('POST', '/chat/sessions', { body: { name: 'Els Jansen' }, token: null });
    const session = created.json as { sessionId: string; token: string };
    const sent = await t.request('POST', `/chat/sessions/${session.sessionId}/messages`, { body: { text: 'Bel me liever terug.' }, token: session.token });
    const reference = sent.json.reference as string;
    await runAll(t);
    const booked = await t.request('POST', `/chat/sessions/${session.sessionId}/callbacks`, { body: { start: '2026-11-24T14:00:00+01:00' }, token: session.token });
    expect(booked.status, booked.text).to.equal(201);
    await runAll(t);

    // An agent moves it: the chat that showed 14:00 is told the new time.
    const moved = await t.request('POST', `/api/threads/${reference}/callbacks`, { body: { start: '2026-11-24T15:00:00+01:00' } });
    expect(moved.status, moved.text).to.equal(201);
    await runAll(t);
    const chat = await t.hub.ctx.db('chat_events').where({ session_id: session.sessionId }).orderBy('seq').select('kind', 'body');
    expect(chat.at(-1)).to.deep.equal({ kind: 'callback', body: `Uw terugbelafspraak over ${reference} is verzet: niet meer dinsdag 24 november om 14:00, maar dinsdag 24 november om 15:00. Een medewerker belt u dan.` });

    // She moves it back herself in the chat: the chat's own answer tells her, nothing twice.
    const count = chat.length;
    const back = await t.request('POST', `/chat/sessions/${session.sessionId}/callbacks`, { body: { start: '2026-11-24T14:30:00+01:00' }, token: session.token });
    expect(back.status, back.text).to.equal(201);
    await runAll(t);
    const after = await t.hub.ctx.db('chat_events').where({ session_id: session.sessionId }).orderBy('seq').select('kind', 'body');
    expect(after.slice(count)).to.deep.equal([{ kind: 'callback', body: 'Uw terugbelafspraak staat: dinsdag 24 november om 14:30. Wij bellen u dan.' }]);
    expect(kinds((await dossier(t, reference)).promises, 'callback')).to.deep.equal(['cancelled', 'open', 'cancelled']);
  });

  it('moved by SMS, the new time reaches her email too, which showed the old one; the SMS answer was confirmation enough', async () => {
    t = await startHub({ now: TUESDAY_10, config: quiet(), env: { TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_PHONE_NUMBER: HUB_NUMBER, TWILIO_API_URL: 'http://127.0.0.1:9' } });
    const { reference } = await smsComplaint(t);
    expect((await t.request('POST', `/api/threads/${reference}/identities/confirm`, { body: { kind: 'email', value: 'els@example.nl', agent: 'anna' } })).status).to.equal(201);
    await book(reference, '2026-11-24T14:00:00+01:00');
    const texted = async (body: string) => (await postTwilio(t, '/twilio/sms', { MessageSid: sid('SM'), AccountSid: ACCOUNT_SID, From: CUSTOMER, To: HUB_NUMBER, Body: body })).text;
    const offer = await texted('VERZET');
    expect(offer).to.contain('Kies een tijd');
    const confirmed = await texted('1');
    expect(confirmed).to.contain('Uw terugbelafspraak staat: dinsdag 24 november om 10:30');
    await runAll(t);
    // Without SMTP the mails are in the outbox; the SMS go to Twilio, recorded as sends.
    const bodies = (await outbox(t, { channel: 'email', purpose: 'callback' })).map((mail) => mail.body);
    expect(bodies).to.have.length(2);
    expect(bodies[1]).to.match(new RegExp(`^Uw terugbelafspraak over ${reference} is verzet: niet meer dinsdag 24 november om 14:00, maar dinsdag 24 november om 10:30\\.`));
    const smsConfirmations = await t.hub.ctx.db('outbound_sends').where({ channel: 'sms', purpose: 'callback' }).select('id');
    expect(smsConfirmations).to.have.length(1);
  });

  it('a completed callback keeps the first response (the agent presses "Ik bel nu" on the due card)', async () => {
    slack = await startFakeSlackApi();
    t = await startHub({ now: TUESDAY_10, config: quiet(), env: { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.url } });
    const { reference } = await smsComplaint(t);
    const callbackId = await book(reference, '2026-11-24T10:30:00+01:00');
    await at(t, '2026-11-24T10:30:00+01:00');
    const [due] = slack.callsTo('chat.postMessage');
    await at(t, '2026-11-24T10:31:00+01:00');
    const click = buttonClick({ actionId: CALLBACK_START_ACTION, value: String(callbackId), user: 'U0ANNA', channel: 'D0ANNA', ts: due?.args.ts ?? '1' });
    expect((await t.request('POST', '/slack/events', { rawBody: click, headers: slackHeaders(click, { contentType: 'application/x-www-form-urlencoded' }), token: null })).status).to.equal(200);
    await slack.waitFor('chat.postEphemeral');
    const promises = (await dossier(t, reference)).promises;
    expect(promises.find((promise: { kind: string }) => promise.kind === 'first-response')).to.include({ state: 'kept', keptAt: '2026-11-24T10:31:00+01:00' });
    expect(promises.find((promise: { kind: string }) => promise.kind === 'callback')).to.deep.include({ state: 'kept', keptAt: '2026-11-24T10:31:00+01:00', owner: { team: 'service', agent: 'anna' } });
  });

  it('a callback nobody made is missed at the end of its slot, rebooked at the next free time, and she is told it is late and when we call now', async () => {
    t = await startHub({ now: TUESDAY_10, config: quiet() });
    const { reference } = await smsComplaint(t);
    await book(reference, '2026-11-24T14:00:00+01:00');
    // No phone system and no Slack: nobody is rung, nobody presses start.
    await at(t, '2026-11-24T14:14:00+01:00');
    expect((await dossier(t, reference)).callbacks.map((callback: { status: string }) => callback.status)).to.deep.equal(['booked']);
    await at(t, '2026-11-24T14:15:00+01:00');
    const { callbacks, promises } = await dossier(t, reference);
    expect(callbacks.map((callback: { start: string; status: string; outcome: string | null }) => [callback.start, callback.status, callback.outcome])).to.deep.equal([
      ['2026-11-24T14:00:00+01:00', 'missed', 'not-started'],
      ['2026-11-24T14:45:00+01:00', 'booked', null],
    ]);
    expect(kinds(promises, 'callback')).to.deep.equal(['broken', 'open']);
    expect((await outbox(t, { purpose: 'callback' })).at(-1)?.body).to.equal(
      `Het spijt ons: we hebben u dinsdag 24 november om 14:00 niet teruggebeld over ${reference}. Een medewerker belt u nu dinsdag 24 november om 14:45. Past het niet? Antwoord VERZET voor een andere tijd of AFZEGGEN om af te zeggen.`,
    );
  });
});
