import type { Db, DbOrTrx } from '../src/core/db';
import { ACKNOWLEDGE_JOB } from '../src/core/ingest';
import { luhnCheckDigit } from '../src/core/reference';

/**
 * Bulk seeding of "existing" threads, fast enough for a million: one transaction of multi-row
 * INSERTs, SEED_CHUNK rows each, passed as one JSON array per statement and unpacked by SQLite's
 * json_each (binding thousands of separate parameters costs more in node-sqlite3 than the
 * inserts themselves). The rollback journal is used instead of WAL while it runs
 * (a fresh file needs next to no journal) and a big page cache; both are put back afterwards
 * so the measurement sees the hub's own settings (WAL, default cache).
 *
 * Seeded customer i (1-based) has id i, phone SEED_PHONE_PREFIX + 7-digit i, one SMS thread
 * with id i and reference seededReference(i, n), and one inbound contact with provider id
 * seededProviderId(i). Every tenth thread (i % 10 === 0) is open, the rest resolved.
 */

export const SEED_PHONE_PREFIX = '+3161';
const SEED_CHUNK = 2000;
const DAY = 86_400_000;
const HOUR = 3_600_000;

export function seededPhone(i: number): string {
  return `${SEED_PHONE_PREFIX}${String(i).padStart(7, '0')}`;
}

/**
 * A valid reference from a counter: payloads spread evenly over the 10M space (so they index
 * like random ones would, and never collide with each other), in ascending order of i.
 */
export function seededReference(i: number, n: number): string {
  const payload = String(Math.floor(((i - 1) * 10_000_000) / n)).padStart(7, '0');
  return `KL-${payload}${luhnCheckDigit(payload)}`;
}

export function seededProviderId(i: number): string {
  return `SMseed${String(i).padStart(8, '0')}`;
}

export function seededIsOpen(i: number): boolean {
  return i % 10 === 0;
}

/** Seeded thread i was created at this time: the n threads spread evenly over `spanDays` before `now` (the last two days left empty). */
function seededCreatedAt(i: number, n: number, now: number, spanDays: number): number {
  const span = spanDays * DAY;
  return now - span + Math.floor((i * span) / (n + 1)) - 2 * DAY;
}

export interface SeedResult {
  threads: number;
  ms: number;
}

