import { expect } from 'chai';
import { parseHubConfig } from '../../src/config/hub-config';
import type { InboundContact } from '../../src/core/contact';
import { storeName } from '../helpers/db';
import { startHub, type TestHub, type TestResponse } from '../helpers/hub';

/** Tuesday 24 November 2026, 10:00 in Amsterdam (demo config: Anna and Bram, 15-minute slots). */
const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');

let providerSeq = 0;
function sms(from: string, body: string): InboundContact {
  return { channel: 'sms', providerId: `SMcb${++providerSeq}`, from: { kind: 'phone', value: from }, body, at: TUESDAY_10 };
}

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status, response.text).to.equal(status);
  expect(response.json?.error?.code, response.text).to.equal(code);
  expect(response.json.error.message).to.be.a('string').and.not.equal('');
}

describe(`callbacks: booking over HTTP (${storeName})`, function () {
  let t: TestHub;

  beforeEach(async () => {
    t = await startHub({ now: TUESDAY_10 });
  });
  afterEach(async () => {
    await t?.stop();
  });

  /** `count` customers, each with an open thread; their references. */
  async function threads(count: number): Promise<string[]> {
    const references: string[] = [];
    for (let i = 0; i < count; i++) {
      references.push((await t.hub.ingest(sms(`+316${String(10_000_000 + i)}`, `Pakket ${i} kwijt`))).reference);
    }
    return references;
  }

  const book = (reference: string, start: string) => t.request('POST', `/api/threads/${reference}/callbacks`, { body: { start } });
  const slots = async (query: string): Promise<string[]> => {
    const response = await t.request('GET', `/api/callbacks/slots${query}`);
    expect(response.status, response.text).to.equal(200);
    return (response.json as { start: string; end: string }[]).map((slot) => slot.start);
  };

  it('offers the next three slots after 30 minutes notice, with the business offset', async () => {
    const response = await t.request('GET', '/api/callbacks/slots');
    expect(response.status).to.equal(200);
    expect(response.json).to.deep.equal([
      { start: '2026-11-24T10:30:00+01:00', end: '2026-11-24T10:45:00+01:00' },
      { start: '2026-11-24T10:45:00+01:00', end: '2026-11-24T11:00:00+01:00' },
      { start: '2026-11-24T11:00:00+01:00', end: '2026-11-24T11:15:00+01:00' },
    ]);
    expect(await slots('?from=2026-11-24T12:00:00%2B01:00&limit=3')).to.deep.equal(['2026-11-24T12:00:00+01:00', '2026-11-24T12:15:00+01:00', '2026-11-24T13:30:00+01:00']);
    expect(await slots('?limit=100')).to.have.length(100);
  });

  it('refuses bad slot queries: limit over 100, a time without offset, an unknown reference', async () => {
    expectError(await t.request('GET', '/api/callbacks/slots?limit=101'), 400, 'invalid_request');
    expectError(await t.request('GET', '/api/callbacks/slots?from=2026-11-24T12:00:00'), 400, 'invalid_request');
    expectError(await t.request('GET', '/api/callbacks/slots?reference=KL-00000000'), 404, 'not_found');
  });

  it('books a free slot: 201 with the booking, shown in the dossier and the timeline', async () => {
    const [reference] = (await threads(1)) as [string];
    expect(await slots(`?reference=${reference}&limit=1`)).to.deep.equal(['2026-11-24T10:30:00+01:00']);
    const response = await book(reference, '2026-11-24T14:00:00+01:00');
    expect(response.status, response.text).to.equal(201);
    const { callback } = response.json;
    expect(callback).to.include({ start: '2026-11-24T14:00:00+01:00', end: '2026-11-24T14:15:00+01:00', status: 'booked' });
    expect(callback.id).to.be.a('number');
    expect(callback.agent).to.be.oneOf(['anna', 'bram']);
    const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
    expect(dossier.callbacks).to.deep.equal([{ start: '2026-11-24T14:00:00+01:00', end: '2026-11-24T14:15:00+01:00', status: 'booked', agent: 'anna', actualStart: null, outcome: null }]);
    const event = dossier.timeline.find((entry: { kind: string }) => entry.kind === 'callback-booked');
    expect(event.data).to.deep.equal({ callbackId: callback.id, start: '2026-11-24T14:00:00+01:00', end: '2026-11-24T14:15:00+01:00', agent: callback.agent, via: 'api' });
  });

  it('takes the start in any offset and answers in the business zone', async () => {
    const [reference] = (await threads(1)) as [string];
    const response = await book(reference, '2026-11-24T13:00:00Z');
    expect(response.status, response.text).to.equal(201);
    expect(response.json.callback).to.include({ start: '2026-11-24T14:00:00+01:00', end: '2026-11-24T14:15:00+01:00' });
  });

  it('refuses a time that is not an offered slot with 409, and a malformed one with 400', async () => {
    const [reference] = (await threads(1)) as [string];
    expectError(await book(reference, '2026-11-24T14:07:00+01:00'), 409, 'conflict'); // not a slot boundary
    expectError(await book(reference, '2026-11-24T10:15:00+01:00'), 409, 'conflict'); // inside the 30 minutes notice
    expectError(await book(reference, '2026-11-24T12:45:00+01:00'), 409, 'conflict'); // lunch break
    expectError(await book(reference, '2026-11-29T10:00:00+01:00'), 409, 'conflict'); // Sunday
    expectError(await book(reference, '2026-12-10T10:00:00+01:00'), 409, 'conflict'); // beyond the 14 days
    expectError(await book(reference, '2026-11-24T14:00:00'), 400, 'invalid_request');
    expectError(await book(reference, 'tomorrow'), 400, 'invalid_request');
    expectError(await t.request('POST', `/api/threads/${reference}/callbacks`, { body: {} }), 400, 'invalid_request');
    expectError(await book('KL-00000000', '2026-11-24T14:00:00+01:00'), 404, 'not_found');
    expect((await t.request('GET', `/api/threads/${reference}`)).json.callbacks).to.deep.equal([]);
  });

  it('gives 50 customers racing for one slot with two agents free exactly two bookings, with different agents, and 48 conflicts', async () => {
    const references = await threads(50);
    const responses = await Promise.all(
      references.map(async (reference) => {
        const response = await fetch(`${t.base}/api/threads/${reference}/callbacks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ start: '2026-11-24T15:00:00+01:00' }),
        });
        return { status: response.status, json: (await response.json()) as { callback?: { agent: string }; error?: { code: string } } };
      }),
    );
    const booked = responses.filter((response) => response.status === 201);
    const refused = responses.filter((response) => response.status === 409);
    expect(booked).to.have.length(2);
    expect(refused).to.have.length(48);
    expect(refused.every((response) => response.json.error?.code === 'conflict')).to.equal(true);
    expect(booked.map((response) => response.json.callback?.agent).sort()).to.deep.equal(['anna', 'bram']);
    expect(await slots('?from=2026-11-24T15:00:00%2B01:00&limit=1')).to.deep.equal(['2026-11-24T15:15:00+01:00']);
  });

  it('offers nothing in an afternoon where every agent is booked, and refuses one more booking there', async () => {
    const references = await threads(17);
    const afternoon = ['15:00', '15:15', '15:30', '15:45', '16:00', '16:15', '16:30', '16:45'].map((time) => `2026-11-24T${time}:00+01:00`);
    const agents = new Map<string, string[]>();
    for (const [i, start] of afternoon.flatMap((start) => [start, start]).entries()) {
      const response = await book(references[i] as string, start);
      expect(response.status, response.text).to.equal(201);
      agents.set(start, [...(agents.get(start) ?? []), response.json.callback.agent]);
    }
    for (const start of afternoon) expect(agents.get(start)?.sort()).to.deep.equal(['anna', 'bram']);
    expect(await slots('?from=2026-11-24T14:45:00%2B01:00&limit=2')).to.deep.equal(['2026-11-24T14:45:00+01:00', '2026-11-25T09:00:00+01:00']);
    expectError(await book(references[16] as string, '2026-11-24T16:00:00+01:00'), 409, 'conflict');
  });

  it('spreads bookings over the agents: the one with fewer callbacks that day gets the next', async () => {
    const references = await threads(3);
    const first = (await book(references[0] as string, '2026-11-24T14:00:00+01:00')).json.callback.agent;
    const second = (await book(references[1] as string, '2026-11-24T14:30:00+01:00')).json.callback.agent;
    expect(second).to.not.equal(first);
  });

  it('moves the booking when the thread books again: the old one cancelled, its slot free again', async () => {
    const [reference, other] = (await threads(2)) as [string, string];
    expect((await book(reference, '2026-11-24T14:00:00+01:00')).status).to.equal(201);
    const moved = await book(reference, '2026-11-25T10:00:00+01:00');
    expect(moved.status, moved.text).to.equal(201);
    const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
    expect(dossier.callbacks).to.deep.equal([
      { start: '2026-11-24T14:00:00+01:00', end: '2026-11-24T14:15:00+01:00', status: 'cancelled', agent: 'anna', actualStart: null, outcome: null },
      { start: '2026-11-25T10:00:00+01:00', end: '2026-11-25T10:15:00+01:00', status: 'booked', agent: 'anna', actualStart: null, outcome: null },
    ]);
    const kinds = dossier.timeline.map((event: { kind: string }) => event.kind);
    expect(kinds.filter((kind: string) => kind.startsWith('callback-'))).to.deep.equal(['callback-booked', 'callback-cancelled', 'callback-booked']);
    // Both agents free at 14:00 again: two other customers can have it.
    expect((await book(other, '2026-11-24T14:00:00+01:00')).status).to.equal(201);
    // Moving to the time it already holds keeps one booking.
    expect((await book(reference, '2026-11-25T10:00:00+01:00')).status).to.equal(201);
    const after = (await t.request('GET', `/api/threads/${reference}`)).json.callbacks as { status: string }[];
    expect(after.filter((callback) => callback.status === 'booked')).to.have.length(1);
  });

  it('cancels a booking with DELETE: 200, the slot free again; a second cancel is 409, an unknown id 404', async () => {
    const [reference, other] = (await threads(2)) as [string, string];
    const { callback } = (await book(reference, '2026-11-24T14:00:00+01:00')).json;
    const cancelled = await t.request('DELETE', `/api/threads/${reference}/callbacks/${callback.id}`);
    expect(cancelled.status, cancelled.text).to.equal(200);
    expect(cancelled.json.callback).to.deep.equal({ ...callback, status: 'cancelled' });
    expectError(await t.request('DELETE', `/api/threads/${reference}/callbacks/${callback.id}`), 409, 'conflict');
    expectError(await t.request('DELETE', `/api/threads/${other}/callbacks/${callback.id}`), 404, 'not_found');
    expectError(await t.request('DELETE', `/api/threads/${reference}/callbacks/999999`), 404, 'not_found');
    expectError(await t.request('DELETE', `/api/threads/${reference}/callbacks/abc`), 400, 'invalid_request');
    const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
    expect(dossier.callbacks).to.deep.equal([{ start: '2026-11-24T14:00:00+01:00', end: '2026-11-24T14:15:00+01:00', status: 'cancelled', agent: 'anna', actualStart: null, outcome: null }]);
    expect(dossier.timeline.map((event: { kind: string }) => event.kind)).to.include('callback-cancelled');
    expect((await book(reference, '2026-11-24T14:00:00+01:00')).status).to.equal(201);
  });

  it('refuses a callback for a resolved thread with 409', async () => {
    const [reference] = (await threads(1)) as [string];
    const resolved = await t.request('POST', `/api/threads/${reference}/resolve`, { body: { agent: 'anna', resolution: 'Opgelost' } });
    expect(resolved.status, resolved.text).to.equal(200);
    expectError(await book(reference, '2026-11-24T14:00:00+01:00'), 409, 'conflict');
  });
});

describe(`callbacks: slots over HTTP on the DST nights (${storeName})`, function () {
  /** Nina works Sunday nights 00:00-04:00, the hours the clocks change in. */
  const nightShift = parseHubConfig(
    {
      timezone: 'Europe/Amsterdam',
      holidays: 'NL',
      slotMinutes: 30,
      teams: [{ id: 'night', name: 'Nachtdienst', hours: { sun: ['00:00-04:00'] } }],
      agents: [{ id: 'nina', name: 'Nina', team: 'night' }],
    },
    'night-shift test config',
  );
  let t: TestHub;
  afterEach(async () => {
    await t?.stop();
  });

  it('lists 2026-03-29 without 02:xx and 2026-10-25 with the repeated hour once per offset, ISO with the offset of the moment', async () => {
    t = await startHub({ config: nightShift, now: Date.parse('2026-03-28T12:00:00+01:00') });
    const march = await t.request('GET', '/api/callbacks/slots?limit=10');
    expect(march.json.map((slot: { start: string }) => slot.start)).to.deep.equal([
      '2026-03-29T00:00:00+01:00',
      '2026-03-29T00:30:00+01:00',
      '2026-03-29T01:00:00+01:00',
      '2026-03-29T01:30:00+01:00',
      '2026-03-29T03:00:00+02:00',
      '2026-03-29T03:30:00+02:00',
      // Nothing more: 5 April is Easter Sunday (a public holiday), 12 April is beyond the 14 days.
    ]);
    t.setNow(Date.parse('2026-10-24T12:00:00+02:00'));
    const october = await t.request('GET', '/api/callbacks/slots?limit=10');
    expect(october.json.map((slot: { start: string }) => slot.start)).to.deep.equal([
      '2026-10-25T00:00:00+02:00',
      '2026-10-25T00:30:00+02:00',
      '2026-10-25T01:00:00+02:00',
      '2026-10-25T01:30:00+02:00',
      '2026-10-25T02:00:00+02:00',
      '2026-10-25T02:30:00+02:00',
      '2026-10-25T02:00:00+01:00',
      '2026-10-25T02:30:00+01:00',
      '2026-10-25T03:00:00+01:00',
      '2026-10-25T03:30:00+01:00',
    ]);
  });
});
