import { z } from 'zod';
import type { DbOrTrx } from '../core/db';
import { reserveMoment } from '../core/rate-limits';
import { recordSend } from '../core/send-ledger';
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
    { kind: CALLBACK_CALL_JOB, payload: { callbackId: args.callbackId, attempt: args.attempt }, runAt: args.at, dedupeKey: `${CALLBACK_CALL_JOB}:${args.callbackId}:${args.attempt}` },
    now,
  );
}

/** The purpose of a callback's call in the send ledger (outbound_sends). */
export const CALLBACK_CALL_PURPOSE = 'callback-call';

/** What a callback's call send carries (outbound_sends.content). */
export const callContent = z.object({ callbackId: z.number().int(), attempt: z.number().int().min(1), agentId: z.string() });

/** A call placed in the slot's last minute leaves the agent and the customer no time to talk: the attempts stop before it. */
const LAST_MINUTE_MS = 60_000;

/** Twilio's limit on new calls is per account, so every instance takes its turn through the store. */
export const CALLS_RATE_LIMIT = 'twilio-calls';

/**
 * Records the call of one attempt for the outbound-send job, at the first moment the account's
 * calls per second allow. It is tried again until the slot's last minute; after that the
 * callback is missed and the customer offered new times (call-send.ts).
 */
export async function recordCallSend(
  db: DbOrTrx,
  args: { callback: { id: number; thread_id: number; end: number }; attempt: number; agent: { id: string; phone: string }; callsPerSecond: number; now: number },
): Promise<number> {
  const { callback, now } = args;
  const at = await reserveMoment(db, { name: CALLS_RATE_LIMIT, perSecond: args.callsPerSecond, earliest: now });
  return recordSend(db, {
    kind: 'call',
    channel: 'voice',
    recipient: args.agent.phone,
    purpose: CALLBACK_CALL_PURPOSE,
    threadId: callback.thread_id,
    content: { callbackId: callback.id, attempt: args.attempt, agentId: args.agent.id } satisfies z.infer<typeof callContent>,
    giveUpAt: callback.end - LAST_MINUTE_MS,
    firstAttemptAt: at,
    now,
  });
}
