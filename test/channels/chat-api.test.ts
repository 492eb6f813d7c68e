import { expect } from 'chai';
import pino from 'pino';
import { readEnv } from '../../src/config/env';
import { loadHubConfig } from '../../src/config/hub-config';
import { Hub } from '../../src/hub';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { openSse, type SseStream } from './chat-client';

// Tuesday 24 November 2026, 10:00 in Amsterdam: the team is open, callback slots are free.
const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');

describe(`web chat API (${storeName})`, function () {
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

  async function newSession(body: Record<string, unknown> = { name: 'Els Jansen' }): Promise<{ sessionId: string; token: string; verification: unknown }> {
    const created = await t.request('POST', '/chat/sessions', { body, token: null });
    expect(created.status, created.text).to.equal(201);
    return created.json;
  }

  const say = (session: { sessionId: string; token: string }, text: string, extra: Record<string, unknown> = {}) =>
    t.request('POST', `/chat/sessions/${session.sessionId}/messages`, { body: { text, ...extra }, token: session.token });

  async function stream(session: { sessionId: string; token: string }, headers: Record<string, string> = {}, base = t.base): Promise<SseStream> {
    const opened = await openSse(`${base}/chat/sessions/${session.sessionId}/events`, { authorization: `Bearer ${session.token}`, ...headers });
    streams.push(opened);
    return opened;
  }

  it('opens a thread with the first message, acknowledges it on the stream and shows the reference; an agent reply arrives live', async () => {
    const session = await newSession();
    const events = await stream(session);
    const sent = await say(session, 'Mijn pakket is niet aangekomen.');
    expect(sent.status, sent.text).to.equal(201);
    expect(sent.json.reference).to.match(/^KL-\d{8}$/);
    await t.hub.worker.runDue();
    await events.waitFor(2);
    expect(events.events.map((event) => [event.id, event.data.kind])).to.deep.equal([[1, 'customer'], [2, 'acknowledgement']]);
    expect(events.events[1]?.data.text).to.contain(sent.json.reference);

    const reply = await t.request('POST', `/api/threads/${sent.json.reference}/replies`, { body: { agent: 'anna', text: 'We sturen vandaag een nieuw pakket.' } });
    expect(reply.status, reply.text).to.equal(201);
    expect(reply.json.reply).to.deep.equal({ channel: 'chat', to: session.sessionId });
    await events.waitFor(3);
    expect(events.events[2]?.data).to.include({ kind: 'reply', text: 'We sturen vandaag een nieuw pakket.' });
    const dossier = (await t.request('GET', `/api/threads/${sent.json.reference}`)).json;
    expect(dossier.contacts.map((c: { channel: string; direction: string }) => `${c.channel}:${c.direction}`)).to.deep.equal(['chat:inbound', 'chat:outbound', 'chat:outbound']);
  });

  it('adds the chat to the open thread of the customer whose email she gives only once she types back the code sent there', async () => {
    const { reference } = await t.hub.ingest({ channel: 'email', providerId: '<e1@example.nl>', messageId: '<e1@example.nl>', from: { kind: 'email', value: 'els@example.nl' }, subject: 'Lamp kapot', body: 'De lamp is kapot.', at: TUESDAY_10 - 3_600_000 });
    const session = await newSession({ name: 'Els', email: 'Els@Example.NL', phone: '06 12345678' });
    expect(session).to.deep.include({ verification: { kind: 'email', to: 'els@example.nl' } });
    const outbox = (await t.request('GET', '/api/outbox')).json.messages as { to: string; purpose: string; body: string }[];
    const code = /\b(\d{6})\b/.exec(outbox.find((message) => message.to === 'els@example.nl' && message.purpose === 'verification')?.body ?? '')?.[1] ?? '';
    const proven = await t.request('POST', `/chat/sessions/${session.sessionId}/verify`, { body: { code }, token: session.token });
    expect(proven.json).to.deep.equal({ verified: { kind: 'email', value: 'els@example.nl' }, reference: null, verification: { kind: 'phone', to: '+31612345678' } });

    const sent = await say(session, 'Ik mailde al over de lamp.');
    expect(sent.json).to.include({ reference, joinedExisting: true });
    const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
    expect(dossier.contacts.map((c: { channel: string }) => c.channel)).to.deep.equal(['email', 'chat']);
    // The phone she typed waits for its own code: until then it is a claim.
    expect(dossier.customer.phones).to.deep.equal([]);
    expect(dossier.customer.claims.map((claim: { value: string }) => claim.value)).to.deep.equal(['+31612345678']);
  });

  it('refuses a wrong token (401), another session\'s id with one\'s own token (404), and no token (401)', async () => {
    const mine = await newSession();
    const theirs = await newSession();
    expect((await t.request('POST', `/chat/sessions/${mine.sessionId}/messages`, { body: { text: 'hoi' }, token: 'not-a-token' })).status).to.equal(401);
    const probing = await t.request('POST', `/chat/sessions/${theirs.sessionId}/messages`, { body: { text: 'hoi' }, token: mine.token });
    expect(probing.status).to.equal(404);
    expect(probing.json.error.code).to.equal('not_found');
    expect((await t.request('GET', `/chat/sessions/${theirs.sessionId}/events?token=${mine.token}`, { token: null })).status).to.equal(404);
    expect((await t.request('POST', `/chat/sessions/${mine.sessionId}/messages`, { body: { text: 'hoi' }, token: null })).status).to.equal(401);
  });

  it('limits messages per session (429 with Retry-After) and the size of a message, with clear messages', async () => {
    const session = await newSession();
    const tooLong = await say(session, 'x'.repeat(2_001));
    expect(tooLong.status).to.equal(400);
    expect(tooLong.json.error.message).to.contain('at most 2000 characters');
    for (let i = 0; i < 20; i++) expect((await say(session, `bericht ${i}`)).status).to.equal(201);
    const limited = await say(session, 'nog eentje');
    expect(limited.status).to.equal(429);
    expect(limited.headers.get('retry-after')).to.equal('60');
    expect(limited.json.error).to.deep.equal({ code: 'rate_limited', message: 'you are sending messages very fast; wait a moment and try again' });
    t.setNow(TUESDAY_10 + 61_000);
    expect((await say(session, 'een minuut later')).status).to.equal(201);
  });

  it('limits new sessions per client address', async () => {
    for (let i = 0; i < 10; i++) await newSession();
    const limited = await t.request('POST', '/chat/sessions', { body: {}, token: null });
    expect(limited.status).to.equal(429);
    expect(limited.json.error.code).to.equal('rate_limited');
  });

  it('behind a reverse proxy (TRUST_PROXY) counts each customer\'s own address, not the proxy\'s; without it a forwarded address counts for nothing', async () => {
    await t.stop();
    t = await startHub({ now: TUESDAY_10, env: { TRUST_PROXY: 'loopback' } });
    const start = (client: string) => t.request('POST', '/chat/sessions', { body: {}, token: null, headers: { 'x-forwarded-for': client } });
    for (let i = 0; i < 10; i++) expect((await start('203.0.113.9')).status).to.equal(201);
    expect((await start('203.0.113.9')).status).to.equal(429);
    expect((await start('198.51.100.7')).status).to.equal(201);

    await t.stop();
    t = await startHub({ now: TUESDAY_10 });
    // Anyone can write the header: untrusted, it is no way around the limit.
    for (let i = 0; i < 10; i++) expect((await start(`203.0.113.${i}`)).status).to.equal(201);
    expect((await start('198.51.100.7')).status).to.equal(429);
  });

  it('caps open event streams per chat and per client address (429), and frees a place when a stream closes', async () => {
    await t.stop();
    t = await startHub({ now: TUESDAY_10, env: { TRUST_PROXY: 'loopback' } });
    const eventsOf = (session: { sessionId: string; token: string }, client: string) =>
      fetch(`${t.base}/chat/sessions/${session.sessionId}/events`, { headers: { authorization: `Bearer ${session.token}`, 'x-forwarded-for': client } });
    const tabs = await newSession();
    const first = [];
    for (let i = 0; i < 3; i++) first.push(await stream(tabs, { 'x-forwarded-for': '203.0.113.9' }));
    const fourth = await eventsOf(tabs, '203.0.113.9');
    expect(fourth.status).to.equal(429);
    expect(((await fourth.json()) as { error: { code: string } }).error.code).to.equal('rate_limited');
    first[0]?.close();
    // The server notices the closed stream on its own time.
    for (let tries = 0; ; tries++) {
      const again = await eventsOf(tabs, '203.0.113.9');
      if (again.status === 200) {
        await again.body?.cancel();
        break;
      }
      expect(tries).to.be.below(50);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    // 20 streams from one address across chats; the 21st from it is refused, another address is not.
    const office = [];
    for (let i = 0; i < 7; i++) office.push(await newSession());
    let opened = 0;
    for (const session of office) for (let tab = 0; tab < 3 && opened < 20; tab++, opened++) await stream(session, { 'x-forwarded-for': '198.51.100.7' });
    const crowded = await eventsOf(office[6] as { sessionId: string; token: string }, '198.51.100.7');
    expect(crowded.status).to.equal(429);
    const elsewhere = await eventsOf(office[6] as { sessionId: string; token: string }, '192.0.2.1');
    expect(elsewhere.status).to.equal(200);
    await elsewhere.body?.cancel();
  });

  it('stores a retried message once (same clientMessageId)', async () => {
    const session = await newSession();
    const first = await say(session, 'Dubbel?', { clientMessageId: 'retry-0001' });
    const again = await say(session, 'Dubbel?', { clientMessageId: 'retry-0001' });
    expect([first.status, again.status]).to.deep.equal([201, 200]);
    expect(await t.hub.ctx.db('contacts').where({ channel: 'chat', direction: 'inbound' }).count({ n: '*' })).to.deep.equal([{ n: 1 }]);
  });

  it('resumes from Last-Event-ID with exactly the events missed', async () => {
    const session = await newSession();
    const sent = await say(session, 'Eerste bericht');
    await t.hub.worker.runDue();
    const first = await stream(session);
    await first.waitFor(2);
    first.close();
    await t.request('POST', `/api/threads/${sent.json.reference}/replies`, { body: { agent: 'anna', text: 'Antwoord 1' } });
    await say(session, 'Tweede bericht');
    await t.request('POST', `/api/threads/${sent.json.reference}/replies`, { body: { agent: 'anna', text: 'Antwoord 2' } });
    const resumed = await stream(session, { 'last-event-id': '2' });
    await resumed.waitFor(3);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(resumed.events.map((event) => [event.id, event.data.text])).to.deep.equal([
      [3, 'Antwoord 1'],
      [4, 'Tweede bericht'],
      [5, 'Antwoord 2'],
    ]);
  });

  it('delivers a reply sent through another hub instance on the same store to the open stream', async () => {
    const session = await newSession();
    const sent = await say(session, 'Via welke server?');
    const env = readEnv({ DATABASE_URL: t.hub.ctx.env.DATABASE_URL, LOG_LEVEL: 'silent', PORT: '0' });
    const other = await Hub.create({ env, config: loadHubConfig('config/klachtenhub.json'), logger: pino({ level: 'silent' }), clock: () => TUESDAY_10, runJobs: false });
    try {
      const otherPort = await other.listen(0);
      const events = await stream(session);
      await events.waitFor(1);
      const reply = await fetch(`http://127.0.0.1:${otherPort}/api/threads/${sent.json.reference}/replies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ agent: 'bram', text: 'Van de andere server.' }),
      });
      expect(reply.status).to.equal(201);
      await events.waitFor(2);
      expect(events.events[1]?.data).to.include({ kind: 'reply', text: 'Van de andere server.' });
    } finally {
      await other.stop();
    }
  });

  it('offers callback times as choices and books the one clicked; a time taken meanwhile brings fresh choices (409)', async () => {
    const session = await newSession();
    const sent = await say(session, 'Bel me liever.');
    const events = await stream(session);
    const offered = await t.request('POST', `/chat/sessions/${session.sessionId}/callback-offer`, { token: session.token });
    expect(offered.status, offered.text).to.equal(201);
    expect(offered.json.slots).to.have.length(3);
    await events.waitFor(2);
    expect(events.events[1]?.data.kind).to.equal('offer');
    expect(events.events[1]?.data.data.slots[0].label).to.match(/^dinsdag 24 november om \d\d:\d\d$/);

    const start = offered.json.slots[0].start as string;
    const booked = await t.request('POST', `/chat/sessions/${session.sessionId}/callbacks`, { body: { start }, token: session.token });
    expect(booked.status, booked.text).to.equal(201);
    await events.waitFor(3);
    expect(events.events[2]?.data).to.include({ kind: 'callback' });
    const dossier = (await t.request('GET', `/api/threads/${sent.json.reference}`)).json;
    expect(dossier.callbacks.map((c: { start: string; status: string }) => [c.start, c.status])).to.deep.equal([[start, 'booked']]);

    const past = await t.request('POST', `/chat/sessions/${session.sessionId}/callbacks`, { body: { start: '2026-11-24T08:00:00+01:00' }, token: session.token });
    expect(past.status).to.equal(409);
    await events.waitFor(4);
    expect(events.events[3]?.data.kind).to.equal('offer');
    expect(events.events[3]?.data.text).to.match(/^Dat tijdstip is net vergeven/);
  });

  it('asks the satisfaction question in the chat when the thread is resolved, and keeps the answer', async () => {
    const session = await newSession();
    const sent = await say(session, 'Klacht');
    const events = await stream(session);
    await t.request('POST', `/api/threads/${sent.json.reference}/resolve`, { body: { agent: 'anna', resolution: 'Nieuw pakket verstuurd' } });
    await events.waitFor(2);
    expect(events.events[1]?.data.kind).to.equal('satisfaction');
    const rated = await t.request('POST', `/chat/sessions/${session.sessionId}/satisfaction`, { body: { score: 4 }, token: session.token });
    expect(rated.status, rated.text).to.equal(201);
    const event = await t.hub.ctx.db('timeline_events').where({ kind: 'satisfaction-rated' }).first('data');
    expect(JSON.parse(event.data)).to.deep.equal({ score: 4, channel: 'chat' });
  });

  it('forgets a stream when the browser goes away', async () => {
    const session = await newSession();
    const events = await stream(session);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(t.hub.chatStreams.size).to.equal(1);
    events.close();
    const deadline = Date.now() + 2_000;
    while (t.hub.chatStreams.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(t.hub.chatStreams.size).to.equal(0);
  });

  it('refuses an email address that is not one, saying so', async () => {
    const created = await t.request('POST', '/chat/sessions', { body: { email: 'els at example' }, token: null });
    expect(created.status).to.equal(400);
    expect(created.json.error.message).to.equal('email: not an email address');
  });
});
