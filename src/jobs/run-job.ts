import type { Knex } from 'knex';
import type { Db } from '../core/db';
import { holdLease, LeaseLostError, markDone, markFailed, type ClaimedRow } from './job-store';
import { LeaseKeeper } from './lease';
import type { JobLogger } from './logger';
import type { ClaimedJob } from './queue';

/** A job whose work is one transaction: its writes and its completion commit together. */
export type JobHandler = (job: ClaimedJob, trx: Knex.Transaction) => Promise<void>;

/**
 * A job whose work cannot be one transaction because it calls a provider between commits (see
 * src/outbound/): it commits what it is about to do, calls out, and completes with the result.
 */
export interface SteppedJob {
  steps(job: ClaimedJob, run: JobSteps): Promise<void>;
}

export interface JobSteps {
  /** The store, for reads outside the job's transactions. */
  db: Db;
  /** A transaction that holds this job's claim: it renews the lease, or throws when another worker took the job over. */
  holding<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T>;
  /** The last step: `work`'s writes and the job's completion commit together. Without it, the job completes when `steps` returns. */
  complete(work?: (trx: Knex.Transaction) => Promise<void>): Promise<void>;
}

export type AnyJobHandler = JobHandler | SteppedJob;

export interface JobRunContext {
  db: Db;
  handlers: ReadonlyMap<string, AnyJobHandler>;
  leaseMs: number;
  clock: () => number;
  logger: JobLogger;
}

export type JobOutcome = 'done' | 'retry' | 'failed' | 'lost';

const MAX_ERROR_LENGTH = 2000;

/**
 * Runs one claimed job: the handler and the fenced "done" update share one transaction, so
 * either both commit or neither does (a crash mid-job leaves the job to be re-claimed when its
 * lease ends). A failure is recorded afterwards, outside that rolled-back transaction.
 * Never throws: whatever goes wrong is recorded on the job or logged, and the lease covers the rest.
 */
export async function runClaimedJob(ctx: JobRunContext, row: ClaimedRow): Promise<JobOutcome> {
  const started = Date.now();
  try {
    await attempt(ctx, row);
    ctx.logger.info({ jobId: row.id, kind: row.kind, attempt: row.attempts, ms: Date.now() - started }, 'job done');
    return 'done';
  } catch (error) {
    if (error instanceof LeaseLostError) {
      // Another worker owns the job now; it records the outcome, not us.
      ctx.logger.warn({ jobId: row.id, kind: row.kind, attempt: row.attempts }, error.message);
      return 'lost';
    }
    return recordFailure(ctx, row, errorMessage(error));
  }
}

async function attempt(ctx: JobRunContext, row: ClaimedRow): Promise<void> {
  if (row.attempts > row.maxAttempts) {
    // Claimed again after its lease expired on the last allowed attempt: the worker running it
    // died (maybe because of this very job), so stop here instead of crashing workers forever.
    throw new Error(`the worker running attempt ${row.maxAttempts} of ${row.maxAttempts} stopped before finishing (lease expired)`);
  }
  const handler = ctx.handlers.get(row.kind);
  if (!handler) throw new Error(`no handler registered for job kind "${row.kind}"`);
  const job: ClaimedJob = {
    id: row.id,
    kind: row.kind,
    payload: JSON.parse(row.payloadJson) as unknown,
    attempts: row.attempts,
    runAt: row.runAt,
    leaseUntil: row.leaseUntil,
    lockedBy: row.lockedBy,
  };

  const lease = new LeaseKeeper(ctx.db, row, ctx.leaseMs, ctx.clock, ctx.logger);
  lease.start();
  try {
    if (typeof handler === 'function') await complete(ctx, row, (trx) => handler(job, trx));
    else await runSteps(ctx, row, job, handler);
  } finally {
    await lease.stop();
  }
}

async function runSteps(ctx: JobRunContext, row: ClaimedRow, job: ClaimedJob, handler: SteppedJob): Promise<void> {
  let completed = false;
  const steps: JobSteps = {
    db: ctx.db,
    holding: (work) =>
      ctx.db.transaction(async (trx) => {
        await holdLease(trx, row, ctx.clock() + ctx.leaseMs);
        return work(trx);
      }),
    complete: async (work) => {
      if (completed) throw new Error(`job ${row.id} completed twice`);
      await complete(ctx, row, work);
      completed = true;
    },
  };
  await handler.steps(job, steps);
  if (!completed) await steps.complete();
}

async function complete(ctx: JobRunContext, row: ClaimedRow, work?: (trx: Knex.Transaction) => Promise<void>): Promise<void> {
  await ctx.db.transaction(async (trx) => {
    await work?.(trx);
    await markDone(trx, row, ctx.clock());
  });
}

async function recordFailure(ctx: JobRunContext, row: ClaimedRow, message: string): Promise<JobOutcome> {
  const fields = { jobId: row.id, kind: row.kind, attempt: row.attempts, maxAttempts: row.maxAttempts, error: message };
  try {
    const outcome = await markFailed(ctx.db, row, message, ctx.clock());
    if (outcome === 'failed') ctx.logger.error(fields, 'job failed for good');
    else if (outcome === 'retry') ctx.logger.warn(fields, 'job failed; will retry');
    else ctx.logger.warn(fields, 'job failed after its lease was taken over');
    return outcome;
  } catch (error) {
    // The database is likely down: the job stays 'running' and is re-claimed when its lease ends.
    ctx.logger.error({ ...fields, err: error }, 'could not record job failure');
    return 'lost';
  }
}

/** The message only: stacks are for logs, and last_error is shown to operators. */
function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH)}…` : message;
}
