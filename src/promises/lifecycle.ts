import type { Priority } from '../config/hub-config';
import type { Db, DbOrTrx } from '../core/db';
import { toIso } from '../core/format-time';
import type { SlaClock } from '../core/sla';
import { recordEvent } from '../core/timeline';
import { enqueueJob, enqueueJobs, type JobSpec } from '../jobs/queue';
import { nextPromise, promiseChain, promiseFromRow, type PromiseKind, type PromiseRecord, type PromiseRow } from './records';
import { watchSteps } from './steps';
import { watchScanJob } from './watch-schedule';

/** Tells the customer that a promise she was given broke, and its new time. */
export const PROMISE_LATE_JOB = 'promise-late';

const QUARTER = 15 * 60_000;

export interface NewPromise {
  threadId: number;
  /** The thread's team: its calendar counts the promise's service time. */
  teamId: string;
  kind: PromiseKind;
  madeAt: number;
  due: number;
  text?: string | null;
  agentId?: string | null;
  callbackId?: number;
  /** When it counts as broken, if not at its due time: a callback's slot end. */
  breakAt?: number;
  replacesId?: number | null;
}

/** The first step of a new promise's watch: everything before its making is done. */
function firstWatch(sla: SlaClock, promise: NewPromise): { watch_at: number; watched_until: number } {
  const [first] = watchSteps({
    promise: { kind: promise.kind, madeAt: promise.madeAt, due: promise.due, replacesId: promise.replacesId ?? null },
    breakAt: promise.breakAt ?? promise.due,
    escalation: sla.config.escalation,
    calendar: sla.calendar(promise.teamId),
  });
  const at = first?.at ?? promise.due;
  return { watch_at: at, watched_until: Math.min(at, promise.madeAt) - 1 };
}

/**
 * Records promises and asks for the watch scans of their first steps, in the caller's transaction.
 * `withJobs` go in the same statement as the scans (a new thread's acknowledgement: one statement
 * less on every webhook that opens a thread).
 */
export async function makePromises(db: DbOrTrx, sla: SlaClock, promises: NewPromise[], now: number, withJobs: JobSpec[] = []): Promise<number[]> {
  if (promises.length === 0) return [];
  const rows = promises.map((promise) => ({
    thread_id: promise.threadId,
    kind: promise.kind,
    text: promise.text ?? null,
    made_at: promise.madeAt,
    due: promise.due,
    agent_id: promise.agentId ?? null,
    callback_id: promise.callbackId ?? null,
    state: 'open',
    replaces_id: promise.replacesId ?? null,
    ...firstWatch(sla, promise),
  }));
  const inserted: ({ id: number } | number)[] = await db('promises').insert(rows).returning('id');
  const minutes = new Map(rows.map((row) => [watchScanJob({ at: row.watch_at, now }).dedupeKey, watchScanJob({ at: row.watch_at, now })]));
  await enqueueJobs(db, [...withJobs, ...minutes.values()], now);
  return inserted.map((row) => Number(typeof row === 'object' ? row.id : row));
}

export type Settled = 'kept' | 'broken' | 'cancelled';

/**
 * Ends a promise: kept (on time, or `broken` when it was done only after `deadline`), broken
 * outright, or cancelled. Its chain (the promises it took over from) is watched no longer either.
 * Returns undefined when it was no longer open (the watch broke it meanwhile: keep its
 * replacement instead).
 */
export async function settlePromise(
  db: DbOrTrx,
  promise: PromiseRecord,
  args: { outcome: Settled; at: number; by: string; /** For `kept`: the time it had to be done by (default its due time). */ deadline?: number },
): Promise<Settled | undefined> {
  const state: Settled = args.outcome === 'kept' && args.at > (args.deadline ?? promise.due) ? 'broken' : args.outcome;
  const updated = await db('promises').where({ id: promise.id, state: 'open' }).update({ state, settled_at: args.at, settled_by: args.by, watch_at: null });
  if (updated === 0) return undefined;
  const chain = await promiseChain(db, promise);
  if (chain.length > 0) await db('promises').whereIn('id', chain.map((earlier) => earlier.id)).update({ watch_at: null });
  return state;
}

/**
 * Keeps the open promise of a kind on a thread (the newest of its chain): the first response by
 * an agent's reply, the resolution by resolving. Nothing open of that kind: nothing to keep.
 */
export async function keepOpenPromise(db: DbOrTrx, args: { threadId: number; kind: PromiseKind; at: number; by: string }): Promise<Settled | undefined> {
  // Twice at most: the watch may break the one read here and open its replacement meanwhile.
  for (let attempt = 0; attempt < 2; attempt++) {
    const row: PromiseRow | undefined = await db('promises').where({ thread_id: args.threadId, kind: args.kind, state: 'open' }).orderBy('id', 'desc').first();
    if (!row) return undefined;
    const settled = await settlePromise(db, promiseFromRow(row), { outcome: 'kept', at: args.at, by: args.by });
    if (settled) return settled;
  }
  return undefined;
}

