import { absenceStartJob, ABSENCE_START_JOB, enqueueAbsenceStart } from '../absence/absence-start';
import { syncConfiguredAbsences } from '../absence/absences';
import type { HubContext } from '../context';
import { ensureDigestScheduled, PROMISE_DIGEST_JOB, promiseDigestJob } from '../escalation/digest';
import { ESCALATION_NOTICE_JOB, escalationNoticeJob } from '../escalation/notices';
import { HANDOFF_UNACCEPTED_JOB, handoffUnacceptedJob, THREAD_IDLE_JOB, threadIdleJob } from '../escalation/stuck';
import type { JobHandler } from '../jobs/worker';
import { CALLBACK_CANCELLED_JOB } from './callback-promises';
import { callbackCancelledJob, promiseLateJob } from './customer-notices';
import { PROMISE_LATE_JOB } from './lifecycle';
import { promiseWatchJob } from './watch';
import { enqueueWatchScan, PROMISE_WATCH_JOB } from './watch-schedule';

/** The jobs that watch promises and work: the watch and what it asks for, absences and stuck work. */
export function promiseJobHandlers(ctx: HubContext): [string, JobHandler][] {
  return [
    [PROMISE_WATCH_JOB, promiseWatchJob(ctx)],
    [PROMISE_LATE_JOB, promiseLateJob(ctx)],
    [CALLBACK_CANCELLED_JOB, callbackCancelledJob(ctx)],
    [ESCALATION_NOTICE_JOB, escalationNoticeJob(ctx)],
    [PROMISE_DIGEST_JOB, promiseDigestJob(ctx)],
    [ABSENCE_START_JOB, absenceStartJob(ctx)],
    [HANDOFF_UNACCEPTED_JOB, handoffUnacceptedJob(ctx)],
    [THREAD_IDLE_JOB, threadIdleJob(ctx)],
  ];
}

/**
 * At start: the configured absences are stored (and what begins with them asked for), and an
 * instance that runs jobs asks for a watch scan now (promises that fell due while no hub ran)
 * and for the next digest.
 */
export async function startPromiseWatch(ctx: HubContext, args: { runJobs: boolean }): Promise<void> {
  const now = ctx.clock();
  for (const absence of await syncConfiguredAbsences(ctx.db, { config: ctx.config, now })) await enqueueAbsenceStart(ctx.db, { absence, timezone: ctx.config.timezone, now });
  if (!args.runJobs) return;
  await enqueueWatchScan(ctx.db, { at: now, now });
  await ensureDigestScheduled(ctx.db, ctx, now);
}
