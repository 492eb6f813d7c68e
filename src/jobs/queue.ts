import type { DbOrTrx } from '../core/db';

export interface JobSpec {
  kind: string;
  payload: unknown;
  /** Epoch milliseconds; the job is not claimed before this. */
  runAt: number;
  /**
   * At most one job per key: e.g. "acknowledge:<thread id>". A done job is purged after 30 days
   * (purge.ts), and its key with it: a key must name something that happens once.
   */
  dedupeKey?: string;
  /** Default 5. Counts claims, so a worker that dies mid-job uses up an attempt too. */
  maxAttempts?: number;
}

/** A job as a worker holds it. (id, lockedBy, attempts) fence every later write to its row. */
export interface ClaimedJob {
  id: number;
  kind: string;
  payload: unknown;
  /** This claim's attempt number, starting at 1. */
  attempts: number;
  runAt: number;
  leaseUntil: number;
  lockedBy: string;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * Inserts a job (inside the caller's transaction when given one, so the job exists exactly
 * when the work that asked for it commits). A second job with the same dedupeKey is ignored
 * (returns false).
 */
export async function enqueueJob(db: DbOrTrx, spec: JobSpec, now: number): Promise<boolean> {
  return (await enqueueJobs(db, [spec], now)) > 0;
}

/** Several jobs in one statement, as enqueueJob would insert them one by one; returns how many were new. */
export async function enqueueJobs(db: DbOrTrx, specs: JobSpec[], now: number): Promise<number> {
  if (specs.length === 0) return 0;
  // ON CONFLICT DO NOTHING rather than catching a unique violation: on PostgreSQL a failed
  // statement aborts the caller's whole transaction, and a duplicate is not an error here.
  const inserted: unknown[] = await db('jobs')
    .insert(specs.map((spec) => jobRow(spec, now)))
    .onConflict('dedupe_key')
    .ignore()
    .returning('id');
  return inserted.length;
}

function jobRow(spec: JobSpec, now: number): Record<string, unknown> {
  const maxAttempts = spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new Error(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  if (!Number.isFinite(spec.runAt)) throw new Error(`runAt must be epoch milliseconds, got ${spec.runAt}`);
  return {
    kind: spec.kind,
    payload: JSON.stringify(spec.payload ?? null),
    dedupe_key: spec.dedupeKey ?? null,
    state: 'queued',
    run_at: spec.runAt,
    attempts: 0,
    max_attempts: maxAttempts,
    created_at: now,
  };
}
