import { z } from 'zod';
import { slackPoster } from '../channels/slack/slack-poster';
import type { HubContext } from '../context';
import type { DbOrTrx } from '../core/db';
import type { SlaClock } from '../core/sla';
import { recordEvent } from '../core/timeline';
import { escapeMrkdwn } from '../handoff/render-slack';
import { enqueueJob } from '../jobs/queue';
import type { JobHandler } from '../jobs/worker';
import { duration } from './messages';
import { presentRecipients, recipientLanguage, recipientsOf, type Recipient } from './recipients';
import { postNotice } from './slack-notice';

/** A handoff card still not accepted `stuck.acceptMinutes` service minutes after the transfer. */
export const HANDOFF_UNACCEPTED_JOB = 'handoff-unaccepted';
/** A thread without agent action for `stuck.idleHours` service hours. */
export const THREAD_IDLE_JOB = 'thread-idle';

const unacceptedPayload = z.object({ threadId: z.number().int(), transferredAt: z.number() });
const idlePayload = z.object({ threadId: z.number().int(), raised: z.number().int().min(0), since: z.number() });

/** After a transfer posted a card: its check, when `stuck.acceptMinutes` is configured. */
export async function watchHandoffCard(db: DbOrTrx, ctx: { sla: SlaClock }, args: { threadId: number; teamId: string; now: number }): Promise<void> {
  const minutes = ctx.sla.config.stuck.acceptMinutes;
  if (minutes === undefined) return;
  const runAt = ctx.sla.calendar(args.teamId).addOpeningHours(new Date(args.now), minutes / 60).getTime();
  await enqueueJob(db, { kind: HANDOFF_UNACCEPTED_JOB, payload: { threadId: args.threadId, transferredAt: args.now }, runAt, dedupeKey: `${HANDOFF_UNACCEPTED_JOB}:${args.threadId}:${args.now}` }, args.now);
}

/** A new thread's first idle check, when `stuck.idleHours` is configured. */
export async function watchIdleThread(db: DbOrTrx, sla: SlaClock, args: { threadId: number; teamId: string; openedAt: number }): Promise<void> {
  const hours = sla.config.stuck.idleHours;
  if (hours === undefined) return;
  await enqueueIdleCheck(db, { threadId: args.threadId, runAt: sla.calendar(args.teamId).addOpeningHours(new Date(args.openedAt), hours).getTime(), raised: 0, since: args.openedAt, now: args.openedAt });
}

async function enqueueIdleCheck(db: DbOrTrx, args: { threadId: number; runAt: number; raised: number; since: number; now: number }): Promise<void> {
  await enqueueJob(db, { kind: THREAD_IDLE_JOB, payload: { threadId: args.threadId, raised: args.raised, since: args.since }, runAt: args.runAt, dedupeKey: `${THREAD_IDLE_JOB}:${args.threadId}:${args.runAt}` }, args.now);
}

/**
 * The card of the transfer at `transferredAt` is raised with the team's leads unless someone
 * accepted it since, the thread was handed on again (that transfer has its own check) or resolved.
 */
export function handoffUnacceptedJob(ctx: HubContext): JobHandler {
  const poster = slackPoster(ctx.env);
  return async (job, trx) => {
    const { threadId, transferredAt } = unacceptedPayload.parse(job.payload);
    const thread = await trx('threads').where({ id: threadId }).first('reference', 'status', 'team_id', 'agent_id');
    if (thread?.status !== 'open') return;
    const since = await trx('timeline_events').where({ thread_id: threadId }).whereIn('kind', ['handoff-accepted', 'transferred']).where('at', '>', transferredAt).first('id');
    if (since) return;
    const now = ctx.clock();
    const teamId = thread.team_id ?? ctx.sla.defaultTeam;
    const waited = duration(now - transferredAt, 'nl');
    const to = await raise(trx, ctx, poster, {
      recipients: recipientsOf(ctx.config, { notify: 'lead', teamId, ownerAgent: null }),
      teamId,
      text: (language) =>
        language === 'en'
          ? `Nobody has accepted the handoff of ${thread.reference} (transferred ${duration(now - transferredAt, 'en')} ago).`
          : `Niemand heeft de overdracht van ${thread.reference} aangenomen (overgedragen ${waited} geleden).`,
      reference: thread.reference,
      threadId,
      now,
    });
    await recordEvent(trx, { threadId, kind: 'stuck-raised', at: now, data: { reason: 'handoff-unaccepted', to } });
  };
}

