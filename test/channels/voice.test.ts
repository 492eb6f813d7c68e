import { spokenReference } from '../../src/channels/voice/prompts';
import { expect } from 'chai';
import { join } from 'node:path';
import { loadHubConfig } from '../../src/config/hub-config';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { startFakeSlackApi } from '../slack/fake-slack-api';
import { SECRET } from '../slack/slack-requests';
import { ACCOUNT_SID, AUTH_TOKEN, HUB_NUMBER, fixture, postTwilio, sid } from './twilio-helpers';

const PUBLIC_URL = 'https://hub.example.nl';
const CALLER = '+31612345678';
/** Someone who has Marieke's reference (a letter, a shared phone) and calls from his own number. */
const STRANGER = '+31687654321';
const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');

/** TwiML puts "&" in URLs as "&amp;"; tests compare the URLs Twilio will actually call. */
function unescape(xml: string): string {
  return xml.replace(/&amp;/g, '&');
}

describe(`Twilio voice (${storeName})`, function () {
  let t: TestHub;

  beforeEach(async () => {
    t = await startHub({
      now: TUESDAY_10,
      env: { PUBLIC_URL, TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_PHONE_NUMBER: HUB_NUMBER, TWILIO_API_URL: 'http://127.0.0.1:9' },
    });
  });
  afterEach(async () => {
    await t?.stop();
  });

  async function knownCustomer(): Promise<string> {
    const result = await t.hub.ingest({
      channel: 'sms',
      providerId: sid('SM'),
      from: { kind: 'phone', value: CALLER },
      name: 'Marieke Jansen',
      body: 'Mijn wasmachine lekt na de reparatie',
      at: TUESDAY_10,
    });
    return result.reference;
  }

  async function call(path: string, overrides: Record<string, string | undefined> = {}) {
    const response = await postTwilio(t, path, fixture('voice-inbound', overrides));
    expect(response.status, response.text).to.equal(200);
    expect(response.type).to.match(/text\/xml/);
    return unescape(response.text);
  }

  const voiceContacts = () => t.hub.ctx.db('contacts').where({ channel: 'voice' }).orderBy('id').select('provider_id', 'thread_id', 'body', 'raw');
  const events = async (kind: string) =>
    (await t.hub.ctx.db('timeline_events').where({ kind }).orderBy('id').select('data')).map((row) => JSON.parse(row.data as string) as Record<string, unknown>);

  it('greets a caller with an open complaint by name and reads the reference digit by digit', async () => {
    const reference = await knownCustomer();
    const callSid = sid('CA');
    const twiml = await call('/twilio/voice', { CallSid: callSid });
    expect(twiml).to.include('Goedendag Marieke Jansen.');
    expect(twiml).to.include(`K L, ${reference.slice(3).split('').join(', ')}`);
    expect(twiml).to.include(`action="${PUBLIC_URL}/twilio/voice/menu?lang=nl&ref=${reference}&attempt=1"`);
    expect(twiml).to.match(/<Gather [^>]*input="dtmf"/);
    expect(twiml).to.include('For English, press 9.');
    const contacts = await voiceContacts();
    expect(contacts.map((c) => c.provider_id)).to.deep.equal([callSid]);
  });

  it('stores the same CallSid twice as one contact (a Twilio retry)', async () => {
    await knownCustomer();
    const callSid = sid('CA');
    await call('/twilio/voice', { CallSid: callSid });
    await call('/twilio/voice', { CallSid: callSid });
    expect(await voiceContacts()).to.have.length(1);
  });

  it('asks an unknown caller to describe the problem and stores the speech, with its confidence, on a new thread', async () => {
    const callSid = sid('CA');
    const twiml = await call('/twilio/voice', { CallSid: callSid, From: '+31687654321', Caller: '+31687654321' });
    expect(twiml).to.include('Welkom bij de klantenservice.');
    expect(twiml).to.match(/<Gather [^>]*input="speech dtmf"/);
    expect(twiml).to.match(/language="nl-NL"/);
    expect(await voiceContacts()).to.have.length(0);

    const form = { CallSid: callSid, From: '+31687654321', SpeechResult: 'Mijn factuur klopt niet', Confidence: '0.91' };
    const answer = await call('/twilio/voice/describe?lang=nl&attempt=1', form);
    const again = await call('/twilio/voice/describe?lang=nl&attempt=1', form);
    expect(again).to.equal(answer);
    const contacts = await voiceContacts();
    expect(contacts.map((c) => c.provider_id)).to.deep.equal([`${callSid}:speech`, callSid]);
    expect(contacts[0]?.body).to.equal('Mijn factuur klopt niet');
    expect(JSON.parse(contacts[0]?.raw as string)).to.include({ Confidence: '0.91' });
    expect(contacts[1]?.thread_id).to.equal(contacts[0]?.thread_id);
    const [thread] = await t.hub.ctx.db('threads').select('reference', 'summary');
    expect(thread?.summary).to.equal('Mijn factuur klopt niet');
    expect(answer).to.include(`K L, ${(thread?.reference as string).slice(3).split('').join(', ')}`);
  });

  it('key 1 dials the team lead with a whisper of name, issue and prior advice; the agent hears it', async () => {
    const reference = await knownCustomer();
    await t.request('POST', `/api/threads/${reference}/advice`, { body: { agent: 'bram', text: 'Kraan dichtdraaien' } });
    const callSid = sid('CA');
    await call('/twilio/voice', { CallSid: callSid });
    const twiml = await call(`/twilio/voice/menu?lang=nl&ref=${reference}&attempt=1`, { CallSid: callSid, Digits: '1' });
    expect(twiml).to.match(/<Dial [^>]*timeout="20"/);
    expect(twiml).to.include(`action="${PUBLIC_URL}/twilio/voice/dial-result?lang=nl&ref=${reference}&agent=anna"`);
    expect(twiml).to.include(`<Number url="${PUBLIC_URL}/twilio/voice/whisper?lang=nl&ref=${reference}&agent=anna">+31201234567</Number>`);

    // The whisper is the handoff summary's, the same text the Slack card and console build on.
    const whisper = await call(`/twilio/voice/whisper?lang=nl&ref=${reference}&agent=anna`, { CallSid: sid('CA'), From: HUB_NUMBER, To: '+31201234567' });
    expect(whisper).to.include(`Klacht ${spokenReference(reference)} van Marieke Jansen`);
    expect(whisper).to.include('Marieke Jansen');
    expect(whisper).to.include('Mijn wasmachine lekt na de reparatie');
    expect(whisper).to.include('Kraan dichtdraaien');
  });

  it('plays a whole warm transfer across channels: advice given by email reaches the agent who takes the call', async () => {
    // The complaint starts by email; the customer gives a mobile number in it. A number in a
    // mail's text is only a claim: anyone can write anyone's number.
    const email = await t.hub.ingest({
      channel: 'email',
      providerId: '<CAF1x@mail.example.nl>',
      messageId: '<CAF1x@mail.example.nl>',
      from: { kind: 'email', value: 'Marieke.Jansen@Example.nl' },
      claimedIdentities: [{ kind: 'phone', value: '06 12345678', via: 'email-text' }],
      name: 'Marieke Jansen',
      subject: 'Wasmachine lekt',
      body: 'Mijn wasmachine lekt na de reparatie. Bel me gerust op 06 12345678.',
      at: TUESDAY_10,
    });
    const reply = await t.request('POST', `/api/threads/${email.reference}/replies`, { body: { agent: 'bram', text: 'Draai de kraan dicht tot de monteur komt.', channel: 'email' } });
    expect(reply.status, reply.text).to.equal(201);
    await t.request('POST', `/api/threads/${email.reference}/advice`, { body: { agent: 'bram', text: 'Kraan dichtdraaien tot de monteur komt' } });
    const claimed = (await t.request('GET', `/api/threads/${email.reference}`)).json.customer;
    expect(claimed.phones).to.deep.equal([]);
    expect(claimed.claims).to.deep.equal([{ kind: 'phone', value: CALLER, via: 'email-text', at: '2026-11-24T10:00:00+01:00' }]);

    // Before anyone vouches for the number, a call from it is a stranger's: not greeted by her name.
    expect(await call('/twilio/voice', { CallSid: sid('CA'), From: CALLER })).not.to.include('Marieke Jansen');
    // Bram rang her back on it and she answered: he confirms it as hers.
    const confirmed = await t.request('POST', `/api/threads/${email.reference}/identities/confirm`, { body: { kind: 'phone', value: '06 12345678', agent: 'bram' } });
    expect(confirmed.status, confirmed.text).to.equal(201);

    // Later she calls from that number: greeted by name, asked about the open complaint, presses 1.
    const callSid = sid('CA');
    const greeting = await call('/twilio/voice', { CallSid: callSid, From: CALLER });
    expect(greeting).to.include('Marieke Jansen');
    const dial = await call(`/twilio/voice/menu?lang=nl&ref=${email.reference}&attempt=1`, { CallSid: callSid, Digits: '1' });
    const whisperUrl = /<Number url="([^"]+)"/.exec(dial)?.[1] ?? '';
    expect(whisperUrl).to.include(`ref=${email.reference}`);
    const whisper = await call(whisperUrl.replace(PUBLIC_URL, ''), { CallSid: sid('CA'), From: HUB_NUMBER, To: '+31201234567' });
    expect(whisper).to.include('Marieke Jansen').and.include('Wasmachine lekt').and.include('Kraan dichtdraaien tot de monteur komt');
    expect(whisper).not.to.include('niet geverifieerd');
    // Her call joined the email's complaint, verified.
    const joined = await t.hub.ctx.db('contacts').where({ provider_id: callSid }).first('thread_id', 'verified');
    expect({ threadId: joined?.thread_id, verified: Boolean(joined?.verified) }).to.deep.equal({ threadId: email.threadId, verified: true });
  });

  /** The first three free slots at Tuesday 10:00 (30 minutes' notice, two agents free). */
  const SLOT_1030 = Date.parse('2026-11-24T10:30:00+01:00');
  const SLOT_1045 = Date.parse('2026-11-24T10:45:00+01:00');
  const SLOT_1100 = Date.parse('2026-11-24T11:00:00+01:00');
  const offered = (starts: number[]) => starts.join('%2C'); // as URLSearchParams writes it

  it('offers exact callback slots when the agent does not answer, never silence', async () => {
    const reference = await knownCustomer();
    const callSid = sid('CA');
    await call('/twilio/voice', { CallSid: callSid });
    const twiml = await call(`/twilio/voice/dial-result?lang=nl&ref=${reference}&agent=anna`, { CallSid: callSid, DialCallStatus: 'no-answer' });
    expect(twiml).to.include('geen medewerker beschikbaar');
    expect(twiml).to.include('Toets 1 voor vandaag om 10:30. Toets 2 voor vandaag om 10:45. Toets 3 voor vandaag om 11:00.');
    expect(twiml).to.match(/<Gather [^>]*numDigits="1"/);
    expect(twiml).to.include(`action="${PUBLIC_URL}/twilio/voice/callback-slot?lang=nl&ref=${reference}&slots=${offered([SLOT_1030, SLOT_1045, SLOT_1100])}&attempt=1"`);
    expect(await events('call-transferred')).to.deep.equal([{ callSid, agent: 'anna', result: 'no-answer' }]);
  });

  it('key 2 reads three slots; the keyed one is booked via the IVR and confirmed with day and time', async () => {
    const reference = await knownCustomer();
    const callSid = sid('CA');
    await call('/twilio/voice', { CallSid: callSid });
    const offer = await call(`/twilio/voice/menu?lang=nl&ref=${reference}&attempt=1`, { CallSid: callSid, Digits: '2' });
    expect(offer).to.include('Wanneer mogen we u terugbellen?');
    expect(offer).to.include(`slots=${offered([SLOT_1030, SLOT_1045, SLOT_1100])}`);
    expect(offer).not.to.include('<Hangup/>');

    const booked = await call(`/twilio/voice/callback-slot?lang=nl&ref=${reference}&slots=${offered([SLOT_1030, SLOT_1045, SLOT_1100])}&attempt=1`, { CallSid: callSid, Digits: '2' });
    expect(booked).to.include('Uw terugbelafspraak staat: dinsdag 24 november om 10:45.');
    expect(booked).to.include('<Hangup/>');
    const [row] = await t.hub.ctx.db('callbacks').select('start', 'status', 'booked_via');
    expect({ ...row, start: Number(row?.start) }).to.deep.equal({ start: SLOT_1045, status: 'booked', booked_via: 'ivr' });
    expect(await events('callback-requested')).to.deep.equal([{ callSid, phone: CALLER, via: 'voice', slot: '2026-11-24T10:45:00+01:00' }]);
    const dossier = await t.request('GET', `/api/threads/${reference}`);
    expect(dossier.json.callbacks).to.deep.equal([{ start: '2026-11-24T10:45:00+01:00', end: '2026-11-24T11:00:00+01:00', status: 'booked', agent: 'anna', actualStart: null, outcome: null }]);
  });

  it('speaks the slots in English, with tomorrow and a weekday for later days', async () => {
    const reference = await knownCustomer();
    const callSid = sid('CA');
    t.setNow(Date.parse('2026-11-24T16:50:00+01:00'));
    const offer = await call(`/twilio/voice/menu?lang=en&ref=${reference}&attempt=1`, { CallSid: callSid, Digits: '2' });
    expect(offer).to.include('When may we call you back? Press 1 for tomorrow at 9:00. Press 2 for tomorrow at 9:15.');
    t.setNow(Date.parse('2026-11-27T16:50:00+01:00'));
    const friday = await call(`/twilio/voice/menu?lang=nl&ref=${reference}&attempt=1`, { CallSid: callSid, Digits: '2' });
    expect(friday).to.include('Toets 1 voor maandag 30 november om 9:00.');
  });

  it('a slot taken meanwhile gets a fresh offer, never an error', async () => {
    const reference = await knownCustomer();
    const callSid = sid('CA');
    await call('/twilio/voice', { CallSid: callSid });
    // Both agents are booked at 10:30 by other customers while this caller listens.
    for (const phone of ['+31611111111', '+31622222222']) {
      const other = await t.hub.ingest({ channel: 'sms', providerId: sid('SM'), from: { kind: 'phone', value: phone }, body: 'Andere klacht', at: TUESDAY_10 });
      const taken = await t.request('POST', `/api/threads/${other.reference}/callbacks`, { body: { start: '2026-11-24T10:30:00+01:00' } });
      expect(taken.status, taken.text).to.equal(201);
    }
    const twiml = await call(`/twilio/voice/callback-slot?lang=nl&ref=${reference}&slots=${offered([SLOT_1030, SLOT_1045, SLOT_1100])}&attempt=1`, { CallSid: callSid, Digits: '1' });
    expect(twiml).to.include('Dat tijdstip is helaas net vergeven.');
    expect(twiml).to.include('Toets 1 voor vandaag om 10:45.');
    expect(twiml).to.include(`slots=${offered([SLOT_1045, SLOT_1100, Date.parse('2026-11-24T11:15:00+01:00')])}&attempt=1`);
    expect(twiml).not.to.include('<Hangup/>');
    expect(await t.hub.ctx.db('callbacks').where({ booked_via: 'ivr' }).select('id')).to.have.length(0);
  });

  it('repeats the slot offer once on no input, then notes the request honestly without a time', async () => {
    const reference = await knownCustomer();
    const callSid = sid('CA');
    await call('/twilio/voice', { CallSid: callSid });
    const slots = offered([SLOT_1030, SLOT_1045, SLOT_1100]);
    const again = await call(`/twilio/voice/callback-slot?lang=nl&ref=${reference}&slots=${slots}&attempt=1`, { CallSid: callSid });
    expect(again).to.include('Ik heb u niet verstaan.');
    expect(again).to.include(`slots=${slots}&attempt=2`);
    const honest = await call(`/twilio/voice/callback-slot?lang=nl&ref=${reference}&slots=${slots}&attempt=2`, { CallSid: callSid });
    expect(honest).to.include('tijdens onze openingstijden');
    expect(honest).to.include('<Hangup/>');
    expect(await events('callback-requested')).to.deep.equal([{ callSid, phone: CALLER, via: 'voice', slot: null }]);
    expect(await t.hub.ctx.db('callbacks').select('id')).to.have.length(0);
  });

  it('with no free slot at all, key 2 takes the honest path', async () => {
    await t.stop();
    const config = loadHubConfig(join(__dirname, '..', '..', 'config', 'klachtenhub.json'));
    t = await startHub({
      now: TUESDAY_10,
      config: { ...config, agents: config.agents.map((agent) => ({ ...agent, hours: {} })) },
      env: { PUBLIC_URL, TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_PHONE_NUMBER: HUB_NUMBER, TWILIO_API_URL: 'http://127.0.0.1:9' },
    });
    const reference = await knownCustomer();
    const callSid = sid('CA');
    await call('/twilio/voice', { CallSid: callSid });
    const twiml = await call(`/twilio/voice/menu?lang=nl&ref=${reference}&attempt=1`, { CallSid: callSid, Digits: '2' });
    expect(twiml).to.include('tijdens onze openingstijden');
    expect(twiml).not.to.include('callback-slot');
    expect(await events('callback-requested')).to.deep.equal([{ callSid, phone: CALLER, via: 'voice', slot: null }]);
  });

  it('key 3 asks for a reference on the keypad, checks the check digit, gives two tries, then tells the status', async () => {
    const reference = await knownCustomer();
    const callSid = sid('CA');
    const stranger = { CallSid: callSid, From: '+31687654321' };
    const ask = await call('/twilio/voice/describe?lang=nl&attempt=1', { ...stranger, Digits: '3' });
    expect(ask).to.match(/<Gather [^>]*numDigits="8"/);
    expect(ask).to.include(`action="${PUBLIC_URL}/twilio/voice/reference?lang=nl&attempt=1"`);

    const digits = reference.slice(3);
    const mistyped = `${digits.slice(0, 7)}${(Number(digits[7]) + 1) % 10}`;
    const retry = await call('/twilio/voice/reference?lang=nl&attempt=1', { ...stranger, Digits: mistyped });
    expect(retry).to.include('Dat nummer klopt niet');
    expect(retry).to.include('reference?lang=nl&attempt=2');

    const told = await call('/twilio/voice/reference?lang=nl&attempt=2', { ...stranger, Digits: digits });
    expect(told).to.match(/is in behandeling\. Een medewerker reageert uiterlijk \w+dag \d+ november \d\d:\d\d\./);

    const giveUp = await call('/twilio/voice/reference?lang=nl&attempt=2', { ...stranger, CallSid: sid('CA'), Digits: mistyped });
    expect(giveUp).to.include('niet herkend');
    expect(giveUp).to.match(/<Dial /);
  });

  describe('a stranger who keys her reference', () => {
    const SLOT_1045_ISO = '2026-11-24T10:45:00+01:00';

    /** Marieke's complaint, with advice and a callback booked at 10:45. */
    async function bookedCustomer(): Promise<{ reference: string; callbackId: number }> {
      const reference = await knownCustomer();
      await t.request('POST', `/api/threads/${reference}/advice`, { body: { agent: 'bram', text: 'Kraan dichtdraaien' } });
      const booked = await t.request('POST', `/api/threads/${reference}/callbacks`, { body: { start: SLOT_1045_ISO } });
      expect(booked.status, booked.text).to.equal(201);
      return { reference, callbackId: booked.json.callback.id };
    }

    /** A stranger's call up to the menu of her complaint: key 3, then her reference on the keypad. */
    async function keyedHerReference(reference: string, lang: 'nl' | 'en' = 'nl'): Promise<{ callSid: string; told: string }> {
      const callSid = sid('CA');
      await call(`/twilio/voice/describe?lang=${lang}&attempt=1`, { CallSid: callSid, From: STRANGER, Caller: STRANGER, Digits: '3' });
      const told = await call(`/twilio/voice/reference?lang=${lang}&attempt=1`, { CallSid: callSid, From: STRANGER, Caller: STRANGER, Digits: reference.slice(3) });
      return { callSid, told };
    }

    const personal = ['Marieke', 'Jansen', 'wasmachine', 'Kraan', '10:45', '10 uur 45'];

    it('hears only the state and the next promised time: no name, no issue, no advice, no callback time', async () => {
      const { reference } = await bookedCustomer();
      const { told } = await keyedHerReference(reference);
      expect(told).to.match(new RegExp(`Uw klacht ${spokenReference(reference)} is in behandeling\\. Een medewerker reageert uiterlijk \\w+dag \\d+ november \\d\\d:\\d\\d\\.`));
      const english = (await keyedHerReference(reference, 'en')).told;
      expect(english).to.match(new RegExp(`Your complaint ${spokenReference(reference)} is being handled\\. An agent will respond by \\w+day \\d+ November \\d\\d:\\d\\d\\.`));
      for (const word of personal) {
        expect(told.toLowerCase(), word).not.to.include(word.toLowerCase());
        expect(english.toLowerCase(), word).not.to.include(word.toLowerCase());
      }
      // Asking for the status stores nothing on her thread.
      expect(await voiceContacts()).to.deep.equal([]);
    });

    it('then key 2 books, moves and offers nothing, and says why without her name or her callback time; she still can, from her own number', async () => {
      const { reference, callbackId } = await bookedCustomer();
      const { callSid } = await keyedHerReference(reference);
      const refused = await call(`/twilio/voice/menu?lang=nl&ref=${reference}&attempt=1`, { CallSid: callSid, From: STRANGER, Digits: '2' });
      expect(refused).to.include('Een terugbelafspraak voor deze klacht kan alleen worden gemaakt vanaf het eigen telefoonnummer van de klant. Een medewerker neemt contact op met de klant.');
      expect(refused).to.include('<Hangup/>').and.not.include('callback-slot').and.not.include('Wanneer mogen we u terugbellen');
      for (const word of personal) expect(refused.toLowerCase(), word).not.to.include(word.toLowerCase());

      // Not by a step of its own either, nor after an agent who does not answer.
      const slots = offered([SLOT_1030, SLOT_1045, SLOT_1100]);
      const keyed = await call(`/twilio/voice/callback-slot?lang=nl&ref=${reference}&slots=${slots}&attempt=1`, { CallSid: callSid, From: STRANGER, Digits: '1' });
      expect(keyed).to.include('eigen telefoonnummer van de klant').and.not.include('Uw terugbelafspraak staat');
      const second = await keyedHerReference(reference, 'en');
      const dial = await call(`/twilio/voice/menu?lang=en&ref=${reference}&attempt=1`, { CallSid: second.callSid, From: STRANGER, Digits: '1' });
      expect(dial).to.match(/<Dial /);
      const unanswered = await call(`/twilio/voice/dial-result?lang=en&ref=${reference}&agent=anna`, { CallSid: second.callSid, From: STRANGER, DialCallStatus: 'no-answer' });
      expect(unanswered).to.include('No agent is available').and.include("A callback for this complaint can only be arranged from the customer's own phone number.");
      expect(unanswered).not.to.include('callback-slot');

      const [booking] = await t.hub.ctx.db('callbacks').select('id', 'status', 'start');
      expect(await t.hub.ctx.db('callbacks').select('id')).to.have.length(1);
      expect({ id: booking?.id, status: booking?.status, start: Number(booking?.start) }).to.deep.equal({ id: callbackId, status: 'booked', start: SLOT_1045 });
      expect(await events('callback-offered')).to.deep.equal([]);
      expect(await events('callback-requested')).to.deep.equal([]);
      expect(await t.hub.ctx.db('contacts').where({ channel: 'sms', direction: 'outbound' }).select('id')).to.deep.equal([]);
      // His calls are on her thread for the agent to see, unverified; his number is a claim, not hers.
      const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
      const calls = dossier.contacts.filter((contact: { channel: string }) => contact.channel === 'voice');
      expect(calls.map((contact: { verified: boolean; from: string }) => [contact.verified, contact.from])).to.deep.equal([[false, STRANGER], [false, STRANGER]]);
      expect(dossier.customer.phones).to.deep.equal([CALLER]);
      expect(dossier.customer.claims).to.deep.equal([{ kind: 'phone', value: STRANGER, via: 'reference', at: '2026-11-24T10:00:00+01:00' }]);

      // Marieke herself, from her own number: greeted by name, and she moves her callback to 10:30.
      const own = sid('CA');
      expect(await call('/twilio/voice', { CallSid: own })).to.include('Goedendag Marieke Jansen.');
      const offer = await call(`/twilio/voice/menu?lang=nl&ref=${reference}&attempt=1`, { CallSid: own, Digits: '2' });
      expect(offer).to.include('Toets 1 voor vandaag om 10:30.');
      const moved = await call(`/twilio/voice/callback-slot?lang=nl&ref=${reference}&slots=${slots}&attempt=1`, { CallSid: own, Digits: '1' });
      expect(moved).to.include('Uw terugbelafspraak staat: dinsdag 24 november om 10:30.');
      const after = (await t.request('GET', `/api/threads/${reference}`)).json.callbacks.map((callback: { start: string; status: string }) => [callback.start, callback.status]);
      expect(after).to.deep.equal([
        ['2026-11-24T10:30:00+01:00', 'booked'],
        [SLOT_1045_ISO, 'cancelled'],
      ]);
    });

    it('then key 1: the agent hears, and the Slack handoff card shows, that the number is not verified', async () => {
      await t.stop();
      const slack = await startFakeSlackApi();
      try {
        t = await startHub({
          now: TUESDAY_10,
          env: {
            PUBLIC_URL,
            TWILIO_ACCOUNT_SID: ACCOUNT_SID,
            TWILIO_AUTH_TOKEN: AUTH_TOKEN,
            TWILIO_PHONE_NUMBER: HUB_NUMBER,
            TWILIO_API_URL: 'http://127.0.0.1:9',
            SLACK_SIGNING_SECRET: SECRET,
            SLACK_BOT_TOKEN: 'xoxb-test',
            SLACK_API_URL: slack.url,
          },
        });
        const { reference } = await bookedCustomer();
        const { callSid } = await keyedHerReference(reference);
        const dial = await call(`/twilio/voice/menu?lang=nl&ref=${reference}&attempt=1`, { CallSid: callSid, From: STRANGER, Digits: '1' });
        expect(dial).not.to.include('Marieke');
        const whisperUrl = /<Number url="([^"]+)"/.exec(dial)?.[1] ?? '';
        const whisper = await call(whisperUrl.replace(PUBLIC_URL, ''), { CallSid: sid('CA'), From: HUB_NUMBER, To: '+31201234567' });
        // Said first, before the name the caller may not own.
        expect(whisper).to.match(/<Say [^>]*>Let op: het laatste gesprek kwam van een niet geverifieerd nummer\. Klacht K L, [\d, ]+ van Marieke Jansen/);

        const transfer = await t.request('POST', `/api/threads/${reference}/transfer`, { body: { toTeam: 'service' } });
        expect(transfer.status, transfer.text).to.equal(200);
        expect(transfer.json.handoff.unverified).to.deep.equal({ channel: 'voice', from: STRANGER, at: '2026-11-24T10:00:00+01:00' });
        const [posted] = await slack.waitFor('chat.postMessage');
        const card = JSON.stringify(posted?.args.blocks);
        expect(card).to.contain(`Let op: het laatste contact (telefoon van ${STRANGER}, di 24 nov 10:00) is niet geverifieerd.`);
        expect(card).to.contain(`${STRANGER} (niet bevestigd)`);
      } finally {
        await slack.close();
      }
    });
  });

  it('repeats the menu once on no input or a wrong key, then connects to an agent', async () => {
    const reference = await knownCustomer();
    const callSid = sid('CA');
    await call('/twilio/voice', { CallSid: callSid });
    const silent = await call(`/twilio/voice/menu?lang=nl&ref=${reference}&attempt=1`, { CallSid: callSid, Digits: '' });
    expect(silent).to.include('Ik heb u niet verstaan.');
    expect(silent).to.include(`menu?lang=nl&ref=${reference}&attempt=2`);
    const wrong = await call(`/twilio/voice/menu?lang=nl&ref=${reference}&attempt=1`, { CallSid: callSid, Digits: '7' });
    expect(wrong).to.include('Dat is geen geldige keuze.');
    const fallback = await call(`/twilio/voice/menu?lang=nl&ref=${reference}&attempt=2`, { CallSid: callSid });
    expect(fallback).to.match(/<Dial /);

    const unknownSilent = await call('/twilio/voice/describe?lang=nl&attempt=1', { CallSid: sid('CA'), From: '+31687654321' });
    expect(unknownSilent).to.include('Ik heb u niet verstaan.');
    expect(unknownSilent).to.include('describe?lang=nl&attempt=2');
  });

  it('key 9 switches to English', async () => {
    await knownCustomer();
    const callSid = sid('CA');
    const redirect = await call('/twilio/voice/menu?lang=nl&attempt=1', { CallSid: callSid, Digits: '9' });
    expect(redirect).to.include(`<Redirect method="POST">${PUBLIC_URL}/twilio/voice?lang=en</Redirect>`);
    const english = await call('/twilio/voice?lang=en', { CallSid: callSid });
    expect(english).to.include('Hello Marieke Jansen.');
    expect(english).to.include('language="en-GB"');
    expect(english).not.to.include('For English, press 9.');
  });

  it('records how a call ended on the thread timeline; a hang-up before any input leaves no thread', async () => {
    const reference = await knownCustomer();
    const callSid = sid('CA');
    await call('/twilio/voice', { CallSid: callSid });
    await call(`/twilio/voice/menu?lang=nl&ref=${reference}&attempt=1`, { CallSid: callSid, Digits: '2' });
    await call(`/twilio/voice/callback-slot?lang=nl&ref=${reference}&slots=${offered([SLOT_1030])}&attempt=1`, { CallSid: callSid, Digits: '1' });
    const status = await postTwilio(t, '/twilio/voice/status', fixture('voice-status', { CallSid: callSid }));
    expect(status.status).to.equal(204);
    expect(await events('call-ended')).to.deep.equal([{ callSid, status: 'completed', durationSeconds: 94, endedBy: 'hub' }]);

    const hangUp = sid('CA');
    await call('/twilio/voice', { CallSid: hangUp, From: '+31687654321' });
    expect((await postTwilio(t, '/twilio/voice/status', fixture('voice-status', { CallSid: hangUp, From: '+31687654321', CallDuration: '3' }))).status).to.equal(204);
    expect(await t.hub.ctx.db('threads').count({ n: '*' }).first()).to.deep.include({ n: 1 });
  });

  it('tells a caller with a withheld number that a callback is impossible, and still keeps the call on a thread', async () => {
    const callSid = sid('CA');
    const twiml = await call('/twilio/voice/describe?lang=nl&attempt=1', { CallSid: callSid, From: 'anonymous', Caller: 'anonymous', Digits: '2' });
    expect(twiml).to.include('Uw nummer is afgeschermd');
    expect(twiml).to.include('<Hangup/>');
    expect((await voiceContacts()).map((c) => c.provider_id)).to.deep.equal([callSid]);
  });

  it('a withheld caller who keyed her reference and pressed 2 hears that a withheld number cannot be called back, and nothing is booked', async () => {
    const reference = await knownCustomer();
    const callSid = sid('CA');
    const anonymous = { CallSid: callSid, From: 'anonymous', Caller: 'anonymous' };
    await call('/twilio/voice/describe?lang=nl&attempt=1', { ...anonymous, Digits: '3' });
    await call('/twilio/voice/reference?lang=nl&attempt=1', { ...anonymous, Digits: reference.slice(3) });
    const twiml = await call(`/twilio/voice/menu?lang=nl&ref=${reference}&attempt=1`, { ...anonymous, Digits: '2' });
    expect(twiml).to.include('Uw nummer is afgeschermd');
    expect(twiml).to.not.include('Toets 1');
    expect(await t.hub.ctx.db('callbacks').count({ n: '*' }).first()).to.deep.include({ n: 0 });
  });

  it('refuses unsigned or wrongly signed voice webhooks with 403', async () => {
    expect((await postTwilio(t, '/twilio/voice', fixture('voice-inbound'), { signature: null })).status).to.equal(403);
    expect((await postTwilio(t, '/twilio/voice', fixture('voice-inbound'), { token: 'wrong' })).status).to.equal(403);
    expect((await postTwilio(t, '/twilio/voice/status', fixture('voice-status'), { signature: 'AAAA' })).status).to.equal(403);
  });
});
