import type { Knex } from 'knex';
import { bookCallback, findSlots, type CallbackRecord } from '../callbacks/booking';
import { closeCallback } from '../callbacks/execution';
import { rosterFor } from '../callbacks/roster';
import type { HubContext } from '../context';
import { toIso } from '../core/format-time';
import { recordEvent } from '../core/timeline';
import { settleCallbackPromise } from './callback-promises';
import { settlePromise } from './lifecycle';
import type { PromiseRecord } from './records';

/**
 * A callback slot has ended and nobody called (no phone system, and nobody pressed "Ik bel nu";
 * or its job never ran). The callback is missed (`not-started`) and rebooked at the team's next
 * free slot; the new booking's confirmation tells the customer, on every channel that showed the
 * old time, that we are late and when we call now (notify.ts). A call already placed is left to
 * finish: that promise was kept.
 */
export async function breakCallback(trx: Knex.Transaction, ctx: HubContext, args: { promise: PromiseRecord; now: number }): Promise<void> {
  const { promise, now } = args;
  const row: CallbackRecord | undefined = promise.callbackId === null ? undefined : await trx('callbacks').where({ id: promise.callbackId }).first();
  if (!row) return;
  const callback = { ...row, start: Number(row.start), end: Number(row.end), actual_start: row.actual_start === null ? null : Number(row.actual_start) };
  if (callback.actual_start !== null) {
    // Placed within the slot and maybe still going on: kept. How it ends is for closeCallback.
    await settlePromise(trx, promise, { outcome: 'kept', at: callback.actual_start, by: callback.agent_id, deadline: callback.end });
    return;
  }
  if (callback.status !== 'booked') {
    // Ended without its promise being settled (by a hub from before promises): settle it now.
    await settleCallbackPromise(trx, { callback, status: callback.status, outcome: callback.outcome ?? callback.status, now });
    return;
  }
  await closeCallback(trx, ctx, { callback, status: 'missed', outcome: 'not-started', now });
  const thread = await trx('threads').where({ id: callback.thread_id }).first('reference');
  const roster = rosterFor(ctx.config);
  const [slot] = await findSlots(trx, roster, { teamId: callback.team_id, now, limit: 1, ignoreThreadId: callback.thread_id });
  const rebooked = slot ? await bookCallback(trx, roster, { reference: thread.reference, start: slot.start, now, via: 'hub', replaces: promise.id }) : undefined;
  await recordEvent(trx, {
    threadId: callback.thread_id,
    kind: 'promise-broken',
    at: now,
    data: { promiseId: promise.id, kind: 'callback', due: toIso(callback.start, ctx.config.timezone), newDue: rebooked ? toIso(rebooked.start, ctx.config.timezone) : null },
  });
}
