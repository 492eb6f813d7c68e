import type { Knex } from 'knex';
import { z } from 'zod';
import type { HubContext } from '../context';
import type { Language } from '../core/contact';
import { isUniqueViolation, type DbOrTrx } from '../core/db';
import { eventData, recordEvent, type TimelineKind } from '../core/timeline';
import type { ThreadRecord } from '../core/threads';
import type { JobHandler } from '../jobs/worker';
import { offerSlotsBySms } from '../channels/sms/callback-offer';
import { recipientFor } from '../core/recipient';
import { slackPoster } from '../channels/slack/slack-poster';
import { handoffPlainText } from '../handoff/render-text';
import { callbackDueCard } from '../handoff/render-slack';
import { whisperText } from '../handoff/render-whisper';
import { currentHandoff } from '../handoff/transfer';
import { standInAgents, type CallbackRecord } from './booking';
import { notifyCallback, type CallbackNotice } from './notify';
import { rosterFor } from './roster';
import { enqueueCallAttempt, recordCallSend } from './schedule';
import { settleCallbackPromise } from '../promises/callback-promises';

/**
 * Rings an agent for a due callback; when they answer, the phone system asks the hub what to play
 * (`agentAnswered`). Failures are SendFailures: the call is a send of its own (call-send.ts).
 */
export interface AgentDialer {
  callAgent(args: { callbackId: number; attempt: number; agentPhone: string }): Promise<{ callSid: string }>;
  /** The calls from the hub to this phone placed since `since`, newest first: whether a call whose answer was lost went out. */
  findCalls(args: { agentPhone: string; since: number }): Promise<string[]>;
}

/** Calls placed for one callback at most: the first, a retry when the customer does not answer, a stand-in agent. */
export const MAX_CALL_ATTEMPTS = 3;
/** A customer who did not answer is tried again once, this much later, if that is still inside the slot. */
export const RETRY_AFTER_MS = 3 * 60_000;

type ExecutionContext = HubContext;

const callbackPayload = z.object({ callbackId: z.number().int() });
const callPayload = callbackPayload.extend({ attempt: z.number().int().min(1) });

/** The callback while it is still booked (a rescheduled, cancelled or finished one is left alone). */
export async function bookedCallback(db: DbOrTrx, callbackId: number): Promise<CallbackRecord | undefined> {
  const row: CallbackRecord | undefined = await db('callbacks').where({ id: callbackId, status: 'booked' }).first();
  return row && { ...row, start: Number(row.start), end: Number(row.end), actual_start: row.actual_start === null ? null : Number(row.actual_start) };
}

async function threadOf(db: DbOrTrx, callback: CallbackRecord): Promise<ThreadRecord> {
  return db('threads').where({ id: callback.thread_id }).first();
}

/** Confirmation (at booking) and reminder (before the slot): SMS and email from views/callback/. */
export function callbackNoticeJob(ctx: ExecutionContext, notice: CallbackNotice): JobHandler {
  return async (job, trx) => {
    const { callbackId } = callbackPayload.parse(job.payload);
    const callback = await bookedCallback(trx, callbackId);
    if (!callback) return;
    const thread = await threadOf(trx, callback);
    if (thread.status !== 'open') return;
    const now = ctx.clock();
    const bookingLink = ctx.offerLinks.linkFor(thread.id, now);
    const channels = await notifyCallback(trx, ctx.senders, { notice, callback, thread, timezone: ctx.config.timezone, now, bookingLink });
    await recordEvent(trx, { threadId: thread.id, kind: notice === 'confirmation' ? 'callback-confirmed' : 'callback-reminded', at: now, data: { callbackId, channels } });
  };
}

/**
 * At the slot's start (and for each later attempt): rings the agent, who hears the handoff whisper
 * and is then connected to the customer. Without a phone system the agent gets a "callback due
 * now" card (Slack, else the outbox) with a button that records when they started it.
 */
