import type { DbOrTrx } from '../core/db';
import { enqueueJob } from '../jobs/queue';

export const CALLBACK_CONFIRM_JOB = 'callback-confirm';
export const CALLBACK_REMIND_JOB = 'callback-remind';
export const CALLBACK_CALL_JOB = 'callback-call';

/** The reminder goes out this long before the slot (the earliest bookable slot is 30 minutes ahead). */
export const REMINDER_BEFORE_MS = 15 * 60_000;

/**
 * The jobs that keep a booked callback's promise, written in the booking's transaction: the
 * confirmation now, the reminder before the slot, the call at its start. A rescheduled or
 * cancelled callback is a row that is no longer booked: its jobs find that and do nothing, so
 * nothing needs to be taken back.
 */
export async function scheduleCallbackJobs(db: DbOrTrx, callback: { id: number; start: number }, now: number): Promise<void> {
  const payload = { callbackId: callback.id };
  await enqueueJob(db, { kind: CALLBACK_CONFIRM_JOB, payload, runAt: now, dedupeKey: `${CALLBACK_CONFIRM_JOB}:${callback.id}` }, now);
  const remindAt = callback.start - REMINDER_BEFORE_MS;
  if (remindAt > now) await enqueueJob(db, { kind: CALLBACK_REMIND_JOB, payload, runAt: remindAt, dedupeKey: `${CALLBACK_REMIND_JOB}:${callback.id}` }, now);
  await enqueueCallAttempt(db, { callbackId: callback.id, attempt: 1, at: callback.start }, now);
}

/** One attempt to place the call: the first at the slot's start, a retry within the slot. */
export async function enqueueCallAttempt(db: DbOrTrx, args: { callbackId: number; attempt: number; at: number }, now: number): Promise<void> {
  await enqueueJob(
    db,
    { kind: CALLBACK_CALL_JOB, payload: { callbackId: args.callbackId, attempt: args.attempt }, runAt: args.at, dedupeKey: `${CALLBACK_CALL_JOB}:${args.callbackId}:${args.attempt}`, maxAttempts: 2 },
    now,
  );
}
