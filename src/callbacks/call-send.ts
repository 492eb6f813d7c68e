import type { HubContext } from '../context';
import { reserveMoment } from '../core/rate-limits';
import { recordEvent } from '../core/timeline';
import type { SendRecord } from '../core/send-ledger';
import { offerSlotsBySms } from '../channels/sms/callback-offer';
import type { SendKindHandler } from '../outbound/send-kind';
import { bookedCallback, closeCallback, type AgentDialer } from './execution';
import { callContent, CALLS_RATE_LIMIT } from './schedule';

/** A call is tried again at least this often while its slot lasts: placed within seconds of Twilio coming back. */
const MAX_BACKOFF_MS = 15_000;

/**
 * A callback's call to its agent as a send: placed through the dialer exactly once (a call whose
 * answer was lost is looked up in Twilio's Calls list first), at the account's calls per second,
 * tried again while the slot lasts. Placed: the callback is calling its agent. Not placed by the
 * end of the slot, or refused: the callback is missed and the customer offered new times.
 */
export function callSendKind(ctx: HubContext, dialer: AgentDialer): SendKindHandler {
  const call = (send: SendRecord) => callContent.parse(send.content);
  return {
    kind: 'call',
    maxBackoffMs: MAX_BACKOFF_MS,
    async withdrawn(db, send) {
      return (await bookedCallback(db, call(send).callbackId)) ? undefined : 'callback-no-longer-booked';
    },
    onWithdrawn: async () => {},
    async send(send) {
      const { callbackId, attempt } = call(send);
      const { callSid } = await dialer.callAgent({ callbackId, attempt, agentPhone: send.recipient });
      return [{ providerId: callSid, part: 1, parts: 1 }];
    },
    async findSent(db, send, since) {
      const calls = await dialer.findCalls({ agentPhone: send.recipient, since });
      // A call another send placed (this agent's callback of the slot before) is not this one.
      const known = new Set<string>(calls.length > 0 ? await db('outbound_sends').where({ kind: 'call' }).whereIn('provider_id', calls).pluck('provider_id') : []);
      const ours = calls.find((sid) => !known.has(sid));
      return ours ? [{ providerId: ours, part: 1, parts: 1 }] : [];
    },
    nextAttemptAt: (trx, earliest) => reserveMoment(trx, { name: CALLS_RATE_LIMIT, perSecond: ctx.env.TWILIO_CALLS_PER_SECOND, earliest }),
    async onSent(trx, send, parts, now) {
      const { callbackId, attempt, agentId } = call(send);
      const callback = await bookedCallback(trx, callbackId);
      if (!callback) return;
      const first = callback.actual_start === null;
      await trx('callbacks').where({ id: callbackId }).update({ outcome: 'calling-agent', ...(first ? { actual_start: now } : {}) });
      if (first) ctx.metrics.callbackLateness.observe((now - callback.start) / 1000);
      await recordEvent(trx, { threadId: callback.thread_id, kind: 'callback-started', at: now, data: { callbackId, attempt, agent: agentId, callSid: parts[0]?.providerId } });
    },
    async onEnded(trx, send, _end, now) {
      // Locked: the promise watch may be closing the same callback at the slot's end.
      const booked = await trx('callbacks').where({ id: call(send).callbackId, status: 'booked' }).forUpdate().first('id');
      const callback = booked && (await bookedCallback(trx, booked.id));
      if (callback) await closeCallback(trx, ctx, { callback, status: 'missed', outcome: 'call-not-placed', now });
    },
    async afterEnded(send) {
      // Only for the callback this send just missed: one cancelled meanwhile needs no new times.
      const missed: { reference: string } | undefined = await ctx
        .db('callbacks')
        .join('threads', 'threads.id', 'callbacks.thread_id')
        .where({ 'callbacks.id': call(send).callbackId, 'callbacks.status': 'missed', 'callbacks.outcome': 'call-not-placed' })
        .first('threads.reference');
      if (missed) await offerSlotsBySms(ctx, missed.reference);
    },
  };
}
