import type { Db, DbOrTrx } from '../src/core/db';
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

export interface SeedResult {
  threads: number;
  ms: number;
}

/** Seeds n customers/identities/threads/contacts, all created before `now`. Expects empty, migrated tables. */
export async function seedThreads(db: Db, n: number, now: number): Promise<SeedResult> {
  if (n > 9_999_999) throw new Error('at most 9,999,999 seeded threads (7-digit phone and reference payloads)');
  const start = process.hrtime.bigint();
  await db.raw('PRAGMA journal_mode = DELETE');
  await db.raw('PRAGMA cache_size = -262144'); // 256 MiB while seeding
  const span = 365 * DAY;
  const createdAt = (i: number): number => now - span + Math.floor((i * span) / (n + 1)) - 2 * DAY;

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

type Value = string | number | null;

async function insertChunks(trx: DbOrTrx, table: string, columns: string[], n: number, row: (i: number) => Value[]): Promise<void> {
  const sql = `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${columns.map((_, c) => `value ->> ${c}`).join(', ')} FROM json_each(?)`;
  for (let from = 1; from <= n; from += SEED_CHUNK) {
    const rows: Value[][] = [];
    for (let i = from; i <= Math.min(n, from + SEED_CHUNK - 1); i++) rows.push(row(i));
    await trx.raw(sql, [JSON.stringify(rows)]);
  }
}
