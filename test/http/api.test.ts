import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import type { InboundContact } from '../../src/core/contact';
import { luhnCheckDigit } from '../../src/core/reference';
import { storeName } from '../helpers/db';
import { startHub, type TestHub, type TestResponse } from '../helpers/hub';

/** Tuesday 24 November 2026, 10:00 in Amsterdam. */
const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const MINUTE = 60_000;

let providerSeq = 0;
function sms(from: string, body: string, extra: Partial<InboundContact> = {}): InboundContact {
  return { channel: 'sms', providerId: `SM${++providerSeq}`, from: { kind: 'phone', value: from }, body, at: TUESDAY_10, ...extra };
}
function email(from: string, body: string, extra: Partial<InboundContact> = {}): InboundContact {
  return { channel: 'email', providerId: `<m${++providerSeq}@example.nl>`, from: { kind: 'email', value: from }, body, at: TUESDAY_10, ...extra };
}

/** The error contract: `{error:{code,message}}`, and nothing that looks like a stack trace. */
function expectError(response: TestResponse, status: number, code?: string): void {
  expect(response.status, response.text).to.equal(status);
  expect(response.headers.get('content-type') ?? '').to.match(/application\/json/);
  expect(response.json).to.be.an('object');
  expect(response.json.error).to.be.an('object');
  expect(response.json.error.message).to.be.a('string').and.not.equal('');
  if (code) expect(response.json.error.code).to.equal(code);
  else expect(response.json.error.code).to.be.a('string');
  expectNoStack(response.text);
}

