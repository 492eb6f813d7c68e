import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import * as coreMigration from '../../migrations/20261123_001_core';
import * as twilioMigration from '../../migrations/20261123_002_twilio';
import * as callbacksMigration from '../../migrations/20261123_003_callbacks';
import * as slackCardsMigration from '../../migrations/20261124_009_slack_cards';
import * as chatMigration from '../../migrations/20261125_010_chat';
import * as consoleMigration from '../../migrations/20261125_011_console';
import * as emailMigration from '../../migrations/20261125_012_email';
import * as historyIndexesMigration from '../../migrations/20261202_013_history_indexes';
import * as identityProofMigration from '../../migrations/20261202_014_identity_proof';
import * as loginFailuresMigration from '../../migrations/20261202_015_login_failures';
import * as mailQuarantineMigration from '../../migrations/20261202_016_mail_quarantine';
import * as promisesMigration from '../../migrations/20261203_017_promises';
import * as outboundSendsMigration from '../../migrations/20261203_018_outbound_sends';
import * as automaticContactsMigration from '../../migrations/20261203_019_automatic_contacts';

export type Db = Knex;
export type DbOrTrx = Knex | Knex.Transaction;

// PostgreSQL returns bigint (our epoch-millisecond times) as strings; they fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** Migrations are listed here instead of read from the directory, so tsx (.ts) and compiled (.js) runs share one history. */
const MIGRATIONS: Record<string, Knex.Migration> = {
  '20261123_001_core': coreMigration,
  '20261123_002_twilio': twilioMigration,
  '20261123_003_callbacks': callbacksMigration,
  '20261124_009_slack_cards': slackCardsMigration,
  '20261125_010_chat': chatMigration,
  '20261125_011_console': consoleMigration,
  '20261125_012_email': emailMigration,
  '20261202_013_history_indexes': historyIndexesMigration,
  '20261202_014_identity_proof': identityProofMigration,
  '20261202_015_login_failures': loginFailuresMigration,
  '20261202_016_mail_quarantine': mailQuarantineMigration,
  '20261203_017_promises': promisesMigration,
  '20261203_018_outbound_sends': outboundSendsMigration,
  '20261203_019_automatic_contacts': automaticContactsMigration,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const migration = MIGRATIONS[name];
    if (!migration) throw new Error(`unknown migration ${name}`);
    return migration;
  },
};

export function isPostgres(db: DbOrTrx): boolean {
  return db.client.config.client === 'pg';
}

export interface OpenDbOptions {
  url: string;
  /** PostgreSQL schema to use instead of public (tests give each run its own). */
  schema?: string;
}

/**
 * `sqlite:./data/klachtenhub.db` (or a bare path) opens embedded SQLite in WAL mode;
 * `postgres://...` opens PostgreSQL.
 */
export function openDb({ url, schema }: OpenDbOptions): Db {
  if (/^postgres(ql)?:\/\//.test(url)) {
    return knexFactory({
      client: 'pg',
      connection: url,
      searchPath: schema ? [schema] : undefined,
      pool: { min: 0, max: 10 },
    });
  }
  const filename = sqliteFile(url);
  mkdirSync(dirname(filename), { recursive: true });
  return knexFactory({
    // better-sqlite3 runs each statement synchronously on the main thread (microseconds). The
    // asynchronous sqlite3 driver hops to the thread pool and back per statement, and with one
    // connection every hop waits behind whatever else the event loop is doing: a webhook's dozen
    // statements then cost milliseconds of queueing, not of SQLite.
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      // One connection: SQLite has one writer anyway, and a single connection turns
      // concurrent requests into an orderly queue instead of SQLITE_BUSY errors.
      min: 1,
      max: 1,
      afterCreate: (conn: SqliteConnection, done: (error: Error | null, conn: SqliteConnection) => void) => {
        try {
          // journal_size_limit: after each checkpoint the WAL is cut back to this, so one that grew
          // (a burst, a disk that was full and checkpoints that failed) gives the space back.
          conn.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES};`);
          cachePreparedStatements(conn);
          done(null, conn);
        } catch (error) {
          done(error as Error, conn);
        }
      },
    },
  });
}

/** The file a `sqlite:` URL (or a bare path) names, absolute. */
export function sqliteFile(url: string): string {
  return resolve(url.replace(/^sqlite:(\/\/)?/, ''));
}

/** The WAL left after a checkpoint, at most (SQLite's default keeps whatever it grew to). */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

interface SqliteConnection {
  exec(sql: string): void;
  prepare(sql: string): unknown;
}

/** Distinct SQL texts kept compiled; the hub issues a few hundred shapes (whereIn lists vary). */
const STATEMENT_CACHE_SIZE = 1000;

/**
 * knex asks better-sqlite3 to prepare every query anew, and compiling the SQL costs about as much
 * as running it. The hub repeats the same few hundred statements, so each connection keeps them
 * compiled (SQLite recompiles a cached statement by itself after a schema change).
 */
function cachePreparedStatements(conn: SqliteConnection): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, unknown>();
  conn.prepare = (sql) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      statement = prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
}

export async function migrateToLatest(db: Db): Promise<void> {
  await db.migrate.latest({ migrationSource });
}

/** True when every known migration has run (for /readyz). */
export async function migrationsCurrent(db: Db): Promise<boolean> {
  const [, pending] = (await db.migrate.list({ migrationSource })) as [unknown[], unknown[]];
  return pending.length === 0;
}

export function isUniqueViolation(error: unknown): boolean {
  const err = error as { code?: string; errno?: number; message?: string };
  // PostgreSQL's unique_violation; better-sqlite3 reports SQLite's extended result code.
  return err.code === '23505' || err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Codes that say the store cannot be reached or cannot write at all, whatever was being written:
 * a connection refused or dropped, PostgreSQL shutting down or out of connections, SQLite busy,
 * locked, read-only, out of disk or failing I/O (extended codes such as SQLITE_IOERR_WRITE too).
 */
const UNAVAILABLE_CODES = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', '08', '53', '57P', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_READONLY', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_NOMEM'];

/**
 * Whether an error is the store's rather than the data's. A constraint, a value a column refuses,
 * a statement too large: those belong to what was being stored, and storing it again fails again.
 * PostgreSQL's classes 08 (connection), 53 (resources) and 57P (shutdown) are the store's.
 */
export function isStoreUnavailable(error: unknown): boolean {
  const err = error as { code?: unknown; name?: unknown; message?: unknown };
  if (err?.name === 'KnexTimeoutError') return true;
  if (typeof err?.code === 'string' && UNAVAILABLE_CODES.some((code) => (err.code as string).startsWith(code))) return true;
  // pg's words for a connection lost under a query, or used again after that (a backend terminated mid-transaction).
  return typeof err?.message === 'string' && /connection terminated|connection ended unexpectedly|not queryable|database connection is not open|unable to acquire a connection/i.test(err.message);
}
