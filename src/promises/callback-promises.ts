import type { Channel } from '../core/contact';
import type { DbOrTrx } from '../core/db';
import { enqueueJob } from '../jobs/queue';
import type { SlaClock } from '../core/sla';
import { keepOpenPromise, makePromises, settlePromise } from './lifecycle';
import { callbackPromise } from './records';

/**
 * A booked callback is a promise: the call is placed within its slot. Written in the booking's
 * transaction. A moved booking's promise is cancelled (`moved`) and the new one replaces it, so the
 * confirmation of the new time reaches every channel that showed the old one (notify.ts).
 * `replaces`: a broken callback promise this booking makes good (callback-break.ts).
 */
export async function promiseBookedCallback(
  db: DbOrTrx,
  sla: SlaClock,
  args: { threadId: number; teamId: string; callback: { id: number; start: number; end: number }; via: string; moved?: { id: number }; replaces?: number; now: number },
): Promise<void> {
  const movedPromise = args.moved ? await callbackPromise(db, args.moved.id) : undefined;
  if (movedPromise?.state === 'open') await settlePromise(db, movedPromise, { outcome: 'cancelled', at: args.now, by: 'moved' });
  const [id] = (await makePromises(
    db,
    sla,
    [{ threadId: args.threadId, teamId: args.teamId, kind: 'callback', madeAt: args.now, due: args.callback.start, breakAt: args.callback.end, callbackId: args.callback.id, replacesId: movedPromise?.id ?? args.replaces ?? null }],
    args.now,
  )) as [number];
  const toldOn = BOOKED_ON[args.via];
  if (toldOn) await db('promises').where({ id }).update({ told_at: args.now, told_channels: JSON.stringify([toldOn]) });
}

/** Bookings whose own answer tells the customer the time: the SMS reply, the chat, the phone menu. */
const BOOKED_ON: Record<string, Channel | undefined> = { sms: 'sms', chat: 'chat', ivr: 'voice' };

/** Outcomes in which the customer was called: the agent talked to her, or she did not answer. */
const CALLED = new Set(['completed', 'started-by-agent', 'customer-no-answer']);

/**
 * How a callback's end settles its promise. Placed within the slot: kept, also when the customer
 * did not answer (the hub called as promised). Done: the first response is kept too, as by a
 * reply. Missed because no agent could call: broken (the customer is offered new times by SMS).
 * Cancelled: cancelled.
 */
export async function settleCallbackPromise(
  db: DbOrTrx,
  args: { callback: { id: number; thread_id: number; end: number; actual_start: number | null; agent_id: string }; status: 'done' | 'missed' | 'cancelled'; outcome: string; now: number },
): Promise<void> {
  const { callback, status, now } = args;
  const promise = await callbackPromise(db, callback.id);
  if (promise?.state === 'open') {
    if (status === 'cancelled') await settlePromise(db, promise, { outcome: 'cancelled', at: now, by: args.outcome });
    else if (CALLED.has(args.outcome)) await settlePromise(db, promise, { outcome: 'kept', at: callback.actual_start ?? now, by: callback.agent_id, deadline: callback.end });
    else await settlePromise(db, promise, { outcome: 'broken', at: now, by: args.outcome });
  }
  if (status === 'done') {
    await keepOpenPromise(db, { threadId: callback.thread_id, kind: 'first-response', at: now, by: callback.agent_id });
    await db('threads').where({ id: callback.thread_id }).whereNull('first_response_at').update({ first_response_at: now });
  }
}

/** Tells the customer her callback is off, on the channels that showed its time. */
export const CALLBACK_CANCELLED_JOB = 'callback-cancelled-notice';

/**
 * A booked callback called off: its promise is cancelled. When it was not the customer's own
 * doing (an agent cancelled it, or the thread was resolved), she is told on every channel that
 * showed its time, by a job of its own (once, by its key).
 */
export async function cancelCallbackPromise(db: DbOrTrx, args: { callbackId: number; reason: 'cancelled' | 'resolved'; tellCustomer: boolean; now: number }): Promise<void> {
  const promise = await callbackPromise(db, args.callbackId);
  if (promise?.state === 'open') await settlePromise(db, promise, { outcome: 'cancelled', at: args.now, by: args.reason });
  if (args.tellCustomer && promise?.toldAt != null) {
    await enqueueJob(db, { kind: CALLBACK_CANCELLED_JOB, payload: { callbackId: args.callbackId, reason: args.reason }, runAt: args.now, dedupeKey: `${CALLBACK_CANCELLED_JOB}:${args.callbackId}` }, args.now);
  }
}