function expectNoStack(text: string): void {
  expect(text).not.to.match(/\bat [\w.<>]+ \(/);
  expect(text).not.to.match(/\n\s+at /);
  expect(text).not.to.match(/\\n\s+at /);
  expect(text).not.to.match(/\.(ts|js):\d+/);
  expect(text).not.to.match(/node_modules|\/work\/|\/src\//);
}

/** A well-formed reference (right check digit) that no thread has. */
function unknownReference(taken: string[]): string {
  for (let n = 1234567; ; n++) {
    const payload = String(n);
    const reference = `KL-${payload}${luhnCheckDigit(payload)}`;
    if (!taken.includes(reference)) return reference;
  }
}

/** The same reference with a wrong check digit. */
function mistyped(reference: string): string {
  const last = Number(reference.slice(-1));
  return `${reference.slice(0, -1)}${(last + 1) % 10}`;
}

describe(`HTTP API (${storeName})`, function () {
  let t: TestHub;

  afterEach(async () => {
    await t?.stop();
  });

  describe('probes and metrics', () => {
    beforeEach(async () => {
      t = await startHub({ now: TUESDAY_10 });
    });

    it('answers /healthz with 200', async () => {
      const response = await t.request('GET', '/healthz');
      expect(response.status).to.equal(200);
      expect(response.json).to.deep.equal({ status: 'ok' });
    });

    it('answers /readyz with 200 ready when the database is migrated', async () => {
      const response = await t.request('GET', '/readyz');
      expect(response.status).to.equal(200);
      expect(response.json.status).to.equal('ready');
    });

    it('serves Prometheus text with the ingest counter and the thread gauge', async () => {
      await t.hub.ingest(sms('+31612345678', 'Mijn pakket is kapot'));
      const response = await fetch(`${t.base}/metrics`);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^text\/plain/);
      const text = await response.text();
      expect(text).to.match(/^# HELP klachtenhub_contacts_ingested_total /m);
      expect(text).to.match(/^# TYPE klachtenhub_contacts_ingested_total counter$/m);
      expect(text).to.match(/^klachtenhub_contacts_ingested_total\{channel="sms",outcome="opened"\} 1$/m);
      expect(text).to.match(/^# TYPE klachtenhub_threads gauge$/m);
      expect(text).to.match(/^klachtenhub_threads\{status="open"\} 1$/m);
    });

    it('counts the work at hand in the gauges, not the history: open threads, and jobs not done', async () => {
      await t.hub.ingest(sms('+31612345678', 'Mijn pakket is kapot'));
      const { reference } = await t.hub.ingest(sms('+31687654321', 'Verkeerde maat geleverd'));
      expect((await t.request('POST', `/api/threads/${reference}/resolve`, { body: { agent: 'anna', resolution: 'Nieuwe maat verstuurd' } })).status).to.equal(200);
      await t.hub.worker.runDue(); // the acknowledgements are due now, the promise watch later
      const text = await (await fetch(`${t.base}/metrics`)).text();
      expect(text.match(/^klachtenhub_threads\{.*$/gm)).to.deep.equal(['klachtenhub_threads{status="open"} 1']);
      expect(text).to.match(/^klachtenhub_jobs\{kind="promise-watch",state="queued"\} [1-9]\d*$/m);
      expect(text).not.to.match(/state="done"/);
    });
  });

  describe('authentication', () => {
    beforeEach(async () => {
      t = await startHub({ now: TUESDAY_10, env: { API_TOKEN: 's3cret-token' } });
    });

    it('refuses a request without a bearer token with 401 JSON', async () => {
      expectError(await t.request('GET', '/api/threads', { token: null }), 401, 'unauthorized');
    });

    it('refuses a wrong token (same length and different length) with 401 JSON', async () => {
      expectError(await t.request('GET', '/api/threads', { token: 's3cret-tokex' }), 401, 'unauthorized');
      expectError(await t.request('GET', '/api/threads', { token: 'nope' }), 401, 'unauthorized');
      expectError(await t.request('GET', '/api/threads', { token: null, headers: { authorization: 's3cret-token' } }), 401, 'unauthorized');
    });

    it('accepts the right token', async () => {
      const response = await t.request('GET', '/api/threads');
      expect(response.status).to.equal(200);
      expect(response.json).to.deep.equal({ threads: [], nextCursor: null });
    });

    it('checks the token before reading the body', async () => {
      expectError(await t.request('POST', '/api/merges', { token: null, rawBody: '{not json' }), 401, 'unauthorized');
    });
  });

  describe('without API_TOKEN: only local requests', () => {
    beforeEach(async () => {
      t = await startHub({ now: TUESDAY_10, env: { TRUST_PROXY: 'loopback' } });
    });

    /** A raw request, so that Host can be what a rebinding page or a proxy would send. */
    function get(path: string, headers: Record<string, string>): Promise<number> {
      return new Promise((resolve, reject) => {
        const req = httpRequest(`${t.base}${path}`, { headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    }

    it('answers a request from this machine to localhost, in each loopback spelling', async () => {
      for (const host of ['localhost', `localhost:${t.port}`, `127.0.0.1:${t.port}`, `[::1]:${t.port}`]) expect(await get('/api/threads', { host }), host).to.equal(200);
    });

    it('refuses a DNS-rebinding page (its own Host) and anything a proxy forwarded, even from loopback (403)', async () => {
      expect(await get('/api/threads', { host: `evil.example:${t.port}` })).to.equal(403);
      expect(await get('/api/threads', { host: 'localhost.evil.example' })).to.equal(403);
      expect(await get('/api/threads', { host: `localhost:${t.port}`, 'x-forwarded-for': '203.0.113.9' })).to.equal(403);
      expect(await get('/api/threads', { host: `localhost:${t.port}`, 'x-forwarded-for': '127.0.0.1' })).to.equal(403);
      expect(await get('/api/threads', { host: `localhost:${t.port}`, forwarded: 'for=203.0.113.9' })).to.equal(403);
      const refused = await t.request('GET', '/api/threads', { headers: { 'x-forwarded-for': '203.0.113.9' } });
      expectError(refused, 403, 'forbidden');
    });
  });

  describe('request errors', () => {
    let reference: string;

    beforeEach(async () => {
      t = await startHub({ now: TUESDAY_10 });
      reference = (await t.hub.ingest(sms('+31612345678', 'Kapot', { name: 'Jan de Vries' }))).reference;
    });

    it('answers an unknown route with 404 JSON, inside and outside /api', async () => {
      expectError(await t.request('GET', '/nope'), 404, 'not_found');
      expectError(await t.request('GET', '/api/nope'), 404, 'not_found');
      expectError(await t.request('DELETE', `/api/threads/${reference}`), 404, 'not_found');
    });

    it('answers a malformed JSON body with 400 invalid_json', async () => {
      expectError(await t.request('POST', `/api/threads/${reference}/advice`, { rawBody: '{"agent": "anna", "text": ' }), 400, 'invalid_json');
    });

    it('answers a body over 100 kB with 413 payload_too_large', async () => {
      const body = JSON.stringify({ agent: 'anna', text: 'x'.repeat(150_000) });
      expectError(await t.request('POST', `/api/threads/${reference}/advice`, { rawBody: body }), 413, 'payload_too_large');
    });

    it('answers a body that breaks the schema with 400 invalid_request', async () => {
      const missing = await t.request('POST', `/api/threads/${reference}/advice`, { body: { agent: 'anna' } });
      expectError(missing, 400, 'invalid_request');
      expect(missing.json.error.message).to.include('text');
      const unknownKey = await t.request('POST', `/api/threads/${reference}/advice`, { body: { agent: 'anna', text: 'ok', colour: 'red' } });
      expectError(unknownKey, 400, 'invalid_request');
      expect(unknownKey.json.error.message).to.include('colour');
      expectError(await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text: 'hi', channel: 'fax' } }), 400, 'invalid_request');
      expectError(await t.request('POST', `/api/threads/${reference}/advice`, { body: [] }), 400, 'invalid_request');
    });

    it('answers an unknown reference with 404', async () => {
      expectError(await t.request('GET', `/api/threads/${unknownReference([reference])}`), 404, 'not_found');
      expectError(await t.request('POST', `/api/threads/${unknownReference([reference])}/advice`, { body: { agent: 'anna', text: 'x' } }), 404, 'not_found');
      expectError(await t.request('GET', '/api/threads/not-a-reference'), 404, 'not_found');
    });

    it('answers a reference with a wrong check digit with 404, never a near match', async () => {
      expectError(await t.request('GET', `/api/threads/${mistyped(reference)}`), 404, 'not_found');
    });

    it('finds a reference typed in lower case without the dash', async () => {
      const response = await t.request('GET', `/api/threads/${reference.toLowerCase().replace('-', '')}`);
      expect(response.status).to.equal(200);
      expect(response.json.reference).to.equal(reference);
    });
  });

  describe('thread list', () => {
    let jan: string;
    let piet: string;
    let klaas: string;

    beforeEach(async () => {
      t = await startHub({ now: TUESDAY_10 + 60 * MINUTE });
      jan = (await t.hub.ingest(sms('+31612345678', 'Pakket kapot', { name: 'Jan de Vries', at: TUESDAY_10 }))).reference;
      piet = (await t.hub.ingest(email('Piet.Bakker@Example.NL', 'Factuur klopt niet', { name: 'Piet Bakker', subject: 'Factuur', at: TUESDAY_10 + MINUTE }))).reference;
      klaas = (await t.hub.ingest(sms('+31687654321', 'Te laat bezorgd', { name: 'Klaas Smit', at: TUESDAY_10 + 2 * MINUTE }))).reference;
    });

    it('lists threads newest first in the SPEC shape', async () => {
      const response = await t.request('GET', '/api/threads');
      expect(response.status).to.equal(200);
      expect(response.json.nextCursor).to.equal(null);
      expect(response.json.threads.map((thread: { reference: string }) => thread.reference)).to.deep.equal([klaas, piet, jan]);
      const item = response.json.threads[2];
      expect(item).to.include({ reference: jan, status: 'open' });
      expect(item.customer).to.deep.equal({ name: 'Jan de Vries' });
      expect(item.issue).to.deep.equal({ summary: 'Pakket kapot' });
      expect(item.updatedAt).to.equal('2026-11-24T10:00:00+01:00');
      expect(response.json.threads[1].issue.summary).to.equal('Factuur: Factuur klopt niet');
      for (const thread of response.json.threads) expect(thread.reference).to.match(/^KL-\d{8}$/);
    });

    it('finds a thread by its reference', async () => {
      const response = await t.request('GET', `/api/threads?q=${encodeURIComponent(piet)}`);
      expect(response.json.threads.map((thread: { reference: string }) => thread.reference)).to.deep.equal([piet]);
    });

    it('finds a thread by the phone number in another notation', async () => {
      for (const q of ['06 12345678', '0612345678', '+31 6 1234 5678', '0031612345678']) {
        const response = await t.request('GET', `/api/threads?q=${encodeURIComponent(q)}`);
        expect(response.status).to.equal(200);
        expect(response.json.threads.map((thread: { reference: string }) => thread.reference), q).to.deep.equal([jan]);
      }
    });

    it('finds a thread by the email address in upper case', async () => {
      const response = await t.request('GET', `/api/threads?q=${encodeURIComponent('PIET.BAKKER@EXAMPLE.NL')}`);
      expect(response.json.threads.map((thread: { reference: string }) => thread.reference)).to.deep.equal([piet]);
    });

    it('finds a thread by part of the name, in any case', async () => {
      const response = await t.request('GET', '/api/threads?q=vries');
      expect(response.json.threads.map((thread: { reference: string }) => thread.reference)).to.deep.equal([jan]);
      const none = await t.request('GET', '/api/threads?q=Nobody');
      expect(none.json.threads).to.deep.equal([]);
    });

    it('treats % and _ in q as text, not wildcards', async () => {
      expect((await t.request('GET', '/api/threads?q=%25')).json.threads).to.deep.equal([]);
      expect((await t.request('GET', '/api/threads?q=_')).json.threads).to.deep.equal([]);
    });

    it('filters by status', async () => {
      await t.hub.ctx.db('threads').where({ reference: piet }).update({ status: 'resolved' });
      const open = await t.request('GET', '/api/threads?status=open');
      expect(open.json.threads.map((thread: { reference: string }) => thread.reference)).to.deep.equal([klaas, jan]);
      const resolved = await t.request('GET', '/api/threads?status=resolved');
      expect(resolved.json.threads.map((thread: { reference: string }) => thread.reference)).to.deep.equal([piet]);
      expectError(await t.request('GET', '/api/threads?status=closed'), 400, 'invalid_request');
    });

    it('pages with limit and nextCursor through every thread exactly once, ties included', async () => {
      // Two more threads at the same instant as Klaas's: the cursor must break the tie.
      const more = [
        (await t.hub.ingest(sms('+31611111111', 'a', { at: TUESDAY_10 + 2 * MINUTE }))).reference,
        (await t.hub.ingest(sms('+31622222222', 'b', { at: TUESDAY_10 + 2 * MINUTE }))).reference,
      ];
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
        const response = await t.request('GET', `/api/threads${query}`);
        expect(response.status, response.text).to.equal(200);
        expect(response.json.threads.length).to.be.at.most(2);
        seen.push(...response.json.threads.map((thread: { reference: string }) => thread.reference));
        cursor = response.json.nextCursor;
        pages += 1;
        expect(pages).to.be.below(10);
      } while (cursor);
      expect(pages).to.equal(3);
      expect(seen).to.have.length(5);
      expect(new Set(seen).size).to.equal(5);
      expect([...seen].sort()).to.deep.equal([jan, piet, klaas, ...more].sort());
    });

    it('refuses a garbage cursor with 400', async () => {
      expectError(await t.request('GET', '/api/threads?cursor=garbage'), 400, 'invalid_request');
      expectError(await t.request('GET', `/api/threads?cursor=${Buffer.from('1:x').toString('base64url')}`), 400, 'invalid_request');
    });

    it('refuses a bad limit with 400', async () => {
      expectError(await t.request('GET', '/api/threads?limit=0'), 400, 'invalid_request');
      expectError(await t.request('GET', '/api/threads?limit=abc'), 400, 'invalid_request');
    });
  });

  describe('dossier', () => {
    beforeEach(async () => {
      t = await startHub({ now: TUESDAY_10 + 5 * MINUTE });
    });

    it('shows the thread in the SPEC shape, across channels: proven addresses, claims, and which contacts are verified', async () => {
      const { reference } = await t.hub.ingest(sms('06 12345678', 'Mijn pakket is kapot aangekomen', { name: 'Jan de Vries', category: 'levering' }));
      // A reference from an address the hub cannot tie to Jan reaches his thread, unverified.
      const joined = await t.hub.ingest(email('Jan@Example.NL', 'Foto in de bijlage', { subject: `Re: ${reference}`, at: TUESDAY_10 + 2 * MINUTE }));
      expect(joined).to.include({ reference, outcome: 'joined', matchedBy: 'reference', verified: false });

      const response = await t.request('GET', `/api/threads/${reference}`);
      expect(response.status).to.equal(200);
      const dossier = response.json;
      expect(dossier.reference).to.equal(reference);
      expect(dossier.status).to.equal('open');
      expect(dossier.customer).to.include({ name: 'Jan de Vries' });
      expect(dossier.customer.phones).to.deep.equal(['+31612345678']);
      expect(dossier.customer.emails).to.deep.equal([]);
      expect(dossier.customer.identities).to.deep.equal([{ kind: 'phone', value: '+31612345678', proof: 'channel', by: null, at: '2026-11-24T10:00:00+01:00' }]);
      expect(dossier.customer.claims).to.deep.equal([{ kind: 'email', value: 'jan@example.nl', via: 'reference', at: '2026-11-24T10:02:00+01:00' }]);
      expect(dossier.issue).to.deep.equal({ category: 'levering', summary: 'Mijn pakket is kapot aangekomen' });
      expect(dossier.contacts).to.deep.equal([
        { channel: 'sms', direction: 'inbound', at: '2026-11-24T10:00:00+01:00', body: 'Mijn pakket is kapot aangekomen', verified: true, from: '+31612345678' },
        { channel: 'email', direction: 'inbound', at: '2026-11-24T10:02:00+01:00', body: 'Foto in de bijlage', verified: false, from: 'jan@example.nl' },
      ]);
      expect(dossier.advice).to.deep.equal([]);
      expect(dossier.callbacks).to.deep.equal([]);
      // 8 opening hours from Tuesday 10:00 (09:00-12:30, 13:30-17:00): Wednesday 11:00.
      expect(dossier.sla).to.deep.equal({
        firstResponseDue: '2026-11-25T11:00:00+01:00',
        resolutionDue: dossier.sla.resolutionDue,
        breached: false,
      });
      expect(dossier.sla.resolutionDue).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+01:00$/);
      expect(Date.parse(dossier.sla.resolutionDue)).to.be.above(Date.parse(dossier.sla.firstResponseDue));
    });

    it('marks the SLA breached once the first response is overdue', async () => {
      const { reference } = await t.hub.ingest(sms('+31612345678', 'Kapot'));
      t.setNow(Date.parse('2026-11-25T11:00:01+01:00'));
      const response = await t.request('GET', `/api/threads/${reference}`);
      expect(response.json.sla.breached).to.equal(true);
    });
  });

  describe('acknowledgement', () => {
    beforeEach(async () => {
      t = await startHub({ now: TUESDAY_10 + 5_000 });
    });

    async function outbox(): Promise<{ channel: string; to: string; subject?: string; body: string; purpose: string; reference?: string }[]> {
      const response = await t.request('GET', '/api/outbox');
      expect(response.status).to.equal(200);
      return response.json.messages;
    }

    it('sends a new SMS thread an SMS with the reference and the promised time as a Dutch date, once', async () => {
      const { reference } = await t.hub.ingest(sms('+31612345678', 'Mijn pakket is kapot', { name: 'Jan de Vries' }));
      expect(await outbox()).to.deep.equal([]);
      expect(await t.hub.worker.runDue()).to.equal(1);

      const messages = await outbox();
      expect(messages).to.have.length(1);
      const [ack] = messages;
      expect(ack).to.include({ channel: 'sms', to: '+31612345678', purpose: 'acknowledgement', reference });
      expect(ack?.body).to.include(reference);
      expect(ack?.body).to.include('uiterlijk woensdag 25 november 11:00');
      expect(ack?.body).to.equal(
        `Beste Jan de Vries, we hebben uw klacht ontvangen onder nummer ${reference}. Een medewerker reageert uiterlijk woensdag 25 november 11:00. Noem dit nummer als u contact met ons opneemt.`,
      );

      const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
      const outbound = dossier.contacts.filter((contact: { direction: string }) => contact.direction === 'outbound');
      expect(outbound).to.have.length(1);
      expect(outbound[0]).to.include({ channel: 'sms', body: ack?.body, at: '2026-11-24T10:00:05+01:00' });

      expect(await t.hub.worker.runDue()).to.equal(0);
      t.setNow(TUESDAY_10 + 60 * MINUTE);
      await t.hub.worker.runDue(); // the promise watch finds the acknowledgement kept
      expect(await outbox()).to.have.length(1);
    });

    it('writes in English to a customer whose language is en', async () => {
      const { reference } = await t.hub.ingest(sms('+31612345678', 'My parcel is broken', { language: 'en' }));
      await t.hub.worker.runDue();
      const [ack] = await outbox();
      expect(ack?.body).to.equal(
        `We have received your complaint under reference ${reference}. An agent will respond by Wednesday 25 November 11:00. Please quote this reference when you contact us.`,
      );
    });

    it('acknowledges an email by email with the reference in the subject', async () => {
      const { reference } = await t.hub.ingest(email('Piet@Example.NL', 'De factuur klopt niet', { subject: 'Factuur', name: 'Piet' }));
      await t.hub.worker.runDue();
      const messages = await outbox();
      expect(messages).to.have.length(1);
      const [ack] = messages;
      expect(ack).to.include({ channel: 'email', to: 'piet@example.nl', purpose: 'acknowledgement' });
      expect(ack?.subject).to.include(reference);
      expect(ack?.body).to.include(reference);
      expect(ack?.body).to.include('uiterlijk woensdag 25 november 11:00');
    });

    it('acknowledges a call from a mobile number by SMS', async () => {
      const { reference } = await t.hub.ingest({ channel: 'voice', providerId: 'CA1', from: { kind: 'phone', value: '+31612345678' }, body: '(gesprek)', at: TUESDAY_10 });
      await t.hub.worker.runDue();
      const messages = await outbox();
      expect(messages).to.have.length(1);
      expect(messages[0]).to.include({ channel: 'sms', to: '+31612345678', reference });
      expect(messages[0]?.body).to.include(reference);
    });

    it('sends no SMS for a call from a landline', async () => {
      const { reference } = await t.hub.ingest({ channel: 'voice', providerId: 'CA2', from: { kind: 'phone', value: '+31205551234' }, body: '(gesprek)', at: TUESDAY_10 });
      expect(await t.hub.worker.runDue()).to.equal(1);
      const messages = await outbox();
      expect(messages.filter((message) => message.channel === 'sms')).to.deep.equal([]);
      const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
      expect(dossier.contacts.filter((contact: { direction: string }) => contact.direction === 'outbound')).to.deep.equal([]);
      expect(dossier.timeline.map((event: { kind: string }) => event.kind)).to.include('acknowledgement-not-sent');
    });
  });

  describe('advice and replies', () => {
    beforeEach(async () => {
      t = await startHub({ now: TUESDAY_10 + 30 * MINUTE });
    });

    it('records advice (201) and shows it in the dossier with agent and text', async () => {
      const { reference } = await t.hub.ingest(sms('+31612345678', 'Kapot'));
      const response = await t.request('POST', `/api/threads/${reference}/advice`, { body: { agent: 'anna', text: 'Stuur een foto van de schade' } });
      expect(response.status).to.equal(201);
      expect(response.json.advice).to.include({ agent: 'anna', text: 'Stuur een foto van de schade' });
      const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
      expect(dossier.advice).to.deep.equal([{ at: '2026-11-24T10:30:00+01:00', agent: 'anna', text: 'Stuur een foto van de schade' }]);
    });

    it('replies on the last channel used from a proven address, or the one the agent chooses, and records it in the outbox', async () => {
      const { reference } = await t.hub.ingest(sms('+31612345678', 'Kapot', { name: 'Jan' }));
      await t.hub.ingest(email('jan@example.nl', 'Hier de foto', { subject: `Aanvulling ${reference}`, at: TUESDAY_10 + 10 * MINUTE }));

      // The mail named his reference from an address he never proved: no reply goes there...
      const unproven = await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text: 'Uw IBAN is bij ons bekend.', channel: 'email' } });
      expect(unproven.status).to.equal(422);
      const stillSms = await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text: 'We kijken ernaar.' } });
      expect(stillSms.json).to.deep.equal({ reply: { channel: 'sms', to: '+31612345678' } });
      // ...until an agent confirms it (Jan said so on the phone).
      const confirmed = await t.request('POST', `/api/threads/${reference}/identities/confirm`, { body: { kind: 'email', value: 'JAN@example.nl', agent: 'anna' } });
      expect(confirmed.status, confirmed.text).to.equal(201);

      const byEmail = await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text: 'We sturen een nieuwe.' } });
      expect(byEmail.status, byEmail.text).to.equal(201);
      expect(byEmail.json).to.deep.equal({ reply: { channel: 'email', to: 'jan@example.nl' } });

      const bySms = await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text: 'Verzonden.', channel: 'sms' } });
      expect(bySms.status).to.equal(201);
      expect(bySms.json).to.deep.equal({ reply: { channel: 'sms', to: '+31612345678' } });

      const messages = (await t.request('GET', '/api/outbox')).json.messages.filter((message: { purpose: string }) => message.purpose === 'reply');
      expect(messages).to.have.length(3);
      expect(messages[0]).to.include({ channel: 'sms', to: '+31612345678', body: 'Verzonden.', reference });
      expect(messages[1]).to.include({ channel: 'email', to: 'jan@example.nl', body: 'We sturen een nieuwe.', reference });
      expect(messages[1].subject).to.equal(`Reactie op uw klacht [${reference}]`);

      const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
      expect(dossier.contacts.filter((contact: { direction: string }) => contact.direction === 'outbound').map((contact: { channel: string }) => contact.channel)).to.deep.equal([
        'sms',
        'email',
        'sms',
      ]);
      expect(messages.map((message: { body: string }) => message.body)).to.not.include('Uw IBAN is bij ons bekend.');
    });

    it('replies to a call by SMS', async () => {
      const { reference } = await t.hub.ingest({ channel: 'voice', providerId: 'CA9', from: { kind: 'phone', value: '+31612345678' }, body: '(gesprek)', at: TUESDAY_10 });
      const response = await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text: 'Zoals besproken.' } });
      expect(response.status).to.equal(201);
      expect(response.json).to.deep.equal({ reply: { channel: 'sms', to: '+31612345678' } });
    });

    it('refuses an email reply to a customer without an email address with 422 no_address', async () => {
      const { reference } = await t.hub.ingest(sms('+31612345678', 'Kapot'));
      expectError(await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text: 'Hallo', channel: 'email' } }), 422, 'no_address');
      const replies = (await t.request('GET', '/api/outbox')).json.messages.filter((message: { purpose: string }) => message.purpose === 'reply');
      expect(replies).to.deep.equal([]);
    });
  });

  describe('resolve', () => {
    beforeEach(async () => {
      t = await startHub({ now: TUESDAY_10 + 30 * MINUTE });
    });

    it('closes the thread and asks the customer for a rating on the channel they last used', async () => {
      const { reference } = await t.hub.ingest(sms('+31612345678', 'Kapot', { name: 'Jan' }));
      const response = await t.request('POST', `/api/threads/${reference}/resolve`, { body: { agent: 'anna', resolution: 'Nieuw toestel gestuurd' } });
      expect(response.status, response.text).to.equal(200);
      expect(response.json).to.deep.equal({ status: 'resolved', satisfactionQuestion: { channel: 'sms', to: '+31612345678' } });

      const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
      expect(dossier.status).to.equal('resolved');
      expect(dossier.timeline.find((event: { kind: string }) => event.kind === 'resolved').data).to.deep.equal({ agent: 'anna', resolution: 'Nieuw toestel gestuurd' });
      const question = (await t.request('GET', '/api/outbox')).json.messages.find((message: { purpose: string }) => message.purpose === 'satisfaction');
      expect(question).to.include({ channel: 'sms', to: '+31612345678', reference });
      expect(question.body).to.contain(`Uw klacht ${reference} is afgehandeld`);

      expectError(await t.request('POST', `/api/threads/${reference}/resolve`, { body: { agent: 'anna', resolution: 'nogmaals' } }), 409, 'conflict');
      // The next message from the customer starts a new thread instead of reopening the closed one.
      expect(await t.hub.ingest(sms('+31612345678', 'Nieuw probleem'))).to.include({ outcome: 'opened' });
    });

    it('closes the thread of a customer it cannot reach, without a question', async () => {
      const { reference } = await t.hub.ingest({ channel: 'voice', providerId: 'CA-anon-2', body: '(gesprek)', at: TUESDAY_10 });
      const response = await t.request('POST', `/api/threads/${reference}/resolve`, { body: { agent: 'anna', resolution: 'Telefonisch opgelost' } });
      expect(response.json).to.deep.equal({ status: 'resolved', satisfactionQuestion: null });
    });

    it('refuses a resolve without a resolution', async () => {
      const { reference } = await t.hub.ingest(sms('+31612345678', 'Kapot'));
      expectError(await t.request('POST', `/api/threads/${reference}/resolve`, { body: { agent: 'anna' } }), 400, 'invalid_request');
    });
  });

  describe('merge and undo', () => {
    beforeEach(async () => {
      t = await startHub({ now: TUESDAY_10 + 60 * MINUTE });
    });

    async function dossier(reference: string) {
      const response = await t.request('GET', `/api/threads/${reference}`);
      expect(response.status, response.text).to.equal(200);
      return response.json;
    }

    async function countContacts(references: string[]): Promise<number> {
      let total = 0;
      for (const reference of references) total += (await dossier(reference)).contacts.length;
      return total;
    }

    it('merges two customers, keeps what arrives after, and undoes the merge exactly', async () => {
      const byPhone = (await t.hub.ingest(sms('+31612345678', 'Kapot', { name: 'Jan de Vries' }))).reference;
      const byEmail = (await t.hub.ingest(email('j.devries@example.nl', 'Nog steeds kapot', { name: 'J. de Vries', at: TUESDAY_10 + MINUTE }))).reference;
      const before = await countContacts([byPhone, byEmail]);
      expect(before).to.equal(2);
      expect((await dossier(byPhone)).customer.id).not.to.equal((await dossier(byEmail)).customer.id);

      const merged = await t.request('POST', '/api/merges', { body: { fromReference: byPhone, intoReference: byEmail, by: 'anna' } });
      expect(merged.status, merged.text).to.equal(201);
      const mergeId = merged.json.merge.id;
      expect(mergeId).to.be.a('number');
      expect(merged.json.merge).to.include({ movedIdentities: 1, by: 'anna', undoneAt: null });
      expect(merged.json.merge.movedThreads).to.deep.equal([byPhone]);

      const [a, b] = [await dossier(byPhone), await dossier(byEmail)];
      expect(a.customer).to.deep.equal(b.customer);
      expect(a.customer.phones).to.deep.equal(['+31612345678']);
      expect(a.customer.emails).to.deep.equal(['j.devries@example.nl']);

      // The merged customer now has two open threads: a new contact from the phone opens a third.
      const later = await t.hub.ingest(sms('+31612345678', 'Hallo?', { at: TUESDAY_10 + 30 * MINUTE }));
      expect(later.customerId).to.equal(a.customer.id);
      const references = [...new Set([byPhone, byEmail, later.reference])];
      const afterMerge = await countContacts(references);
      expect(afterMerge).to.equal(before + 1);

      const undone = await t.request('POST', `/api/merges/${mergeId}/undo`, { body: {} });
      expect(undone.status, undone.text).to.equal(200);
      expect(undone.json.merge.undoneAt).to.be.a('string');

      const [a2, b2] = [await dossier(byPhone), await dossier(byEmail)];
      expect(a2.customer.id).not.to.equal(b2.customer.id);
      expect(a2.customer).to.include({ name: 'Jan de Vries' });
      expect(a2.customer.phones).to.deep.equal(['+31612345678']);
      expect(a2.customer.emails).to.deep.equal([]);
      expect(b2.customer.phones).to.deep.equal([]);
      expect(b2.customer.emails).to.deep.equal(['j.devries@example.nl']);
      expect(await countContacts(references)).to.equal(afterMerge);

      expectError(await t.request('POST', `/api/merges/${mergeId}/undo`, { body: {} }), 409, 'conflict');
    });

    it('undoing a merge after a later merge moved the same customer on either restores it fully or is refused with 409, never a silent half-undo', async () => {
      const a = (await t.hub.ingest(sms('+31612345678', 'A', { name: 'A' }))).reference;
      const b = (await t.hub.ingest(email('b@example.nl', 'B', { name: 'B' }))).reference;
      const c = (await t.hub.ingest(email('c@example.nl', 'C', { name: 'C' }))).reference;
      const first = await t.request('POST', '/api/merges', { body: { fromReference: a, intoReference: b } });
      expect(first.status).to.equal(201);
      expect((await t.request('POST', '/api/merges', { body: { fromReference: b, intoReference: c } })).status).to.equal(201);

      const undone = await t.request('POST', `/api/merges/${first.json.merge.id}/undo`, { body: {} });
      if (undone.status === 409) return expectError(undone, 409, 'conflict');
      expect(undone.status, undone.text).to.equal(200);
      const aDossier = (await t.request('GET', `/api/threads/${a}`)).json;
      const cDossier = (await t.request('GET', `/api/threads/${c}`)).json;
      expect(aDossier.customer.id, 'thread A back with its own customer').not.to.equal(cDossier.customer.id);
      expect(aDossier.customer.phones).to.deep.equal(['+31612345678']);
    });

    it('undoes without a body', async () => {
      const a = (await t.hub.ingest(sms('+31612345678', 'Kapot'))).reference;
      const b = (await t.hub.ingest(email('x@example.nl', 'Kapot'))).reference;
      const merged = await t.request('POST', '/api/merges', { body: { fromReference: a, intoReference: b } });
      expect(merged.status).to.equal(201);
      const undone = await t.request('POST', `/api/merges/${merged.json.merge.id}/undo`);
      expect(undone.status, undone.text).to.equal(200);
    });

    it('refuses to merge a customer with itself (409)', async () => {
      const a = (await t.hub.ingest(sms('+31612345678', 'Kapot'))).reference;
      expectError(await t.request('POST', '/api/merges', { body: { fromReference: a, intoReference: a } }), 409, 'conflict');
      const b = (await t.hub.ingest(email('x@example.nl', 'Kapot'))).reference;
      expect((await t.request('POST', '/api/merges', { body: { fromReference: a, intoReference: b } })).status).to.equal(201);
      expectError(await t.request('POST', '/api/merges', { body: { fromReference: b, intoReference: a } }), 409, 'conflict');
    });

    it('answers merges of unknown references with 404 and of unknown merges with 404', async () => {
      const a = (await t.hub.ingest(sms('+31612345678', 'Kapot'))).reference;
      expectError(await t.request('POST', '/api/merges', { body: { fromReference: a, intoReference: unknownReference([a]) } }), 404, 'not_found');
      expectError(await t.request('POST', '/api/merges/999/undo', { body: {} }), 404, 'not_found');
      expectError(await t.request('POST', '/api/merges/abc/undo', { body: {} }), 400, 'invalid_request');
    });
  });

  describe('provider retries', () => {
    beforeEach(async () => {
      t = await startHub({ now: TUESDAY_10 });
    });

    it('stores the same providerId (a Twilio retry) once; the second ingest is a duplicate', async () => {
      const contact = sms('+31612345678', 'Kapot');
      const first = await t.hub.ingest(contact);
      const second = await t.hub.ingest({ ...contact, at: TUESDAY_10 + 5_000 });
      expect(first.outcome).to.equal('opened');
      expect(second).to.include({ outcome: 'duplicate', reference: first.reference, contactId: first.contactId });
      const dossier = (await t.request('GET', `/api/threads/${first.reference}`)).json;
      expect(dossier.contacts).to.have.length(1);
      expect((await t.request('GET', '/api/threads')).json.threads).to.have.length(1);
      const metrics = await (await fetch(`${t.base}/metrics`)).text();
      expect(metrics).to.match(/^klachtenhub_contacts_ingested_total\{channel="sms",outcome="duplicate"\} 1$/m);
    });
  });
});