export interface BrokenPromise {
  broken: PromiseRecord;
  /** The promise with the new time; none for the automatic acknowledgement, which still goes out as soon as it can. */
  replacement: { id: number; due: number } | null;
}

/**
 * A promise whose time has come unkept: broken, and replaced by one with a new concrete time,
 * `newTimeHours` of service time from now. A customer who was told the old time is told the new
 * one by a job of its own (PROMISE_LATE_JOB, once per broken promise by its key). Callbacks are
 * rebooked instead (callback-break.ts).
 */
export async function breakPromise(
  db: DbOrTrx,
  sla: SlaClock,
  args: { promise: PromiseRecord; thread: { team_id: string | null; category: string | null; priority: Priority }; now: number },
): Promise<BrokenPromise | undefined> {
  const { promise, now } = args;
  const updated = await db('promises').where({ id: promise.id, state: 'open' }).update({ state: 'broken', settled_at: now, settled_by: 'late' });
  if (updated === 0) return undefined;
  const broken: PromiseRecord = { ...promise, state: 'broken', settledAt: now, settledBy: 'late' };
  const teamId = args.thread.team_id ?? sla.defaultTeam;
  const iso = (at: number) => toIso(at, sla.config.timezone);
  if (promise.kind === 'acknowledgement') {
    await recordEvent(db, { threadId: promise.threadId, kind: 'promise-broken', at: now, data: { promiseId: promise.id, kind: promise.kind, due: iso(promise.due), newDue: null } });
    return { broken, replacement: null };
  }
  const { newTimeHours } = sla.targets({ teamId, category: args.thread.category, priority: args.thread.priority });
  // A time a customer can note down: 15:01 becomes 15:15.
  const due = Math.ceil(sla.calendar(teamId).addOpeningHours(new Date(now), newTimeHours).getTime() / QUARTER) * QUARTER;
  const [id] = (await makePromises(db, sla, [{ threadId: promise.threadId, teamId, kind: promise.kind, madeAt: now, due, text: promise.text, agentId: promise.agentId, replacesId: promise.id }], now)) as [number];
  await recordEvent(db, { threadId: promise.threadId, kind: 'promise-broken', at: now, data: { promiseId: promise.id, kind: promise.kind, due: iso(promise.due), newDue: iso(due) } });
  if (promise.toldAt !== null) await enqueueJob(db, { kind: PROMISE_LATE_JOB, payload: { promiseId: id }, runAt: now, dedupeKey: `${PROMISE_LATE_JOB}:${id}` }, now);
  return { broken, replacement: { id, due } };
}

/**
 * The open promise of a kind as it may be named to the customer now: one whose time has passed
 * unkept (the watch has not come round yet) is broken and replaced first, so a message never
 * names a time gone by. Undefined when nothing of that kind is open.
 */
export async function promiseToName(
  db: DbOrTrx,
  sla: SlaClock,
  args: { thread: { id: number; team_id: string | null; category: string | null; priority: Priority }; kind: PromiseKind; now: number },
): Promise<PromiseRecord | undefined> {
  const row: PromiseRow | undefined = await db('promises').where({ thread_id: args.thread.id, kind: args.kind, state: 'open' }).orderBy('id', 'desc').first();
  if (!row) return undefined;
  const promise = promiseFromRow(row);
  if (promise.due > args.now) return promise;
  const renewed = await breakPromise(db, sla, { promise, thread: args.thread, now: args.now });
  return renewed?.replacement ? { ...promise, id: renewed.replacement.id, due: renewed.replacement.due, state: 'open', replacesId: promise.id, toldAt: null, toldChannels: [], madeAt: args.now } : undefined;
}

/** The acknowledgement went out (kept, or broken when late), or could reach nobody (cancelled: no promise reached the customer). */
export async function settleAcknowledgement(db: DbOrTrx, args: { threadId: number; sent: boolean; now: number }): Promise<void> {
  const row: PromiseRow | undefined = await db('promises').where({ thread_id: args.threadId, kind: 'acknowledgement', state: 'open' }).first();
  if (row) await settlePromise(db, promiseFromRow(row), args.sent ? { outcome: 'kept', at: args.now, by: 'hub' } : { outcome: 'cancelled', at: args.now, by: 'unreachable' });
}

/**
 * The next promise of these kinds that may be named to the customer (IVR status, the status
 * page): open promises whose time passed unkept are renewed first, as the watch would a moment
 * later, so the answer is a time still to come. A callback whose slot has begun is left to its call.
 */
export async function nextPromiseToName(db: Db, sla: SlaClock, args: { threadId: number; now: number; kinds: readonly PromiseKind[] }): Promise<PromiseRecord | undefined> {
  return db.transaction(async (trx) => {
    const thread = await trx('threads').where({ id: args.threadId }).first('id', 'team_id', 'category', 'priority');
    const overdue: PromiseRow[] = await trx('promises').where({ thread_id: args.threadId, state: 'open' }).whereIn('kind', ['first-response', 'resolution', 'agent']).where('due', '<=', args.now);
    for (const row of overdue) await breakPromise(trx, sla, { promise: promiseFromRow(row), thread, now: args.now });
    return nextPromise(trx, args);
  });
}