/**
 * A thread with no agent action (reply, advice, transfer, accept, callback, promise, category)
 * for `idleHours` service hours is raised with its owner (the agent, or the team's channel), and
 * after another `idleHours` with the team's leads. An agent action starts the count again. Then
 * it is looked at every `idleHours`, quietly, until an agent acts or it is resolved.
 */
export function threadIdleJob(ctx: HubContext): JobHandler {
  const poster = slackPoster(ctx.env);
  return async (job, trx) => {
    const payload = idlePayload.parse(job.payload);
    const hours = ctx.config.stuck.idleHours;
    const thread = await trx('threads').where({ id: payload.threadId }).first('reference', 'status', 'team_id', 'agent_id', 'created_at', 'agent_action_at');
    if (hours === undefined || thread?.status !== 'open') return;
    const now = ctx.clock();
    const teamId = thread.team_id ?? ctx.sla.defaultTeam;
    const calendar = ctx.sla.calendar(teamId);
    const lastAction = Math.max(Number(thread.created_at), Number(thread.agent_action_at ?? 0));
    // An action since the last look starts over; without one, this job runs `idleHours` after the last raise.
    const raised = lastAction > payload.since ? 0 : payload.raised;
    const due = calendar.addOpeningHours(new Date(lastAction), hours).getTime();
    if (due > now) {
      await enqueueIdleCheck(trx, { threadId: payload.threadId, runAt: due, raised, since: lastAction, now });
      return;
    }
    if (raised < 2) {
      const recipients = raised === 0 ? recipientsOf(ctx.config, { notify: 'owner', teamId, ownerAgent: thread.agent_id }) : recipientsOf(ctx.config, { notify: 'lead', teamId, ownerAgent: null });
      const idle = (language: 'nl' | 'en') => duration(calendar.openMillisBetween(new Date(lastAction), new Date(now)), language);
      const to = await raise(trx, ctx, poster, {
        recipients,
        teamId,
        text: (language) =>
          language === 'en'
            ? `${thread.reference} has had no agent action for ${idle('en')} of service time.`
            : `Er is ${idle('nl')} servicetijd niets gedaan aan ${thread.reference}.`,
        reference: thread.reference,
        threadId: payload.threadId,
        now,
      });
      await recordEvent(trx, { threadId: payload.threadId, kind: 'stuck-raised', at: now, data: { reason: 'idle', to } });
    }
    await enqueueIdleCheck(trx, { threadId: payload.threadId, runAt: calendar.addOpeningHours(new Date(now), hours).getTime(), raised: raised + 1, since: lastAction, now });
  };
}

async function raise(
  trx: DbOrTrx,
  ctx: HubContext,
  poster: ReturnType<typeof slackPoster>,
  args: { recipients: Recipient[]; teamId: string; text: (language: 'nl' | 'en') => string; reference: string; threadId: number; now: number },
): Promise<string[]> {
  const to: string[] = [];
  for (const recipient of await presentRecipients(trx, args.recipients, { teamId: args.teamId, at: args.now, timezone: ctx.config.timezone })) {
    const channel = await postNotice(trx, ctx, poster, { recipient, text: `:hourglass: ${escapeMrkdwn(args.text(recipientLanguage(recipient)))}`, references: [args.reference], threadId: args.threadId, purpose: 'escalation', now: args.now });
    if (channel) to.push(channel);
  }
  return to;
}
