import { expect } from 'chai';
import { migrationSource } from '../../src/core/db';
import { createTestDb, storeName, type TestDb } from '../helpers/db';

const AT = Date.parse('2026-11-20T10:00:00+01:00');
const HOUR = 3_600_000;

describe(`migration 017: the open threads of an existing store get their promises (${storeName})`, () => {
  let store: TestDb;

  beforeEach(async () => {
    store = await createTestDb({ migrate: false });
    // Up to the store as the hub before promises left it.
    for (const name of await migrationSource.getMigrations([])) {
      if (name === '20261203_017_promises') break;
      await store.db.migrate.up({ migrationSource });
    }
  });
  afterEach(() => store.destroy());

  it("an open thread's first response (open, or kept or broken by when it was given), its resolution and its booked callback become promises watched from their due time; resolved threads and the old escalate jobs are left behind", async () => {
    const db = store.db;
    const [customer] = await db('customers').insert({ name: 'Els', language: 'nl', created_at: AT }).returning('id');
    const customerId = (customer as { id: number }).id;
    const thread = (reference: string, fields: Record<string, unknown>) => ({ reference, customer_id: customerId, language: 'nl', channel: 'sms', created_at: AT, updated_at: AT, first_response_due: AT + 8 * HOUR, resolution_due: AT + 24 * HOUR, ...fields });
    const ids = (await db('threads')
      .insert([thread('KL-00000001', { status: 'open' }), thread('KL-00000002', { status: 'open', first_response_at: AT + HOUR }), thread('KL-00000003', { status: 'open', first_response_at: AT + 9 * HOUR }), thread('KL-00000004', { status: 'resolved', resolved_at: AT + 2 * HOUR })])
      .returning('id')).map((row: { id: number }) => row.id) as [number, number, number, number];
    const [callback] = await db('callbacks').insert({ thread_id: ids[0], team_id: 'service', agent_id: 'anna', start: AT + 2 * HOUR, end: AT + 2 * HOUR + 900_000, status: 'booked', booked_via: 'api', created_at: AT }).returning('id');
    const job = (kind: string, state: string, key: string) => ({ kind, payload: '{}', dedupe_key: key, state, run_at: AT, attempts: 0, max_attempts: 5, created_at: AT });
    await db('jobs').insert([job('escalate', 'queued', 'escalate:first-response:1'), job('escalate', 'done', 'escalate:first-response:4'), job('acknowledge', 'queued', 'acknowledge:1')]);

    await db.migrate.latest({ migrationSource });

    const promises = await db('promises').orderBy('id').select('thread_id', 'kind', 'due', 'state', 'settled_at', 'callback_id', 'watch_at', 'watched_until');
    const watched = (due: number) => ({ watch_at: due, watched_until: due - 1 });
    const settled = { watch_at: null, watched_until: null };
    expect(promises.map((row) => ({ ...row, due: Number(row.due), settled_at: row.settled_at === null ? null : Number(row.settled_at), watch_at: row.watch_at === null ? null : Number(row.watch_at), watched_until: row.watched_until === null ? null : Number(row.watched_until) }))).to.deep.equal([
      { thread_id: ids[0], kind: 'first-response', due: AT + 8 * HOUR, state: 'open', settled_at: null, callback_id: null, ...watched(AT + 8 * HOUR) },
      { thread_id: ids[0], kind: 'resolution', due: AT + 24 * HOUR, state: 'open', settled_at: null, callback_id: null, ...watched(AT + 24 * HOUR) },
      { thread_id: ids[1], kind: 'first-response', due: AT + 8 * HOUR, state: 'kept', settled_at: AT + HOUR, callback_id: null, ...settled },
      { thread_id: ids[1], kind: 'resolution', due: AT + 24 * HOUR, state: 'open', settled_at: null, callback_id: null, ...watched(AT + 24 * HOUR) },
      { thread_id: ids[2], kind: 'first-response', due: AT + 8 * HOUR, state: 'broken', settled_at: AT + 9 * HOUR, callback_id: null, ...settled },
      { thread_id: ids[2], kind: 'resolution', due: AT + 24 * HOUR, state: 'open', settled_at: null, callback_id: null, ...watched(AT + 24 * HOUR) },
      { thread_id: ids[0], kind: 'callback', due: AT + 2 * HOUR, state: 'open', settled_at: null, callback_id: (callback as { id: number }).id, ...watched(AT + 2 * HOUR) },
    ]);
    expect(await db('jobs').orderBy('id').select('kind', 'state')).to.deep.equal([
      { kind: 'escalate', state: 'done' },
      { kind: 'acknowledge', state: 'queued' },
    ]);
    expect((await db('threads').where({ id: ids[0] }).first('priority')).priority).to.equal('normal');
  });
});
