import type { Knex } from 'knex';
import { z } from 'zod';
import type { HubContext } from '../context';
import { formatPromise } from '../core/format-time';
import { ESCALATE_JOB } from '../core/ingest';
import type { ThreadRecord } from '../core/threads';
import { recordEvent } from '../core/timeline';
import { enqueueJob } from '../jobs/queue';
import type { JobHandler } from '../jobs/worker';
import { slackPoster } from '../channels/slack/slack-poster';
import { rememberCard } from '../handoff/cards';
import { handoffSlackCard } from '../handoff/render-slack';
import { handoffPlainText } from '../handoff/render-text';
import { currentHandoff } from '../handoff/transfer';

const PROMISES = ['first-response', 'resolution'] as const;
type SlaPromise = (typeof PROMISES)[number];
const payloadSchema = z.object({ threadId: z.number().int(), promise: z.enum(PROMISES) });

/**
 * At the moment a thread's promise falls due (first response, then resolution), checks whether it
 * was kept. A broken one is recorded on the timeline (`sla-escalated`) and, with
 * SLACK_MANAGERS_CHANNEL set, posted there as the thread's handoff card with the broken promise as
 * its note, so a manager can act on it at once (the card's buttons work as on any handoff card).
 * Without a bot token the card goes to the outbox. A Slack failure fails the job, which retries.
 */
export function escalateJob(ctx: HubContext): JobHandler {
  const poster = slackPoster(ctx.env);
  return async (job, trx) => {
    const { threadId, promise } = payloadSchema.parse(job.payload);
    const thread: ThreadRecord | undefined = await trx('threads').where({ id: threadId }).first();
    if (!thread) throw new Error(`thread ${threadId} not found`);
    if (thread.status === 'resolved') return;
    const now = ctx.clock();
    if (promise === 'first-response') await scheduleResolutionCheck(trx, thread, now);
    if (promise === 'first-response' && thread.first_response_at !== null) return;

    const due = (promise === 'first-response' ? thread.first_response_due : thread.resolution_due) ?? now;
    const channel = ctx.env.SLACK_MANAGERS_CHANNEL;
    await recordEvent(trx, { threadId, kind: 'sla-escalated', at: now, data: { promise, due, channel: channel ?? null } });
    if (!channel) return;

    const summary = { ...(await currentHandoff({ ...ctx, db: trx }, { reference: thread.reference, now })), note: brokenPromise(promise, due, ctx.config.timezone) };
    const card = handoffSlackCard(summary, { language: 'nl' });
    const posted = await poster.post(trx, { channel, text: `SLA: ${card.text}`, blocks: card.blocks, plainText: handoffPlainText(summary, 'nl'), threadId, purpose: 'escalation' }, now);
    if (posted.via === 'slack' && posted.id) await rememberCard(trx, { threadId, channel: posted.channel, ts: posted.id, language: 'nl', at: now });
  };
}

async function scheduleResolutionCheck(trx: Knex.Transaction, thread: ThreadRecord, now: number): Promise<void> {
  if (thread.resolution_due === null) return;
  await enqueueJob(
    trx,
    { kind: ESCALATE_JOB, payload: { threadId: thread.id, promise: 'resolution' }, runAt: thread.resolution_due, dedupeKey: `${ESCALATE_JOB}:resolution:${thread.id}` },
    now,
  );
}

/** "SLA verstreken: geen eerste reactie gegeven, beloofd uiterlijk woensdag 25 november 11:00." */
function brokenPromise(promise: SlaPromise, due: number, timezone: string): string {
  const when = formatPromise(due, { timezone, language: 'nl' });
  return promise === 'first-response' ? `SLA verstreken: geen eerste reactie gegeven, beloofd uiterlijk ${when}.` : `SLA verstreken: niet opgelost, beloofd uiterlijk ${when}.`;
}
