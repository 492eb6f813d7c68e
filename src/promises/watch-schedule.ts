import type { DbOrTrx } from '../core/db';
import { enqueueJob, type JobSpec } from '../jobs/queue';

/** Looks at every promise whose watch time has come: escalation steps, and breaking at the due time. */
export const PROMISE_WATCH_JOB = 'promise-watch';

const MINUTE = 60_000;

/**
 * The watch scan for the minute `at` falls in, rounded up: every promise watched at 10:05:40 is
 * looked at by the 10:06 scan, one job for all of them. A time already past goes to the minute
 * after `now`, whose scan cannot have run yet; the key (the minute) makes one job however many
 * promises and hub instances ask for it.
 */
export function watchScanJob(args: { at: number; now: number }): JobSpec {
  const minute = args.at > args.now ? Math.ceil(args.at / MINUTE) * MINUTE : Math.floor(args.now / MINUTE) * MINUTE + MINUTE;
  return { kind: PROMISE_WATCH_JOB, payload: null, runAt: minute, dedupeKey: `${PROMISE_WATCH_JOB}:${new Date(minute).toISOString()}` };
}

export async function enqueueWatchScan(db: DbOrTrx, args: { at: number; now: number }): Promise<void> {
  await enqueueJob(db, watchScanJob(args), args.now);
}
