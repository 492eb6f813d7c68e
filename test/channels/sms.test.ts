import { expect } from 'chai';
import { deliveryState } from '../../src/core/delivery';
import { SendFailure } from '../../src/core/send-failure';
import { TwilioSmsSender } from '../../src/channels/sms/twilio-sms-sender';
import { createTwilioAccount } from '../../src/channels/twilio/client';
import { readEnv } from '../../src/config/env';
import { countSegments, splitMessage } from '../../src/channels/sms/segments';
import { offerSlotsBySms } from '../../src/channels/sms/callback-offer';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { ACCOUNT_SID, AUTH_TOKEN, HUB_NUMBER, TwilioStandIn, fixture, postTwilio, sid } from './twilio-helpers';

const PUBLIC_URL = 'https://hub.example.nl';
const CUSTOMER = '+31612345678';

describe(`Twilio SMS (${storeName})`, function () {
  let t: TestHub | undefined;
  let api: TwilioStandIn;

  beforeEach(async () => {
    api = new TwilioStandIn();
    await api.start();
  });
  afterEach(async () => {
    await t?.stop();
    t = undefined;
    await api.stop();
  });

  const twilioEnv = () => ({
    PUBLIC_URL,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: HUB_NUMBER,
    TWILIO_API_URL: api.url,
  });

  async function contactsOf(hub: TestHub, direction: 'inbound' | 'outbound') {
    return hub.hub.ctx.db('contacts').where({ channel: 'sms', direction }).orderBy('id').select('provider_id', 'body', 'thread_id');
  }

  async function timelineKinds(hub: TestHub): Promise<string[]> {
    return (await hub.hub.ctx.db('timeline_events').orderBy('id').select('kind')).map((row) => row.kind as string);
  }

  it('stores an incoming SMS as a contact and answers empty TwiML', async () => {
    t = await startHub({ env: twilioEnv() });
    const response = await postTwilio(t, '/twilio/sms', fixture('sms-inbound'));
    expect(response.status, response.text).to.equal(200);
    expect(response.type).to.match(/text\/xml/);
    expect(response.text).to.match(/<Response\/>|<Response><\/Response>/);
    const [contact] = await contactsOf(t, 'inbound');
    expect(contact?.provider_id).to.equal('SM3f1c9a6e2b7d48c0a5e4f1b2c3d4e5f6');
    expect(contact?.body).to.equal('Mijn pakket is beschadigd aangekomen');
  });

  it('refuses a wrong or missing signature with 403, and everything when TWILIO_AUTH_TOKEN is unset', async () => {
    t = await startHub({ env: twilioEnv() });
    expect((await postTwilio(t, '/twilio/sms', fixture('sms-inbound'), { signature: null })).status).to.equal(403);
    expect((await postTwilio(t, '/twilio/sms', fixture('sms-inbound'), { token: 'another-token' })).status).to.equal(403);
    // Signed for one body, sent with another.
    const signedFor = fixture('sms-inbound');
    const { default: twilio } = await import('twilio');
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC_URL}/twilio/sms`, signedFor);
    expect((await postTwilio(t, '/twilio/sms', { ...signedFor, Body: 'changed' }, { signature })).status).to.equal(403);
    expect(await contactsOf(t, 'inbound')).to.have.length(0);
    await t.stop();

    t = await startHub({ env: { PUBLIC_URL } });
    expect((await postTwilio(t, '/twilio/sms', fixture('sms-inbound'))).status).to.equal(403);
    expect((await postTwilio(t, '/twilio/sms', fixture('sms-inbound'), { token: '' , signature: 'x' })).status).to.equal(403);
  });

  it('stores the same MessageSid twice as one contact (a Twilio retry)', async () => {
    t = await startHub({ env: twilioEnv() });
    const form = fixture('sms-inbound', { MessageSid: sid('SM') });
    expect((await postTwilio(t, '/twilio/sms', form)).status).to.equal(200);
    expect((await postTwilio(t, '/twilio/sms', form)).status).to.equal(200);
    expect(await contactsOf(t, 'inbound')).to.have.length(1);
  });

  it('sends the acknowledgement of an SMS thread through the Twilio API, with the status callback URL', async () => {
    t = await startHub({ env: twilioEnv() });
    await postTwilio(t, '/twilio/sms', fixture('sms-inbound', { MessageSid: sid('SM') }));
    await t.hub.worker.runDue();
    const [sent] = api.messages();
    expect(sent?.form).to.include({ To: CUSTOMER, From: HUB_NUMBER, StatusCallback: `${PUBLIC_URL}/twilio/sms/status` });
    expect(sent?.form.Body).to.match(/KL-\d{8}/);
    const [outbound] = await contactsOf(t, 'outbound');
    expect(outbound?.provider_id).to.match(/^SM[0-9a-f]{32}$/);
    const state = await deliveryState(t.hub.ctx.db, outbound?.provider_id as string);
    expect(state?.parts).to.deep.equal([{ segments: countSegments(sent?.form.Body ?? '').segments, encoding: countSegments(sent?.form.Body ?? '').encoding }]);
    expect((await t.request('GET', '/api/outbox')).json.messages ?? []).to.have.length(0);
  });

  it('records the acknowledgement in the outbox when Twilio credentials are absent', async () => {
    t = await startHub({ env: { PUBLIC_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN } });
    await postTwilio(t, '/twilio/sms', fixture('sms-inbound', { MessageSid: sid('SM') }));
    await t.hub.worker.runDue();
    expect(api.requests).to.have.length(0);
    expect(await t.hub.ctx.db('outbox').where({ channel: 'sms', recipient: CUSTOMER }).count({ n: '*' }).first()).to.deep.include({ n: 1 });
  });

  it('updates the delivery state from status callbacks, keeping the error code, never moving back', async () => {
    t = await startHub({ env: twilioEnv() });
    await postTwilio(t, '/twilio/sms', fixture('sms-inbound', { MessageSid: sid('SM') }));
    await t.hub.worker.runDue();
    const [outbound] = await contactsOf(t, 'outbound');
    const messageSid = outbound?.provider_id as string;

    const sent = await postTwilio(t, '/twilio/sms/status', fixture('sms-status', { MessageSid: messageSid, SmsSid: messageSid, MessageStatus: 'sent', SmsStatus: 'sent', ErrorCode: undefined }));
    expect(sent.status).to.equal(204);
    expect((await deliveryState(t.hub.ctx.db, messageSid))?.status).to.equal('sent');

    await postTwilio(t, '/twilio/sms/status', fixture('sms-status', { MessageSid: messageSid, SmsSid: messageSid }));
    expect(await deliveryState(t.hub.ctx.db, messageSid)).to.deep.include({ status: 'undelivered', errorCode: '30003' });
    // A late "sent" does not undo "undelivered".
    await postTwilio(t, '/twilio/sms/status', fixture('sms-status', { MessageSid: messageSid, MessageStatus: 'sent', ErrorCode: undefined }));
    expect(await deliveryState(t.hub.ctx.db, messageSid)).to.deep.include({ status: 'undelivered', errorCode: '30003' });
    expect(await timelineKinds(t)).to.include('delivery-failed');
    const [thread] = await t.hub.ctx.db('threads').select('reference');
    const dossier = await t.request('GET', `/api/threads/${thread?.reference}`);
    const acknowledgement = (dossier.json.contacts as { direction: string; delivery: unknown }[]).find((contact) => contact.direction === 'outbound');
    expect(acknowledgement?.delivery).to.deep.equal({ status: 'undelivered', errorCode: '30003' });
    // Unsigned status callbacks change nothing.
    expect((await postTwilio(t, '/twilio/sms/status', fixture('sms-status', { MessageSid: messageSid, MessageStatus: 'delivered' }), { signature: null })).status).to.equal(403);
  });

  it('applies a status callback that arrives before the send that it reports on has committed', async () => {
    t = await startHub({ env: twilioEnv() });
    const hub = t;
    let callback: Promise<{ status: number }> | undefined;
    // Twilio reports "sent" while the acknowledgement job still waits for the API's answer.
    api.onMessageCreated = async (messageSid) => {
      callback = postTwilio(hub, '/twilio/sms/status', fixture('sms-status', { MessageSid: messageSid, SmsSid: messageSid, MessageStatus: 'sent', SmsStatus: 'sent', ErrorCode: undefined }));
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    await postTwilio(t, '/twilio/sms', fixture('sms-inbound', { MessageSid: sid('SM') }));
    await t.hub.worker.runDue();
    expect((await callback)?.status).to.equal(204);
    const [outbound] = await contactsOf(t, 'outbound');
    expect((await deliveryState(t.hub.ctx.db, outbound?.provider_id as string))?.status).to.equal('sent');
  });

  it('after STOP sends nothing to the number and shows it on the open thread, without a new thread; START re-enables', async () => {
    t = await startHub({ env: twilioEnv() });
    await postTwilio(t, '/twilio/sms', fixture('sms-inbound', { MessageSid: sid('SM') }));
    await t.hub.worker.runDue();
    expect(api.messages()).to.have.length(1);
    const stop = sid('SM');
    await postTwilio(t, '/twilio/sms', fixture('sms-inbound', { MessageSid: stop, Body: 'Stop' }));
    await postTwilio(t, '/twilio/sms', fixture('sms-inbound', { MessageSid: stop, Body: 'Stop' })); // Twilio's retry
    expect(await t.hub.ctx.db('threads').select('id')).to.have.length(1);
    expect(await contactsOf(t, 'inbound')).to.have.length(1);
    expect((await timelineKinds(t)).filter((kind) => kind === 'sms-opted-out')).to.have.length(1);
    const [thread] = await t.hub.ctx.db('threads').select('reference');
    const reply = await t.request('POST', `/api/threads/${thread?.reference}/replies`, { body: { agent: 'anna', text: 'Wij bellen u morgen.' } });
    expect(reply.status, reply.text).to.equal(409);
    expect(api.messages()).to.have.length(1);

    await postTwilio(t, '/twilio/sms', fixture('sms-inbound', { MessageSid: sid('SM'), Body: 'START' }));
    expect(await timelineKinds(t)).to.include('sms-opted-in');
    const again = await t.request('POST', `/api/threads/${thread?.reference}/replies`, { body: { agent: 'anna', text: 'Wij bellen u morgen.' } });
    expect(again.status, again.text).to.equal(201);
    expect(api.messages().map((m) => m.form.Body).slice(1)).to.deep.equal(['Wij bellen u morgen.']);
  });

  it('opens no complaint for a STOP from an unknown number, and acknowledges its later complaint only where it may', async () => {
    t = await startHub({ env: twilioEnv() });
    await postTwilio(t, '/twilio/sms', fixture('sms-inbound', { MessageSid: sid('SM'), Body: 'STOP' }));
    expect(await t.hub.ctx.db('threads').select('id')).to.deep.equal([]);
    await postTwilio(t, '/twilio/sms', fixture('sms-inbound', { MessageSid: sid('SM') }));
    await t.hub.worker.runDue();
    expect(api.messages()).to.have.length(0);
    expect(await timelineKinds(t)).to.include.members(['sms-suppressed', 'acknowledgement-not-sent']);
    expect(await timelineKinds(t)).not.to.include('acknowledged');
    // A withheld message is not shown as sent.
    expect(await contactsOf(t, 'outbound')).to.deep.equal([]);
  });

  it('surfaces what the Twilio API refuses (a number not in E.164) instead of recording it as sent', async () => {
    t = await startHub({ env: twilioEnv() });
    const account = createTwilioAccount(readEnv({ ...twilioEnv(), TWILIO_PHONE_NUMBER: '097010203040' }));
    const sender = new TwilioSmsSender({ account: account!, statusCallback: `${PUBLIC_URL}/twilio/sms/status`, clock: () => t!.now() });
    const error = await sender
      .send({ threadId: 1, channel: 'sms', to: CUSTOMER, body: 'Test', purpose: 'reply' }, [])
      .then(() => undefined, (caught: unknown) => caught as SendFailure);
    expect(error).to.be.instanceOf(SendFailure);
    expect(error).to.include({ permanent: true, maybeSent: false, code: '21212' });
    expect(await t.hub.ctx.db('sms_parts').count({ n: '*' }).first()).to.deep.include({ n: 0 });
  });

  it('treats an opt-out word inside a sentence as an ordinary message', async () => {
    t = await startHub({ env: twilioEnv() });
    await postTwilio(t, '/twilio/sms', fixture('sms-inbound', { MessageSid: sid('SM'), Body: 'stop met die herinneringen' }));
    await t.hub.worker.runDue();
    expect(api.messages()).to.have.length(1);
    expect(await timelineKinds(t)).not.to.include('sms-opted-out');
  });

  it('sends a reply over 1600 characters as several messages cut at word boundaries, never inside a reference', async () => {
    t = await startHub({ env: twilioEnv() });
    await postTwilio(t, '/twilio/sms', fixture('sms-inbound', { MessageSid: sid('SM') }));
    const [thread] = await t.hub.ctx.db('threads').select('reference');
    const reference = thread?.reference as string;
    const text = `${'woord '.repeat(265)}${reference} ${'tekst '.repeat(100)}`;
    const reply = await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text } });
    expect(reply.status, reply.text).to.equal(201);
    const bodies = api.messages().map((m) => m.form.Body ?? '');
    expect(bodies).to.have.length(2);
    for (const body of bodies) expect(body.length).to.be.at.most(1600);
    expect(bodies[1]).to.match(new RegExp(`^${reference}`));
    expect(bodies.join(' ').replace(/\s+/g, ' ')).to.equal(text.trim().replace(/\s+/g, ' '));
  });

  describe('slot offers answered with a digit', () => {
    const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
    const smsFrom = (body: string, overrides: Record<string, string> = {}) => fixture('sms-inbound', { MessageSid: sid('SM'), Body: body, ...overrides });

    async function threadWithOffer(hub: TestHub): Promise<string> {
      await postTwilio(hub, '/twilio/sms', smsFrom('Mijn pakket is beschadigd aangekomen'));
      const [thread] = await hub.hub.ctx.db('threads').select('reference');
      const offer = await offerSlotsBySms(hub.hub.ctx, thread?.reference as string);
      expect(offer?.to).to.equal(CUSTOMER);
      return thread?.reference as string;
    }

    it('a mobile caller who chooses no slot gets them by SMS; replying "2" books that slot and confirms it', async () => {
      t = await startHub({ now: TUESDAY_10, env: twilioEnv() });
      const callSid = sid('CA');
      const voice = (path: string, form: Record<string, string>) => postTwilio(t as TestHub, path, fixture('voice-inbound', { CallSid: callSid, From: CUSTOMER, Caller: CUSTOMER, ...form }));
      const offer = await voice('/twilio/voice/describe?lang=nl&attempt=1', { Digits: '2' });
      const action = /action="([^"]*callback-slot[^"]*)"/.exec(offer.text)?.[1]?.replace(/&amp;/g, '&') as string;
      const path = action.replace(PUBLIC_URL, '').replace('attempt=1', 'attempt=2');
      const honest = await voice(path, {});
      expect(honest.text).to.include('U krijgt ook een sms met tijden om uit te kiezen.');
      const [sms] = api.messages();
      expect(sms?.form.To).to.equal(CUSTOMER);
      expect(sms?.form.Body).to.match(/Kies een tijd: 1\) di 24 nov 10:30 2\) di 24 nov 10:45 3\) di 24 nov 11:00\. Antwoord met het cijfer\.$/);

      const answer = await postTwilio(t, '/twilio/sms', smsFrom('2'));
      expect(answer.status, answer.text).to.equal(200);
      expect(answer.type).to.match(/text\/xml/);
      expect(answer.text).to.include('<Message>Uw terugbelafspraak staat: dinsdag 24 november om 10:45.');
      const [booking] = await t.hub.ctx.db('callbacks').select('start', 'booked_via', 'status');
      expect({ ...booking, start: Number(booking?.start) }).to.deep.equal({ start: Date.parse('2026-11-24T10:45:00+01:00'), booked_via: 'sms', status: 'booked' });
      // The digit is still a contact of the thread.
      expect((await contactsOf(t, 'inbound')).map((c) => c.body)).to.include('2');
    });

    it('a slot taken meanwhile gets a fresh offer by reply; a digit to an offer over 24 h old or out of range is an ordinary message', async () => {
      t = await startHub({ now: TUESDAY_10, env: twilioEnv() });
      await threadWithOffer(t);
      for (const phone of ['+31611111111', '+31622222222']) {
        const other = await t.hub.ingest({ channel: 'sms', providerId: sid('SM'), from: { kind: 'phone', value: phone }, body: 'Andere klacht', at: TUESDAY_10 });
        expect((await t.request('POST', `/api/threads/${other.reference}/callbacks`, { body: { start: '2026-11-24T10:30:00+01:00' } })).status).to.equal(201);
      }
      const taken = await postTwilio(t, '/twilio/sms', smsFrom('1'));
      expect(taken.text).to.include('Helaas, dat tijdstip is net vergeven.');
      expect(taken.text).to.include('1) di 24 nov 10:45 2) di 24 nov 11:00 3) di 24 nov 11:15');
      const fresh = await postTwilio(t, '/twilio/sms', smsFrom('1'));
      expect(fresh.text).to.include('dinsdag 24 november om 10:45');
      const retry = await postTwilio(t, '/twilio/sms', smsFrom('9'));
      expect(retry.text).to.match(/<Response\/>|<Response><\/Response>/);

      t.setNow(TUESDAY_10 + 25 * 60 * 60_000);
      const stale = await postTwilio(t, '/twilio/sms', smsFrom('2'));
      expect(stale.text).to.match(/<Response\/>|<Response><\/Response>/);
      expect(await t.hub.ctx.db('callbacks').where({ booked_via: 'sms' }).select('id')).to.have.length(1);
    });

    it('a digit from another number does not book the offer, and a Twilio retry of the digit confirms without moving the booking', async () => {
      t = await startHub({ now: TUESDAY_10, env: twilioEnv() });
      await threadWithOffer(t);
      const stranger = await postTwilio(t, '/twilio/sms', smsFrom('1', { From: '+31687654321' }));
      expect(stranger.text).to.match(/<Response\/>|<Response><\/Response>/);
      const form = smsFrom('1');
      const first = await postTwilio(t, '/twilio/sms', form);
      const again = await postTwilio(t, '/twilio/sms', form);
      expect(again.text).to.equal(first.text);
      expect(await t.hub.ctx.db('callbacks').select('id')).to.have.length(1);
      expect(await t.hub.ctx.db('timeline_events').where({ kind: 'callback-cancelled' }).select('id')).to.have.length(0);
    });
  });

  describe('a stranger who knows her reference', () => {
    const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
    const STRANGER = '+31687654321';
    const ANNA = '+31201234567';
    const text = async (from: string, body: string) => {
      const response = await postTwilio(t as TestHub, '/twilio/sms', fixture('sms-inbound', { MessageSid: sid('SM'), From: from, Body: body }));
      expect(response.status, response.text).to.equal(200);
      return response.text;
    };
    const dossierOf = async (reference: string) => (await (t as TestHub).request('GET', `/api/threads/${reference}`)).json;
    const at = async (iso: string) => {
      (t as TestHub).setNow(Date.parse(iso));
      await (t as TestHub).hub.worker.runDue();
    };

    /** Alice complained by SMS, was acknowledged, has a callback booked at 11:00 and an SMS offer of other times open. */
    async function aliceWithCallback(): Promise<{ reference: string; callbackId: number }> {
      t = await startHub({ now: TUESDAY_10, env: twilioEnv() });
      await text(CUSTOMER, 'Mijn pakket is beschadigd aangekomen');
      const [thread] = await t.hub.ctx.db('threads').select('reference');
      const reference = thread?.reference as string;
      const booked = await t.request('POST', `/api/threads/${reference}/callbacks`, { body: { start: '2026-11-24T11:00:00+01:00' } });
      expect(booked.status, booked.text).to.equal(201);
      expect((await offerSlotsBySms(t.hub.ctx, reference))?.to).to.equal(CUSTOMER);
      return { reference, callbackId: booked.json.callback.id };
    }

    it("reaches her thread unverified, as a claim, and cannot move, cancel or book her callback; everything still goes to her own number", async () => {
      const { reference, callbackId } = await aliceWithCallback();
      const hub = t as TestHub;

      expect(await text(STRANGER, `Graag uitstellen, ${reference}`)).to.match(/<Response\/>|<Response><\/Response>/);
      const dossier = await dossierOf(reference);
      expect(dossier.contacts.at(-1)).to.deep.include({ channel: 'sms', direction: 'inbound', verified: false, from: STRANGER });
      expect(dossier.customer.phones).to.deep.equal([CUSTOMER]);
      expect(dossier.customer.claims).to.deep.equal([{ kind: 'phone', value: STRANGER, via: 'reference', at: '2026-11-24T10:00:00+01:00' }]);

      // Her words, his number: nothing answers and nothing changes.
      for (const word of ['VERZET', 'AFZEGGEN', '1', '2']) expect(await text(STRANGER, word), word).not.to.include('<Message>');
      const callbacks = await hub.hub.ctx.db('callbacks').select('id', 'status', 'start');
      expect(callbacks.map((row) => ({ id: row.id, status: row.status, start: Number(row.start) }))).to.deep.equal([{ id: callbackId, status: 'booked', start: Date.parse('2026-11-24T11:00:00+01:00') }]);
      const herThread = (await hub.hub.ctx.db('threads').where({ reference }).first('id')).id;
      expect(await hub.hub.ctx.db('timeline_events').where({ thread_id: herThread }).whereIn('kind', ['callback-cancelled', 'callback-booked']).select('kind')).to.deep.equal([{ kind: 'callback-booked' }]);
      expect(await hub.hub.ctx.db('timeline_events').where({ thread_id: herThread, kind: 'callback-offered' }).select('id')).to.have.length(1);

      // Acknowledgement, confirmation, reminder and the call itself: to her proven number only.
      await at('2026-11-24T10:00:00+01:00');
      await at('2026-11-24T10:45:00+01:00');
      const aboutHer = api.messages().filter((message) => (message.form.Body ?? '').includes(reference));
      expect(aboutHer.map((message) => message.form.Body?.slice(0, 24))).to.include.members(['Wanneer mogen we u terug', 'Uw terugbelafspraak staa', 'Herinnering: een medewer']);
      expect(new Set(aboutHer.map((message) => message.form.To))).to.deep.equal(new Set([CUSTOMER]));
      await at('2026-11-24T11:00:00+01:00');
      expect(api.calls().map((call) => call.form.To)).to.deep.equal([ANNA]);
      const agent = await postTwilio(hub, `/twilio/voice/callback/agent?callback=${callbackId}&attempt=1`, { CallSid: sid('CA'), AccountSid: ACCOUNT_SID, From: HUB_NUMBER, To: ANNA, CallStatus: 'in-progress' });
      expect(agent.text).to.include(`<Number>${CUSTOMER}</Number>`).and.not.include(STRANGER);
      // The agent is warned: the latest message on her thread came from somebody else's number.
      expect(agent.text).to.include('Let op: het laatste bericht, per sms, kwam niet van een geverifieerd adres.');
    });

    it('his later message without her reference opens a thread of his own, not hers', async () => {
      const { reference } = await aliceWithCallback();
      await text(STRANGER, `Over ${reference}`);
      await text(STRANGER, 'Hoe staat het ervoor?');
      const herContacts = (await dossierOf(reference)).contacts.map((contact: { body: string }) => contact.body);
      expect(herContacts).to.include(`Over ${reference}`).and.not.include('Hoe staat het ervoor?');
      const his = await (t as TestHub).hub.ctx.db('contacts').where({ body: 'Hoe staat het ervoor?' }).join('threads', 'threads.id', 'contacts.thread_id').first('threads.reference', 'contacts.verified');
      expect(his?.reference).to.be.a('string').and.not.equal(reference);
      expect(Boolean(his?.verified)).to.equal(true);
      expect((await dossierOf(reference)).customer.phones).to.deep.equal([CUSTOMER]);
    });

    it('her own digit, from her own number, still moves the booking', async () => {
      const { reference } = await aliceWithCallback();
      await text(STRANGER, `Over ${reference}`);
      expect(await text(CUSTOMER, '1')).to.include('<Message>Uw terugbelafspraak staat: dinsdag 24 november om 10:30.');
      const callbacks = (await dossierOf(reference)).callbacks.map((callback: { start: string; status: string }) => [callback.start, callback.status]);
      expect(callbacks).to.deep.equal([
        ['2026-11-24T10:30:00+01:00', 'booked'],
        ['2026-11-24T11:00:00+01:00', 'cancelled'],
      ]);
    });
  });
});

describe('SMS segments and splitting', () => {
  it('counts GSM-7 text in septets, "€" as two, and turns UCS-2 for "ë"', () => {
    expect(countSegments('a'.repeat(160))).to.deep.equal({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(countSegments('a'.repeat(161))).to.deep.equal({ encoding: 'GSM-7', units: 161, segments: 2 });
    expect(countSegments('Kosten: €5')).to.deep.equal({ encoding: 'GSM-7', units: 11, segments: 1 });
    expect(countSegments('Beste mevrouw Hoëvenaars')).to.deep.include({ encoding: 'UCS-2', segments: 1 });
    expect(countSegments('ë'.repeat(71))).to.deep.equal({ encoding: 'UCS-2', units: 71, segments: 2 });
  });

  it('keeps a reference written with spaces whole when the cut falls inside it', () => {
    const parts = splitMessage(`${'x'.repeat(10)} KL 1234 5674 rest`, 16);
    expect(parts.some((part) => part.includes('KL 1234 5674'))).to.equal(true);
  });
});
