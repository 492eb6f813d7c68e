import { expect } from 'chai';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { startSmtp, type SmtpStandIn } from '../helpers/smtp';
import { openSse, type SseStream } from './chat-client';
import { ACCOUNT_SID, AUTH_TOKEN, HUB_NUMBER, TwilioStandIn, fixture, postTwilio, sid } from './twilio-helpers';

// Tuesday 24 November 2026, 10:00 in Amsterdam.
const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const MINUTE = 60_000;
const ALICE = 'alice@example.nl';
const ALICE_PHONE = '+31612345678';

interface Session {
  sessionId: string;
  token: string;
  verification: { kind: string; to: string } | null;
  verificationRefused?: { kind: string; to: string; reason: string; retryAfter?: number };
}

interface OutboxMessage {
  channel: string;
  to: string;
  subject?: string;
  body: string;
  purpose: string;
}

describe(`chat proves a typed address with a one-time code (${storeName})`, function () {
  this.timeout(30_000);
  let t: TestHub;
  const streams: SseStream[] = [];

  beforeEach(async () => {
    t = await startHub({ now: TUESDAY_10 });
  });
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await t?.stop();
  });

  async function newSession(body: Record<string, unknown>, hub = t): Promise<Session> {
    const created = await hub.request('POST', '/chat/sessions', { body, token: null });
    expect(created.status, created.text).to.equal(201);
    return created.json;
  }

  const say = (session: Session, text: string) => t.request('POST', `/chat/sessions/${session.sessionId}/messages`, { body: { text }, token: session.token });
  const verify = (session: Session, code: string, token = session.token) => t.request('POST', `/chat/sessions/${session.sessionId}/verify`, { body: { code }, token });
  const askAgain = (session: Session) => t.request('POST', `/chat/sessions/${session.sessionId}/verification`, { token: session.token });
  const dossier = async (reference: string) => (await t.request('GET', `/api/threads/${reference}`)).json;

  async function outbox(): Promise<OutboxMessage[]> {
    const answer = await t.request('GET', '/api/outbox?limit=500');
    expect(answer.status, answer.text).to.equal(200);
    return answer.json.messages;
  }

  /** The codes sent to an address, newest first. */
  async function codesTo(to: string): Promise<string[]> {
    return (await outbox()).filter((message) => message.to === to && message.purpose === 'verification').map((message) => codeIn(message.body));
  }

  async function stream(session: Session): Promise<SseStream> {
    const opened = await openSse(`${t.base}/chat/sessions/${session.sessionId}/events`, { authorization: `Bearer ${session.token}` });
    streams.push(opened);
    return opened;
  }

  /** Alice mailed about her lamp an hour ago: her address is proven by the channel, her thread is open. */
  async function aliceMailed(): Promise<string> {
    const result = await t.hub.ingest({ channel: 'email', providerId: '<a1@example.nl>', messageId: '<a1@example.nl>', from: { kind: 'email', value: ALICE }, subject: 'Lamp kapot', body: 'Mijn lamp is kapot aangekomen.', at: TUESDAY_10 - 60 * MINUTE });
    await t.hub.worker.runDue();
    return result.reference;
  }

  describe('as an attacker who types Alice\'s address', () => {
    it('does not join her thread: the chat gets a thread of its own, linked to hers, acknowledged in the chat only, and her mail gets only a code that carries nothing the chat typed', async () => {
      const hers = await aliceMailed();
      const attacker = await newSession({ name: 'Uw bank: bel 0900-1234', email: 'Alice@Example.NL' });
      expect(attacker.verification).to.deep.equal({ kind: 'email', to: ALICE });

      const events = await stream(attacker);
      const sent = await say(attacker, 'Wat is de status van mijn klacht?');
      expect(sent.status, sent.text).to.equal(201);
      expect(sent.json.reference).to.match(/^KL-\d{8}$/).and.not.equal(hers);
      await t.hub.worker.runDue();
      await events.waitFor(2);
      expect(events.events[1]?.data.kind).to.equal('acknowledgement');
      expect(events.events[1]?.data.text).to.contain(sent.json.reference).and.not.contain(hers);

      const toAlice = (await outbox()).filter((message) => message.to === ALICE);
      expect(toAlice.map((message) => message.purpose)).to.deep.equal(['verification', 'acknowledgement']); // newest first: her own acknowledgement came an hour earlier
      const codeMail = toAlice[0] as OutboxMessage;
      expect(`${codeMail.subject}\n${codeMail.body}`).not.to.match(/bank|0900|Uw bank/i);
      expect(codeMail.body).to.match(/^Uw code is \d{6}$/m);

      const chatThread = await dossier(sent.json.reference);
      expect(chatThread.linkedReference).to.equal(hers);
      expect(chatThread.customer.emails).to.deep.equal([]);
      expect(chatThread.customer.claims.map((claim: { kind: string; value: string; via: string }) => [claim.kind, claim.value, claim.via])).to.deep.equal([['email', ALICE, 'chat-form']]);
      const herThread = await dossier(hers);
      expect(herThread.contacts.map((contact: { channel: string; direction: string }) => `${contact.channel}:${contact.direction}`)).to.deep.equal(['email:inbound', 'email:outbound']);
    });

    it('never receives an agent\'s reply to Alice\'s thread: without a channel it goes to her proven email', async () => {
      const hers = await aliceMailed();
      const attacker = await newSession({ email: ALICE });
      await say(attacker, 'Stuur het antwoord maar hier.');
      const events = await stream(attacker);
      await t.hub.worker.runDue();
      await events.waitFor(2);

      const reply = await t.request('POST', `/api/threads/${hers}/replies`, { body: { agent: 'anna', text: 'Uw nieuwe lamp is onderweg.' } });
      expect(reply.status, reply.text).to.equal(201);
      expect(reply.json.reply).to.deep.equal({ channel: 'email', to: ALICE });
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(events.events.map((event) => event.data.text)).not.to.include('Uw nieuwe lamp is onderweg.');
    });

    it('a wrong code is 400 and counts; after 5 wrong tries even the right code is refused (429) until a new code is asked for', async () => {
      const attacker = await newSession({ email: ALICE });
      const [right] = await codesTo(ALICE);
      const wrong = right === '000000' ? '000001' : '000000';
      for (let tryNumber = 1; tryNumber <= 5; tryNumber++) {
        const answer = await verify(attacker, wrong);
        expect(answer.status, answer.text).to.equal(400);
        expect(answer.json.error.code).to.equal('wrong_code');
        expect(answer.json.error.message).to.match(new RegExp(`${5 - tryNumber} tr(y|ies) left$`));
      }
      const dead = await verify(attacker, right as string);
      expect(dead.status).to.equal(429);
      expect(dead.json.error.code).to.equal('too_many_tries');
      expect(await t.hub.ctx.db('identities').where({ kind: 'email', value: ALICE }).first('id')).to.equal(undefined);

      expect((await askAgain(attacker)).status).to.equal(201);
      const [fresh] = await codesTo(ALICE);
      expect((await verify(attacker, fresh as string)).status).to.equal(200);
    });

    it('a hundred guesses sent at once get five tries between them', async () => {
      const attacker = await newSession({ email: ALICE });
      const [right] = await codesTo(ALICE);
      const guesses = Array.from({ length: 100 }, (_, i) => String(i).padStart(6, '0')).filter((guess) => guess !== right);
      const answers = await Promise.all(guesses.map((guess) => verify(attacker, guess)));
      expect(answers.filter((answer) => answer.status === 400)).to.have.length(5);
      expect(answers.filter((answer) => answer.status === 429)).to.have.length(guesses.length - 5);
    });

    it('a code expires after 15 minutes (400 code_expired)', async () => {
      const session = await newSession({ email: ALICE });
      const [code] = await codesTo(ALICE);
      t.setNow(TUESDAY_10 + 15 * MINUTE);
      const late = await verify(session, code as string);
      expect(late.status).to.equal(400);
      expect(late.json.error.code).to.equal('code_expired');
    });

    it('gets at most 3 codes an hour sent to one address, across chats: the 4th chat starts without one and says why', async () => {
      for (let i = 0; i < 3; i++) expect((await newSession({ email: ALICE })).verification).to.deep.equal({ kind: 'email', to: ALICE });
      t.setNow(TUESDAY_10 + 10 * MINUTE);
      const fourth = await newSession({ email: ALICE });
      expect(fourth.verification).to.equal(null);
      expect(fourth.verificationRefused).to.deep.equal({ kind: 'email', to: ALICE, reason: 'rate_limited', retryAfter: 50 * 60 });
      const again = await askAgain(fourth);
      expect(again.status).to.equal(429);
      expect(again.json.error.code).to.equal('rate_limited');
      expect(again.headers.get('retry-after')).to.equal(String(50 * 60));
      expect(await codesTo(ALICE)).to.have.length(3);

      t.setNow(TUESDAY_10 + 61 * MINUTE);
      expect((await askAgain(fourth)).json.verification).to.deep.equal({ kind: 'email', to: ALICE });
    });

    it('gets at most 3 codes an hour in one chat, whichever address they go to', async () => {
      const session = await newSession({ email: 'mallory@example.nl', phone: '06 98765432' });
      const [emailCode] = await codesTo('mallory@example.nl');
      const proven = await verify(session, emailCode as string);
      expect(proven.json.verification).to.deep.equal({ kind: 'phone', to: '+31698765432' });
      expect((await askAgain(session)).status).to.equal(201);
      const fourth = await askAgain(session);
      expect(fourth.status).to.equal(429);
      expect(fourth.json.error.code).to.equal('rate_limited');
      expect(await codesTo('+31698765432')).to.have.length(2);
    });

    it('chats started at the same moment with one address get 3 codes between them', async () => {
      const sessions = await Promise.all(Array.from({ length: 6 }, () => newSession({ email: ALICE })));
      expect(sessions.filter((session) => session.verification !== null)).to.have.length(3);
      expect(sessions.filter((session) => session.verificationRefused?.reason === 'rate_limited')).to.have.length(3);
      expect(await codesTo(ALICE)).to.have.length(3);
    });

    it('cannot verify another chat\'s code with its own token (404), nor without one (401)', async () => {
      const alice = await newSession({ email: ALICE });
      const attacker = await newSession({ name: 'Mallory' });
      const [code] = await codesTo(ALICE);
      const probing = await verify(alice, code as string, attacker.token);
      expect(probing.status).to.equal(404);
      expect((await t.request('POST', `/chat/sessions/${alice.sessionId}/verify`, { body: { code }, token: null })).status).to.equal(401);
      expect((await t.request('POST', `/chat/sessions/${alice.sessionId}/verification`, { token: attacker.token })).status).to.equal(404);
      expect((await verify(attacker, code as string)).json.error.code).to.equal('no_code');
    });
  });

  describe('as an attacker who types Alice\'s reference', () => {
    it('reaches her thread unverified, but the chat sees no reference, books nothing, and gets no reply meant for her', async () => {
      const hers = await aliceMailed();
      const attacker = await newSession({ name: 'Alice' });
      const said = await say(attacker, `Over ${hers}: wat is mijn adres ook alweer?`);
      expect(said.status, said.text).to.equal(201);
      expect(said.json.reference).to.equal(null);
      const contacts = (await dossier(hers)).contacts.filter((contact: { direction: string }) => contact.direction === 'inbound');
      expect(contacts.map((contact: { channel: string; verified: boolean }) => [contact.channel, contact.verified])).to.deep.equal([
        ['email', true],
        ['chat', false],
      ]);
      // The chat is tied to no thread of hers: no callback times, no booking on her complaint.
      const offer = await t.request('POST', `/chat/sessions/${attacker.sessionId}/callback-offer`, { token: attacker.token });
      expect(offer.status).to.equal(409);
      const reply = await t.request('POST', `/api/threads/${hers}/replies`, { body: { agent: 'anna', text: 'Uw adres is Dorpsstraat 1.' } });
      expect(reply.json).to.deep.equal({ reply: { channel: 'email', to: ALICE } });
      const replyInChat = await t.request('POST', `/api/threads/${hers}/replies`, { body: { agent: 'anna', text: 'Uw adres is Dorpsstraat 1.', channel: 'chat' } });
      expect(replyInChat.status).to.equal(422);
    });
  });

  describe('as the customer herself', () => {
    it('proves her email with the code from her mail: her chat joins her open thread and shows its reference, and an agent reply without channel reaches the chat', async () => {
      const hers = await aliceMailed();
      const alice = await newSession({ name: 'Alice', email: ALICE, language: 'en' });
      const [code] = await codesTo(ALICE);
      expect((await outbox()).find((message) => message.purpose === 'verification')?.subject).to.equal(`Your code for the chat: ${code}`);
      const proven = await verify(alice, ` ${(code as string).slice(0, 3)} ${(code as string).slice(3)} `);
      expect(proven.status, proven.text).to.equal(200);
      expect(proven.json).to.deep.equal({ verified: { kind: 'email', value: ALICE }, reference: null, verification: null });

      const events = await stream(alice);
      const sent = await say(alice, 'Is the new lamp on its way?');
      expect(sent.json).to.include({ reference: hers, joinedExisting: true });
      const reply = await t.request('POST', `/api/threads/${hers}/replies`, { body: { agent: 'anna', text: 'It ships today.' } });
      expect(reply.json.reply).to.deep.equal({ channel: 'chat', to: alice.sessionId });
      await events.waitFor(2);
      expect(events.events[1]?.data).to.include({ kind: 'reply', text: 'It ships today.' });
      const herThread = await dossier(hers);
      expect(herThread.contacts.map((contact: { channel: string; verified: boolean }) => [contact.channel, contact.verified])).to.deep.equal([['email', true], ['email', true], ['chat', true], ['chat', true]]);
      expect(await t.hub.ctx.db('threads').count({ n: '*' })).to.deep.equal([{ n: 1 }]);
    });

    it('a chat that already opened a thread continues on her one open thread after the code; both threads say so, and the chat\'s own stays open for an agent', async () => {
      const hers = await aliceMailed();
      const alice = await newSession({ email: ALICE });
      const own = (await say(alice, 'Ik ben het, Alice.')).json.reference as string;
      const proven = await verify(alice, (await codesTo(ALICE))[0] as string);
      expect(proven.json.reference).to.equal(hers);
      expect((await say(alice, 'Nog iets over de lamp.')).json.reference).to.equal(hers);

      for (const reference of [hers, own]) {
        const event = (await dossier(reference)).timeline.find((entry: { kind: string }) => entry.kind === 'chat-verified');
        expect(event?.data).to.deep.equal({ session: alice.sessionId, kind: 'email', value: ALICE, reference: hers, from: own });
      }
      expect((await dossier(own)).status).to.equal('open');
      expect((await dossier(hers)).contacts.map((contact: { body: string }) => contact.body)).to.include('Nog iets over de lamp.');
    });

    it('when she has no open thread, the chat takes its own thread along to her', async () => {
      const hers = await aliceMailed();
      await t.request('POST', `/api/threads/${hers}/resolve`, { body: { agent: 'anna', resolution: 'Nieuwe lamp gestuurd' } });
      const alice = await newSession({ name: 'Alice', email: ALICE });
      const own = (await say(alice, 'De nieuwe lamp is ook kapot.')).json.reference as string;
      const proven = await verify(alice, (await codesTo(ALICE))[0] as string);
      expect(proven.json.reference).to.equal(own);
      const ownThread = await dossier(own);
      expect(ownThread.customer.emails).to.deep.equal([ALICE]);
      const reply = await t.request('POST', `/api/threads/${own}/replies`, { body: { agent: 'anna', text: 'We sturen er nog een.', channel: 'email' } });
      expect(reply.json.reply).to.deep.equal({ channel: 'email', to: ALICE });
    });

    it('proves a phone number with a code by SMS (the outbox records it without Twilio), then her phone and chat are one customer', async () => {
      const chat = await newSession({ name: 'Bob', phone: '06 12345678' });
      expect(chat.verification).to.deep.equal({ kind: 'phone', to: ALICE_PHONE });
      const [sms] = (await outbox()).filter((message) => message.channel === 'sms');
      expect(sms?.body).to.match(/^Uw code voor de chat met de klantenservice: \d{6}\. Geldig 15 minuten\./);
      expect((await verify(chat, codeIn(sms?.body ?? ''))).json).to.deep.equal({ verified: { kind: 'phone', value: ALICE_PHONE }, reference: null, verification: null });
      const sent = await say(chat, 'Mijn factuur klopt niet.');
      const thread = await dossier(sent.json.reference);
      expect(thread.customer).to.include({ name: 'Bob' });
      expect(thread.customer.phones).to.deep.equal([ALICE_PHONE]);
    });

    it('gives email and phone: the email is proven first, then the phone gets its code', async () => {
      const chat = await newSession({ email: ALICE, phone: '06 12345678' });
      expect(chat.verification).to.deep.equal({ kind: 'email', to: ALICE });
      const first = await verify(chat, (await codesTo(ALICE))[0] as string);
      expect(first.json).to.deep.equal({ verified: { kind: 'email', value: ALICE }, reference: null, verification: { kind: 'phone', to: ALICE_PHONE } });
      const second = await verify(chat, (await codesTo(ALICE_PHONE))[0] as string);
      expect(second.json).to.deep.equal({ verified: { kind: 'phone', value: ALICE_PHONE }, reference: null, verification: null });
      expect((await askAgain(chat)).json.error.code).to.equal('nothing_to_verify');
    });

    it('asks for a new code when the mail is slow; only the newest code counts', async () => {
      const chat = await newSession({ email: ALICE });
      const again = await askAgain(chat);
      expect(again.status, again.text).to.equal(201);
      expect(again.json).to.deep.equal({ verification: { kind: 'email', to: ALICE } });
      const [newest, first] = await codesTo(ALICE);
      if (first !== newest) expect((await verify(chat, first as string)).json.error.code).to.equal('wrong_code');
      expect((await verify(chat, newest as string)).status).to.equal(200);
    });
  });

  describe('through SMTP', () => {
    let smtp: SmtpStandIn;
    let mailHub: TestHub;
    beforeEach(async () => {
      smtp = await startSmtp();
      mailHub = await startHub({ now: TUESDAY_10, env: { SMTP_URL: smtp.url, MAIL_FROM: 'Klantenservice <klachten@hub.example.nl>' } });
    });
    afterEach(async () => {
      await mailHub?.stop();
      await smtp.close();
    });

    it('mails the code marked Auto-Submitted, outside any conversation, without the chat\'s name; a refused address leaves no code behind', async () => {
      const chat = await newSession({ name: 'Uw bank', email: ALICE }, mailHub);
      expect(chat.verification).to.deep.equal({ kind: 'email', to: ALICE });
      const [sent] = smtp.received;
      expect(sent?.to).to.deep.equal([ALICE]);
      expect(sent?.mail.headers.get('auto-submitted')).to.equal('auto-generated');
      expect([sent?.mail.inReplyTo, sent?.mail.references]).to.deep.equal([undefined, undefined]);
      expect(sent?.mail.subject).to.match(/^Uw code voor de chat: \d{6}$/);
      expect(sent?.mail.text).not.to.contain('bank');

      const refused = await newSession({ email: 'bounce@example.nl' }, mailHub);
      expect(refused.verificationRefused).to.deep.equal({ kind: 'email', to: 'bounce@example.nl', reason: 'send_failed' });
      expect(await mailHub.hub.ctx.db('verification_codes').where({ value: 'bounce@example.nl' }).count({ n: '*' })).to.deep.equal([{ n: 0 }]);
    });
  });

  describe('through Twilio', () => {
    let api: TwilioStandIn;
    let twilioHub: TestHub;
    beforeEach(async () => {
      api = new TwilioStandIn();
      await api.start();
      twilioHub = await startHub({ now: TUESDAY_10, env: { PUBLIC_URL: 'https://hub.example.nl', TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_PHONE_NUMBER: HUB_NUMBER, TWILIO_API_URL: api.url } });
    });
    afterEach(async () => {
      await twilioHub?.stop();
      await api.stop();
    });

    it('sends the code as an SMS with no thread, and none to a number that texted STOP (the chat is told why)', async () => {
      const chat = await newSession({ phone: ALICE_PHONE }, twilioHub);
      expect(chat.verification).to.deep.equal({ kind: 'phone', to: ALICE_PHONE });
      expect(api.messages().map((message) => [message.form.To, /: \d{6}\./.test(message.form.Body ?? '')])).to.deep.equal([[ALICE_PHONE, true]]);
      expect(await twilioHub.hub.ctx.db('sms_parts').select('recipient', 'thread_id')).to.deep.equal([{ recipient: ALICE_PHONE, thread_id: null }]);

      await postTwilio(twilioHub, '/twilio/sms', fixture('sms-inbound', { MessageSid: sid('SM'), From: ALICE_PHONE, Body: 'STOP' }));
      const stopped = await newSession({ phone: ALICE_PHONE }, twilioHub);
      expect(stopped.verification).to.equal(null);
      expect(stopped.verificationRefused).to.deep.equal({ kind: 'phone', to: ALICE_PHONE, reason: 'opted_out' });
      expect(api.messages()).to.have.length(1);
      expect(await twilioHub.hub.ctx.db('verification_codes').count({ n: '*' })).to.deep.equal([{ n: 1 }]);
    });
  });
});

function codeIn(text: string): string {
  const code = /\b(\d{6})\b/.exec(text)?.[1];
  if (!code) throw new Error(`no code in: ${text}`);
  return code;
}
