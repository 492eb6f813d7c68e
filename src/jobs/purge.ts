import { DateTime } from 'luxon';
import type { HubContext } from '../context';
import type { DbOrTrx } from '../core/db';
import { enqueueJob } from './queue';
import type { JobHandler } from './run-job';

export const JOBS_PURGE_JOB = 'jobs-purge';

/** Done jobs are kept a month, for looking into what the hub did; failed ones are kept until someone does. */
export const DONE_JOBS_KEPT_MS = 30 * 86_400_000;

/**
 * A run deletes at most BATCHES_PER_RUN statements of BATCH jobs (20,000): on SQLite the run holds
 * the only connection, so a year of jobs left by a hub from before the purge goes in short runs,
 * a minute apart, instead of in one that stops every webhook for seconds.
 */
const BATCH = 5_000;
const BATCHES_PER_RUN = 4;
const BACKLOG_PAUSE_MS = 60_000;
/**
 * One-time codes and failed console logins count only for an hour (the code limits) or 15
 * minutes (the lock-out); a day later nothing reads them. Without this, guessing with made-up
 * agent ids would grow the table for ever.
 */
const COUNTED_ATTEMPTS_KEPT_MS = 86_400_000;
/** At night by the business calendar, when a run in the way of a webhook is least likely. */
const NIGHTLY = { hour: 3, minute: 30 };

/**
 * Schedules the next nightly purge. Every hub instance asks at start and the job asks again each
 * night; the dedupe key (the night's date) makes them one job.
 */
export async function scheduleJobsPurge(db: DbOrTrx, args: { timezone: string; now: number }): Promise<void> {
  const night = DateTime.fromMillis(args.now, { zone: args.timezone }).plus({ days: 1 }).set({ ...NIGHTLY, second: 0, millisecond: 0 });
  await enqueuePurge(db, { runAt: night.toMillis(), key: night.toFormat('yyyy-MM-dd'), now: args.now });
}

async function enqueuePurge(db: DbOrTrx, args: { runAt: number; key: string; now: number }): Promise<void> {
  await enqueueJob(db, { kind: JOBS_PURGE_JOB, payload: null, runAt: args.runAt, dedupeKey: `${JOBS_PURGE_JOB}:${args.key}` }, args.now);
}

/**
 * Deletes done jobs finished more than DONE_JOBS_KEPT_MS ago, so the table holds a month of jobs
 * however long the hub runs. Safe for deduplication: every dedupe key names something that
 * happens once (a thread opening, a booking, a contact), never something asked for again later.
 */
export function jobsPurgeJob(ctx: Pick<HubContext, 'config' | 'clock' | 'logger'>): JobHandler {
  return async (_job, trx) => {
    const now = ctx.clock();
    const cutoff = now - DONE_JOBS_KEPT_MS;
    let deleted = 0;
    let backlog = false;
    for (let batch = 0; batch < BATCHES_PER_RUN; batch++) {
      const n = await deleteDoneBefore(trx, cutoff);
      deleted += n;
      backlog = n === BATCH;
      if (!backlog) break;
    }
    const attempts = await deleteCountedAttemptsBefore(trx, now - COUNTED_ATTEMPTS_KEPT_MS);
    if (backlog) {
      const at = now + BACKLOG_PAUSE_MS;
      await enqueuePurge(trx, { runAt: at, key: new Date(at).toISOString(), now });
    } else {
      await scheduleJobsPurge(trx, { timezone: ctx.config.timezone, now });
    }
    ctx.logger.info({ deleted, backlog, attempts }, 'done jobs purged');
  };
}

async function deleteCountedAttemptsBefore(db: DbOrTrx, cutoff: number): Promise<number> {
  const codes = await db('verification_codes').where('created_at', '<', cutoff).delete();
  const logins = await db('console_login_failures').where('at', '<', cutoff).delete();
  return codes + logins;
}

/** A job is claimed only once its run_at has come, so run_at <= finished_at: the (state, run_at) index finds them. */
async function deleteDoneBefore(db: DbOrTrx, cutoff: number): Promise<number> {
  return db('jobs')
    .whereIn('id', db('jobs').where('state', 'done').where('run_at', '<', cutoff).where('finished_at', '<', cutoff).orderBy('run_at').limit(BATCH).select('id'))
    .delete();
}
