import type { Knex } from 'knex';
import type { Priority } from '../config/hub-config';
import type { HubContext } from '../context';
import { isPostgres } from '../core/db';
import { enqueueEscalationNotices } from '../escalation/notices';
import { ensureDigestScheduled } from '../escalation/digest';
import { enqueueJob } from '../jobs/queue';
import type { JobHandler } from '../jobs/worker';
import { breakCallback } from './callback-break';
import { breakPromise } from './lifecycle';
import { promiseFromRow, type PromiseRecord, type PromiseRow } from './records';
import { watchSteps, type WatchStep } from './steps';
import { enqueueWatchScan, PROMISE_WATCH_JOB } from './watch-schedule';

/** Promises looked at in one scan; a fuller backlog (after downtime) continues in the next job at once. */
const SCAN_BATCH = 500;

export type WatchedRow = PromiseRow & { team_id: string | null; category: string | null; priority: Priority; thread_status: string; callback_end: number | string | null };

/**
 * The promise watch: looks at every promise whose watch time has come (`watch_at`, indexed, so a
 * scan costs what is due, not what is open) and does its steps: an escalation step asks for the
 * notices (delivered in each recipient's service hours), the due step breaks a promise still open.
 * Then the promise waits for its next step, and the scan for that minute is asked for.
 *
 * Each promise's step and its new watch time commit with the job, so a scan retried after a crash
 * does what the failed one did not, once. On PostgreSQL, scans on several hub instances take
 * different promises (SKIP LOCKED).
 */
export function promiseWatchJob(ctx: HubContext): JobHandler {
  return async (_job, trx) => {
    const now = ctx.clock();
    const rows: WatchedRow[] = await trx('promises')
      .join('threads', 'threads.id', 'promises.thread_id')
      .leftJoin('callbacks', 'callbacks.id', 'promises.callback_id')
      .where('promises.watch_at', '<=', now)
      .orderBy('promises.watch_at')
      .limit(SCAN_BATCH)
      .modify((query) => {
        if (isPostgres(trx)) query.forUpdate('promises').skipLocked();
      })
      .select('promises.*', 'threads.team_id', 'threads.category', 'threads.priority', 'threads.status as thread_status', 'callbacks.end as callback_end');
    for (const row of rows) await watchPromise(trx, ctx, row, now);

    if (rows.length === SCAN_BATCH) {
      await enqueueJob(trx, { kind: PROMISE_WATCH_JOB, payload: null, runAt: now, dedupeKey: `${PROMISE_WATCH_JOB}:more:${now}` }, now);
    } else {
      const next = await trx('promises').where('watch_at', '>', now).min({ at: 'watch_at' }).first();
      if (next?.at !== null && next?.at !== undefined) await enqueueWatchScan(trx, { at: Number(next.at), now });
    }
    await ensureDigestScheduled(trx, ctx, now);
  };
}

async function watchPromise(trx: Knex.Transaction, ctx: HubContext, row: WatchedRow, now: number): Promise<void> {
  const promise = promiseFromRow(row);
  if (row.thread_status !== 'open') {
    // Resolving settles a thread's promises; one left open by an older hub is watched no longer.
    await trx('promises').where({ id: promise.id }).update({ watch_at: null });
    return;
  }
  const teamId = row.team_id ?? ctx.sla.defaultTeam;
  const steps = watchSteps({
    promise,
    breakAt: row.callback_end === null ? promise.due : Number(row.callback_end),
    escalation: ctx.config.escalation,
    calendar: ctx.sla.calendar(teamId),
  });
  const watchedUntil = promise.watchedUntil ?? promise.madeAt - 1;
  for (const step of steps.filter((candidate) => candidate.at > watchedUntil && candidate.at <= now)) {
    await doStep(trx, ctx, { promise, step, thread: { id: promise.threadId, team_id: teamId, category: row.category, priority: row.priority }, now });
  }
  const next = steps.find((step) => step.at > now);
  await trx('promises').where({ id: promise.id }).update({ watched_until: now, watch_at: next?.at ?? null });
  if (next) await enqueueWatchScan(trx, { at: next.at, now });
}

async function doStep(
  trx: Knex.Transaction,
  ctx: HubContext,
  args: { promise: PromiseRecord; step: WatchStep; thread: { id: number; team_id: string; category: string | null; priority: Priority }; now: number },
): Promise<void> {
  const { promise, step, now } = args;
  if (step.kind === 'escalation') {
    await enqueueEscalationNotices(trx, ctx, { promise, step, teamId: args.thread.team_id, now });
    return;
  }
  // Its own due step: a promise kept or cancelled before it has nothing to break.
  const current = await trx('promises').where({ id: promise.id }).first('state');
  if (current?.state !== 'open') return;
  if (promise.kind === 'callback') await breakCallback(trx, ctx, { promise, now });
  else await breakPromise(trx, ctx.sla, { promise, thread: args.thread, now });
}
