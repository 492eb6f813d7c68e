import type { Knex } from 'knex';
import { isPostgres, type Db, type DbOrTrx } from '../core/db';
import type { ClaimedJob } from './queue';

/**
 * The state transitions of a `jobs` row. Every write after the claim is fenced on
 * (id, locked_by, attempts, state='running'): a claim bumps attempts, so a worker whose lease
 * was taken over matches zero rows and can no longer change the job.
 */

/** A claimed row before its payload is parsed; parsing happens in the run, so bad JSON fails the job instead of the claim. */
export interface ClaimedRow extends Omit<ClaimedJob, 'payload'> {
  payloadJson: string;
  maxAttempts: number;
}

export class LeaseLostError extends Error {
  constructor(job: Pick<ClaimedRow, 'id' | 'attempts' | 'lockedBy'>) {
    super(`job ${job.id}: lease of ${job.lockedBy} (attempt ${job.attempts}) was taken over; not marking it done`);
    this.name = 'LeaseLostError';
  }
}

const MAX_RETRY_DELAY_MS = 10 * 60_000;

/** Exponential backoff after the given attempt: 2 s, 4 s, 8 s, ... capped at 10 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(2 ** attempts * 1000, MAX_RETRY_DELAY_MS);
}

export interface ClaimOptions {
  workerId: string;
  now: number;
  leaseMs: number;
  limit: number;
  /**
   * Jobs this process is running already. Their lease can run out while they wait for the
   * connection (SQLite has one), and the process must not take its own job a second time.
   */
  running?: readonly number[];
  /** Only these jobs, by dedupe key (an agent's reply is sent at once rather than at the next poll). */
  keys?: readonly string[];
}

/**
 * Claims up to `limit` jobs that are due, or whose worker died (lease expired), in one
 * statement. On PostgreSQL the subquery locks with SKIP LOCKED, so concurrent workers each
 * take different rows without waiting on each other; a row changed by another claim after
 * our snapshot is re-checked against the WHERE clause before it is locked. SQLite has one
 * writer and one job process, so the plain UPDATE is atomic already.
 */
export async function claimJobs(db: Db, { workerId, now, leaseMs, limit, running = [], keys }: ClaimOptions): Promise<ClaimedRow[]> {
  const due = db('jobs')
    .select('id')
    .where((claimable) =>
      claimable
        .where((q) => q.where('state', 'queued').andWhere('run_at', '<=', now))
        .orWhere((q) => q.where('state', 'running').andWhere('lease_until', '<', now)),
    )
    .orderBy([{ column: 'run_at' }, { column: 'id' }])
    .limit(limit);
  if (running.length > 0) due.whereNotIn('id', running);
  if (keys) due.whereIn('dedupe_key', keys);
  if (isPostgres(db)) due.forUpdate().skipLocked();

  const rows: unknown[] = await db('jobs')
    .whereIn('id', due)
    .update({
      state: 'running',
      locked_by: workerId,
      attempts: db.raw('attempts + 1'),
      lease_until: now + leaseMs,
    })
    .returning(['id', 'kind', 'payload', 'attempts', 'max_attempts', 'run_at', 'lease_until', 'locked_by']);
  // RETURNING order is unspecified; run the oldest first.
  return rows.map(toClaimedRow).sort((a, b) => a.runAt - b.runAt || a.id - b.id);
}

function fenced(query: Knex.QueryBuilder, job: ClaimedRow): Knex.QueryBuilder {
  return query.where({ id: job.id, locked_by: job.lockedBy, attempts: job.attempts, state: 'running' });
}

/** Marks the job done inside the handler's transaction, so the handler's writes and the completion commit together. */
export async function markDone(trx: Knex.Transaction, job: ClaimedRow, now: number): Promise<void> {
  const updated = await fenced(trx('jobs'), job).update({ state: 'done', finished_at: now });
  if (updated === 0) throw new LeaseLostError(job);
}

export type FailureOutcome = 'retry' | 'failed' | 'lost';

/** Records a failed attempt: back to 'queued' with backoff, or 'failed' once attempts are used up. */
export async function markFailed(db: DbOrTrx, job: ClaimedRow, message: string, now: number): Promise<FailureOutcome> {
  const exhausted = job.attempts >= job.maxAttempts;
  const changes = exhausted
    ? { state: 'failed', finished_at: now, last_error: message }
    : { state: 'queued', run_at: now + retryDelayMs(job.attempts), lease_until: null, locked_by: null, last_error: message };
  const updated = await fenced(db('jobs'), job).update(changes);
  if (updated === 0) return 'lost';
  return exhausted ? 'failed' : 'retry';
}

/**
 * Inside a transaction of the job's own: renews the lease, or throws when the job is no longer
 * ours. A step that must not run twice (calling a provider) commits its start this way, so the
 * start is recorded only while this worker holds the job, and nobody takes it over for a lease.
 */
export async function holdLease(trx: Knex.Transaction, job: ClaimedRow, leaseUntil: number): Promise<void> {
  if (!(await extendLease(trx, job, leaseUntil))) throw new LeaseLostError(job);
}

/** Extends a running job's lease; false when it is no longer ours (or no longer running). */
export async function extendLease(db: DbOrTrx, job: ClaimedRow, leaseUntil: number): Promise<boolean> {
  return (await fenced(db('jobs'), job).update({ lease_until: leaseUntil })) > 0;
}

/** Hands back a claimed job that was never started (the worker is stopping): the claim did not count as an attempt. */
export async function releaseJob(db: DbOrTrx, job: ClaimedRow): Promise<boolean> {
  const updated = await fenced(db('jobs'), job).update({
    state: 'queued',
    attempts: job.attempts - 1,
    lease_until: null,
    locked_by: null,
  });
  return updated > 0;
}

function toClaimedRow(value: unknown): ClaimedRow {
  if (typeof value !== 'object' || value === null) throw new Error('claim returned a non-row');
  const row = value as Record<string, unknown>;
  return {
    id: numberField(row, 'id'),
    kind: stringField(row, 'kind'),
    payloadJson: stringField(row, 'payload'),
    attempts: numberField(row, 'attempts'),
    maxAttempts: numberField(row, 'max_attempts'),
    runAt: numberField(row, 'run_at'),
    leaseUntil: numberField(row, 'lease_until'),
    lockedBy: stringField(row, 'locked_by'),
  };
}

function numberField(row: Record<string, unknown>, name: string): number {
  // bigint columns arrive as numbers (pg type parser in core/db) or numeric strings; accept both.
  const value = typeof row[name] === 'string' ? Number(row[name]) : row[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`jobs.${name} is not a number: ${String(row[name])}`);
  return value;
}

function stringField(row: Record<string, unknown>, name: string): string {
  const value = row[name];
  if (typeof value !== 'string') throw new Error(`jobs.${name} is not a string: ${String(value)}`);
  return value;
}