export function callbackCallJob(ctx: ExecutionContext, dialer: AgentDialer | undefined): JobHandler {
  const poster = slackPoster(ctx.env);
  return async (job, trx) => {
    const { callbackId, attempt } = callPayload.parse(job.payload);
    const callback = await bookedCallback(trx, callbackId);
    if (!callback) return;
    const thread = await threadOf(trx, callback);
    const now = ctx.clock();
    if (thread.status !== 'open') return closeCallback(trx, ctx, { callback, status: 'cancelled', outcome: 'thread-resolved', now });
    const phone = await recipientFor(trx, thread, 'phone');
    if (!phone) return closeCallback(trx, ctx, { callback, status: 'missed', outcome: 'no-phone', now });
    const agent = ctx.config.agents.find((candidate) => candidate.id === callback.agent_id);

    if (dialer && agent?.phone) {
      // Placed by the outbound-send job, exactly once and tried again while the slot lasts (call-send.ts).
      await recordCallSend(trx, { callback, attempt, agent: { id: agent.id, phone: agent.phone }, callsPerSecond: ctx.env.TWILIO_CALLS_PER_SECOND, now });
      await trx('callbacks').where({ id: callbackId }).update({ outcome: 'placing-call' });
      return;
    }

    const channel = agent?.slackUserId ?? ctx.config.teams.find((team) => team.id === callback.team_id)?.slackChannel ?? ctx.env.SLACK_HANDOFF_CHANNEL;
    if (!channel) {
      ctx.logger.warn({ callbackId, agent: callback.agent_id }, 'a callback is due but neither a phone system nor a Slack destination is configured');
      return;
    }
    const language: Language = agent?.language ?? 'nl';
    const summary = await currentHandoff({ ...ctx, db: trx }, { reference: thread.reference, now });
    const card = callbackDueCard(summary, { callbackId, phone, start: callback.start, timezone: ctx.config.timezone, language });
    await poster.post(trx, { channel, ...card, plainText: `${card.text}\n\n${handoffPlainText(summary, language)}`, threadId: thread.id, purpose: 'callback' }, now);
    await trx('callbacks').where({ id: callbackId }).update({ outcome: 'awaiting-agent' });
    await recordEvent(trx, { threadId: thread.id, kind: 'callback-due', at: now, data: { callbackId, agent: callback.agent_id, channel } });
  };
}

/** The agent answered the hub's call: what they hear first, and whom they are connected to. */
export async function agentAnswered(ctx: ExecutionContext, callbackId: number): Promise<{ whisper: string; reference: string; language: Language; customerPhone: string } | undefined> {
  const callback = await bookedCallback(ctx.db, callbackId);
  if (!callback) return undefined;
  const thread = await threadOf(ctx.db, callback);
  const customerPhone = await recipientFor(ctx.db, thread, 'phone');
  if (!customerPhone) return undefined;
  const language = ctx.config.agents.find((agent) => agent.id === callback.agent_id)?.language ?? 'nl';
  const summary = await currentHandoff(ctx, { reference: thread.reference, now: ctx.clock() });
  await ctx.db('callbacks').where({ id: callbackId, status: 'booked' }).update({ outcome: 'calling-customer' });
  return { whisper: whisperText(summary, language), reference: thread.reference, language, customerPhone };
}

export type CustomerCallResult = { kind: 'completed' } | { kind: 'retry'; at: number } | { kind: 'missed'; newSlotsSent: boolean } | { kind: 'gone' };

/**
 * How the customer leg ended. Answered: the callback is done. Not answered: another attempt a few
 * minutes later while the slot lasts, else missed, and the customer gets new concrete slots by SMS.
 */
export async function customerCallEnded(ctx: ExecutionContext, args: { callbackId: number; attempt: number; answered: boolean }): Promise<CustomerCallResult> {
  const now = ctx.clock();
  const result = await ctx.db.transaction(async (trx): Promise<CustomerCallResult & { reference?: string }> => {
    const callback = await bookedCallback(trx, args.callbackId);
    if (!callback) return { kind: 'gone' };
    const thread = await threadOf(trx, callback);
    if (args.answered) {
      await closeCallback(trx, ctx, { callback, status: 'done', outcome: 'completed', now });
      return { kind: 'completed' };
    }
    const retryAt = now + RETRY_AFTER_MS;
    if (args.attempt < MAX_CALL_ATTEMPTS && retryAt < callback.end && !(await customerRetried(trx, callback))) {
      await enqueueCallAttempt(trx, { callbackId: callback.id, attempt: args.attempt + 1, at: retryAt }, now);
      await trx('callbacks').where({ id: callback.id }).update({ outcome: 'retry-scheduled' });
      await recordEvent(trx, { threadId: thread.id, kind: 'callback-retry', at: now, data: { callbackId: callback.id, attempt: args.attempt + 1, at: retryAt } });
      return { kind: 'retry', at: retryAt };
    }
    await closeCallback(trx, ctx, { callback, status: 'missed', outcome: 'customer-no-answer', now });
    return { kind: 'missed', newSlotsSent: false, reference: thread.reference };
  });
  if (result.kind !== 'missed' || !result.reference) return result;
  return { kind: 'missed', newSlotsSent: (await offerSlotsBySms(ctx, result.reference)) !== undefined };
}

