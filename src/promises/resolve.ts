import type { DbOrTrx } from '../core/db';
import { recordEvent } from '../core/timeline';
import { cancelCallbackPromise } from './callback-promises';
import { keepOpenPromise, settlePromise } from './lifecycle';
import { promiseFromRow, type PromiseRow } from './records';

/**
 * Resolving keeps the resolution promise and cancels every other open promise of the thread,
 * booked callbacks included: their calls are not made, and the customer is told the callback is
 * off where its time was shown (CALLBACK_CANCELLED_JOB). Runs in the resolve's transaction.
 */
export async function settlePromisesOnResolve(db: DbOrTrx, args: { threadId: number; agent: string; now: number }): Promise<void> {
  const { threadId, now } = args;
  await keepOpenPromise(db, { threadId, kind: 'resolution', at: now, by: args.agent });
  const booked: { id: number; agent_id: string }[] = await db('callbacks').where({ thread_id: threadId, status: 'booked' }).select('id', 'agent_id');
  for (const callback of booked) {
    await db('callbacks').where({ id: callback.id, status: 'booked' }).update({ status: 'cancelled', cancelled_at: now, outcome: 'thread-resolved' });
    await recordEvent(db, { threadId, kind: 'callback-cancelled', at: now, data: { callbackId: callback.id, agent: callback.agent_id, reason: 'resolved' } });
    await cancelCallbackPromise(db, { callbackId: callback.id, reason: 'resolved', tellCustomer: true, now });
  }
  const open: PromiseRow[] = await db('promises').where({ thread_id: threadId, state: 'open' });
  for (const row of open) await settlePromise(db, promiseFromRow(row), { outcome: 'cancelled', at: now, by: 'resolved' });
}