/** Seeds n customers/identities/threads/contacts, all created before `now`. Expects empty, migrated tables. */
export async function seedThreads(db: Db, n: number, now: number, spanDays = 365): Promise<SeedResult> {
  if (n > 9_999_999) throw new Error('at most 9,999,999 seeded threads (7-digit phone and reference payloads)');
  const start = process.hrtime.bigint();
  await db.raw('PRAGMA journal_mode = DELETE');
  await db.raw('PRAGMA cache_size = -262144'); // 256 MiB while seeding
  const createdAt = (i: number): number => seededCreatedAt(i, n, now, spanDays);

  await db.transaction(async (trx) => {
    await insertChunks(trx, 'customers', ['id', 'name', 'language', 'created_at'], n, (i) => [i, `Klant ${i}`, 'nl', createdAt(i)]);
    await insertChunks(trx, 'identities', ['id', 'customer_id', 'kind', 'value', 'created_at'], n, (i) => [
      i,
      i,
      'phone',
      seededPhone(i),
      createdAt(i),
    ]);
    await insertChunks(
      trx,
      'threads',
      [
        'id',
        'reference',
        'customer_id',
        'status',
        'summary',
        'language',
        'channel',
        'team_id',
        'created_at',
        'updated_at',
        'first_response_due',
        'resolution_due',
        'first_response_at',
        'resolved_at',
      ],
      n,
      (i) => {
        const at = createdAt(i);
        const open = seededIsOpen(i);
        return [
          i,
          seededReference(i, n),
          i,
          open ? 'open' : 'resolved',
          `Mijn pakket ${i} is niet aangekomen`,
          'nl',
          'sms',
          'service',
          at,
          open ? at : at + 20 * HOUR,
          at + 8 * HOUR,
          at + 24 * HOUR,
          open ? null : at + 2 * HOUR,
          open ? null : at + 20 * HOUR,
        ];
      },
    );
    await insertChunks(
      trx,
      'contacts',
      ['id', 'thread_id', 'channel', 'direction', 'provider_id', 'from_kind', 'from_value', 'body', 'at'],
      n,
      (i) => [i, i, 'sms', 'inbound', seededProviderId(i), 'phone', seededPhone(i), `Mijn pakket ${i} is niet aangekomen`, createdAt(i)],
    );
  });

  await db.raw('PRAGMA cache_size = -2000'); // SQLite's default, as the hub runs
  await db.raw('PRAGMA journal_mode = WAL');
  return { threads: n, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

/**
 * What a year leaves behind for seedThreads' threads, as the hub writes it: each thread's
 * acknowledgement as a finished job, its promises, its `acknowledged` timeline event, and for
 * every tenth thread a callback that was made. Expects seedThreads(db, n, now, spanDays) first.
 */
export async function seedHistory(db: Db, n: number, now: number, spanDays = 365): Promise<SeedResult> {
  const start = process.hrtime.bigint();
  const createdAt = (i: number): number => seededCreatedAt(i, n, now, spanDays);
  await db.transaction(async (trx) => {
    const jobColumns = ['kind', 'payload', 'dedupe_key', 'state', 'run_at', 'attempts', 'max_attempts', 'created_at', 'finished_at'];
    await insertChunks(trx, 'jobs', jobColumns, n, (i) => {
      const at = createdAt(i);
      return [ACKNOWLEDGE_JOB, JSON.stringify({ threadId: i }), `${ACKNOWLEDGE_JOB}:${i}`, 'done', at, 1, 5, at, at + 2_000];
    });
    await seedPromiseHistory(trx, n, now, createdAt);
    await insertChunks(trx, 'timeline_events', ['thread_id', 'kind', 'data', 'at'], n, (i) => [i, 'acknowledged', JSON.stringify({ channel: 'sms' }), createdAt(i) + 2_000]);
    const callbackColumns = ['thread_id', 'team_id', 'agent_id', 'start', 'end', 'status', 'booked_via', 'created_at', 'actual_start', 'outcome'];
    await insertChunks(trx, 'callbacks', callbackColumns, Math.floor(n / 10), (k) => {
      const i = k * 10;
      const slot = createdAt(i) + DAY;
      return [i, 'service', 'bram', slot, slot + 15 * 60_000, 'done', 'sms', createdAt(i) + HOUR, slot + 20_000, 'completed'];
    });
  });
  return { threads: n, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

type Value = string | number | null;

/**
 * A resolved thread's acknowledgement, first response and resolution, kept; an open thread's
 * acknowledgement kept and its first response and resolution broken (seeded threads are days
 * old), each replaced by an open promise 4 hours from `now` that the watch looks at then.
 */
async function seedPromiseHistory(trx: DbOrTrx, n: number, now: number, createdAt: (i: number) => number): Promise<void> {
  const columns = ['thread_id', 'kind', 'made_at', 'due', 'state', 'settled_at', 'settled_by', 'replaces_id', 'watch_at', 'watched_until'];
  const settled = (kind: string, due: (at: number) => number, doneAfter: number, brokenWhenOpen: boolean) => (i: number): Value[] => {
    const at = createdAt(i);
    const broken = brokenWhenOpen && seededIsOpen(i);
    return [i, kind, at, due(at), broken ? 'broken' : 'kept', broken ? due(at) : at + doneAfter, broken ? 'late' : 'seed', null, null, broken ? due(at) + 4 * HOUR : null];
  };
  await insertChunks(trx, 'promises', columns, n, settled('acknowledgement', (at) => at + 60_000, 2_000, false));
  await insertChunks(trx, 'promises', columns, n, settled('first-response', (at) => at + 8 * HOUR, 2 * HOUR, true));
  await insertChunks(trx, 'promises', columns, n, settled('resolution', (at) => at + 24 * HOUR, 20 * HOUR, true));
  const open = Math.floor(n / 10);
  for (const [kind, offset] of [['first-response', n], ['resolution', 2 * n]] as const) {
    // The broken promise of open thread i = k * 10 has id offset + i (acknowledgements take ids 1..n).
    await insertChunks(trx, 'promises', columns, open, (k) => [k * 10, kind, now - HOUR, now + 4 * HOUR, 'open', null, null, offset + k * 10, now + 4 * HOUR, now - HOUR]);
  }
}

async function insertChunks(trx: DbOrTrx, table: string, columns: string[], n: number, row: (i: number) => Value[]): Promise<void> {
  const sql = `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${columns.map((_, c) => `value ->> ${c}`).join(', ')} FROM json_each(?)`;
  for (let from = 1; from <= n; from += SEED_CHUNK) {
    const rows: Value[][] = [];
    for (let i = from; i <= Math.min(n, from + SEED_CHUNK - 1); i++) rows.push(row(i));
    await trx.raw(sql, [JSON.stringify(rows)]);
  }
}