/**
 * The agent's phone was not answered (busy on another call, away): the callback moves to another
 * free agent of the team for the same slot and is placed at once, so it is not late; the partial
 * unique index keeps that agent from being booked twice. With nobody free: missed, and the
 * customer gets new concrete slots by SMS.
 */
export async function agentUnavailable(ctx: ExecutionContext, args: { callbackId: number; attempt: number; reason: string }): Promise<'reassigned' | 'missed' | 'gone'> {
  const now = ctx.clock();
  const roster = rosterFor(ctx.config);
  const result = await ctx.db.transaction(async (trx): Promise<{ kind: 'reassigned' | 'missed' | 'gone'; reference?: string }> => {
    const callback = await bookedCallback(trx, args.callbackId);
    if (!callback || callback.outcome !== 'calling-agent') return { kind: 'gone' };
    const thread = await threadOf(trx, callback);
    if (args.attempt < MAX_CALL_ATTEMPTS) {
      for (const agentId of await standInAgents(trx, roster, callback)) {
        if (await moveToAgent(trx, callback, agentId)) {
          await recordEvent(trx, { threadId: thread.id, kind: 'callback-reassigned', at: now, data: { callbackId: callback.id, from: callback.agent_id, to: agentId, reason: args.reason } });
          await enqueueCallAttempt(trx, { callbackId: callback.id, attempt: args.attempt + 1, at: now }, now);
          return { kind: 'reassigned' };
        }
      }
    }
    await closeCallback(trx, ctx, { callback, status: 'missed', outcome: 'agent-unavailable', now });
    return { kind: 'missed', reference: thread.reference };
  });
  if (result.kind === 'missed' && result.reference) await offerSlotsBySms(ctx, result.reference);
  return result.kind;
}

/** Without a phone system: the agent pressed "start" on the due card and calls the customer themselves. */
export async function startedByAgent(ctx: ExecutionContext, args: { callbackId: number; agentId: string }): Promise<{ reference: string; phone: string } | undefined> {
  const now = ctx.clock();
  return ctx.db.transaction(async (trx) => {
    const callback = await bookedCallback(trx, args.callbackId);
    if (!callback) return undefined;
    const thread = await threadOf(trx, callback);
    const phone = await recipientFor(trx, thread, 'phone');
    if (!phone) return undefined;
    await closeCallback(trx, ctx, { callback, status: 'done', outcome: 'started-by-agent', now });
    // Whoever pressed start made the call; no longer booked, so the one-booking-per-agent index is not in the way.
    await trx('callbacks').where({ id: callback.id }).update({ actual_start: now, agent_id: args.agentId });
    ctx.metrics.callbackLateness.observe((now - callback.start) / 1000);
    return { reference: thread.reference, phone };
  });
}

/** The customer gets one retry per callback. */
async function customerRetried(trx: Knex.Transaction, callback: CallbackRecord): Promise<boolean> {
  const retries: { data: string | null }[] = await trx('timeline_events').where({ thread_id: callback.thread_id, kind: 'callback-retry' }).select('data');
  return retries.some((event) => eventData(event.data).callbackId === callback.id);
}

/** Another agent takes the booking; false when they were booked at that time meanwhile. */
export async function moveToAgent(trx: Knex.Transaction, callback: CallbackRecord, agentId: string): Promise<boolean> {
  try {
    // A savepoint: on PostgreSQL a unique violation would otherwise abort the whole transaction.
    return await trx.transaction(async (inner) => (await inner('callbacks').where({ id: callback.id, status: 'booked' }).update({ agent_id: agentId, outcome: null })) > 0);
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}

/** Ends a callback, and settles its promise (a completed one keeps the first response too). */
export async function closeCallback(
  trx: Knex.Transaction,
  ctx: ExecutionContext,
  args: { callback: CallbackRecord; status: 'done' | 'missed' | 'cancelled'; outcome: string; now: number },
): Promise<void> {
  const { callback, status, outcome, now } = args;
  await trx('callbacks').where({ id: callback.id }).update({ status, outcome, ...(status === 'cancelled' ? { cancelled_at: now } : {}) });
  await settleCallbackPromise(trx, { callback, status, outcome, now });
  const kind: TimelineKind = status === 'done' ? 'callback-completed' : status === 'missed' ? 'callback-missed' : 'callback-cancelled';
  await recordEvent(trx, { threadId: callback.thread_id, kind, at: now, data: { callbackId: callback.id, outcome } });
  ctx.metrics.callbackOutcomes.inc({ outcome });
}
