import type { Knex } from 'knex';
import { z } from 'zod';
import type { HubContext } from '../context';
import { recordEvent } from '../core/timeline';
import { slackPoster, type SlackPoster } from '../channels/slack/slack-poster';
import { handoffSlackCard, type SlackBlock } from '../handoff/render-slack';
import { handoffPlainText } from '../handoff/render-text';
import { currentHandoff } from '../handoff/transfer';
import { enqueueJobs } from '../jobs/queue';
import type { JobHandler } from '../jobs/worker';
import { promiseOwner } from '../promises/owner';
import { latestOfChain, promiseById, type PromiseRecord } from '../promises/records';
import type { WatchStep } from '../promises/steps';
import { escalationLine, mrkdwnToPlain } from './messages';
import { presentRecipients, recipientByKey, recipientCalendar, recipientLanguage, recipientsOf } from './recipients';
import { postNotice } from './slack-notice';

/** Tells one recipient about one escalation step of one promise. */
export const ESCALATION_NOTICE_JOB = 'promise-escalation';

const payloadSchema = z.object({ promiseId: z.number().int(), step: z.number().int(), at: z.string(), notify: z.enum(['owner', 'lead', 'managers']), to: z.string() });

/**
 * An escalation step has come: one notice per recipient, each delivered in the recipient's own
 * service hours. A step at 02:00, or at 13:00 for an agent who works mornings, goes out at their
 * next opening. The key (promise, step, recipient) makes each notice once.
 */
export async function enqueueEscalationNotices(
  trx: Knex.Transaction,
  ctx: HubContext,
  args: { promise: PromiseRecord; step: WatchStep & { kind: 'escalation' }; teamId: string; now: number },
): Promise<void> {
  const { promise, step, now } = args;
  const thread = await trx('threads').where({ id: promise.threadId }).first('agent_id');
  const callback = promise.callbackId === null ? undefined : await trx('callbacks').where({ id: promise.callbackId }).first('agent_id');
  const owner = promiseOwner(promise, { team: args.teamId, agent: thread?.agent_id ?? null }, callback?.agent_id ?? null);
  const recipients = await presentRecipients(trx, recipientsOf(ctx.config, { notify: step.notify, teamId: args.teamId, ownerAgent: owner.agent ?? null }), { teamId: args.teamId, at: Math.max(step.at, now), timezone: ctx.config.timezone });
  const payload = { promiseId: promise.id, step: step.index, at: ctx.config.escalation[step.index]?.at ?? '', notify: step.notify };
  await enqueueJobs(
    trx,
    recipients.map((recipient) => ({
      kind: ESCALATION_NOTICE_JOB,
      payload: { ...payload, to: recipient.key },
      runAt: recipientCalendar(ctx.sla, recipient).nextOpening(new Date(Math.max(step.at, now))).getTime(),
      dedupeKey: `${ESCALATION_NOTICE_JOB}:${promise.id}:${step.index}:${recipient.key}`,
    })),
    now,
  );
}

/**
 * Delivers one notice, unless the promise's chain was kept or cancelled (or the thread resolved)
 * in the meantime: by then there is nothing to warn about. The owner and the leads get one line
 * and a link to the dossier; the managers the handoff card with that line on top and no action
 * buttons (informed, not asked to act). Without a bot token it goes to the outbox; without a
 * Slack destination it is only on the timeline. A Slack failure fails the job, which retries.
 */
export function escalationNoticeJob(ctx: HubContext): JobHandler {
  const poster = slackPoster(ctx.env);
  return async (job, trx) => {
    const notice = payloadSchema.parse(job.payload);
    const promise = await promiseById(trx, notice.promiseId);
    if (!promise) return;
    const thread = await trx('threads').join('customers', 'customers.id', 'threads.customer_id').where('threads.id', promise.threadId).first('threads.reference', 'threads.status', 'threads.team_id', 'customers.name');
    const latest = await latestOfChain(trx, promise);
    if (thread?.status !== 'open' || latest.state === 'kept' || latest.state === 'cancelled') return;
    const recipient = recipientByKey(ctx.config, notice.to, thread.team_id ?? ctx.sla.defaultTeam);
    if (!recipient) return;
    const now = ctx.clock();
    const language = recipientLanguage(recipient);
    const serviceLeft = ctx.sla.calendar(thread.team_id ?? ctx.sla.defaultTeam).openMillisBetween(new Date(now), new Date(promise.due));
    const line = escalationLine({ promise, latest, reference: thread.reference, customer: thread.name, language, timezone: ctx.config.timezone, now, serviceLeft });
    const channel =
      recipient.kind === 'managers'
        ? await postManagersCard(trx, ctx, poster, { line, reference: thread.reference, threadId: promise.threadId, now })
        : await postNotice(trx, ctx, poster, { recipient, text: `:warning: ${line}`, references: [thread.reference], threadId: promise.threadId, purpose: 'escalation', now });
    await recordEvent(trx, { threadId: promise.threadId, kind: 'promise-escalated', at: now, data: { promiseId: promise.id, kind: promise.kind, at: notice.at, notify: notice.notify, to: channel ?? null } });
  };
}

/** The managers are informed, not asked to act: the handoff card without its buttons, the promise's line on top. */
async function postManagersCard(trx: Knex.Transaction, ctx: HubContext, poster: SlackPoster, args: { line: string; reference: string; threadId: number; now: number }): Promise<string | null> {
  const channel = ctx.env.SLACK_MANAGERS_CHANNEL;
  if (!channel) return null;
  const summary = await currentHandoff({ ...ctx, db: trx }, { reference: args.reference, now: args.now });
  const card = handoffSlackCard(summary, { language: 'nl', withActions: false });
  const blocks: SlackBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: `:warning: ${args.line}` } }, ...card.blocks];
  await poster.post(trx, { channel, text: args.line, blocks, plainText: `${mrkdwnToPlain(args.line)}\n\n${handoffPlainText(summary, 'nl')}`, threadId: args.threadId, purpose: 'escalation' }, args.now);
  return channel;
}
