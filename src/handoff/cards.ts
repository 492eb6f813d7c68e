import type { HubContext } from '../context';
import type { Language } from '../core/contact';
import type { DbOrTrx } from '../core/db';
import { threadByReference } from '../core/threads';
import { eventData } from '../core/timeline';
import type { SlackPoster } from '../channels/slack/slack-poster';
import { handoffSlackCard } from './render-slack';
import { currentHandoff, type HandoffContext } from './transfer';

/** A handoff card as Slack holds it: where it was posted, and in which language it speaks. */
export async function rememberCard(db: DbOrTrx, card: { threadId: number; channel: string; ts: string; language: Language; at: number }): Promise<void> {
  await db('slack_cards')
    .insert({ thread_id: card.threadId, channel: card.channel, ts: card.ts, language: card.language, posted_at: card.at })
    .onConflict(['channel', 'ts'])
    .ignore();
}

/**
 * Redraws every handoff card of a thread from its dossier as it stands now: new advice, a booked
 * callback, who accepted it, or that it was resolved (then without buttons). Everyone who sees a
 * card sees the same thread. A card Slack refuses to update (deleted, channel archived) is logged
 * and skipped; the rest are still updated. Returns how many cards were updated.
 */
export async function refreshHandoffCards(
  ctx: HandoffContext,
  poster: SlackPoster,
  args: { reference: string; now: number; /** A card clicked in Slack: remembered first, should it predate this record. */ clicked?: { channel: string; ts: string; language: Language } },
): Promise<number> {
  const thread = await threadByReference(ctx.db, args.reference);
  if (args.clicked) await rememberCard(ctx.db, { threadId: thread.id, ...args.clicked, at: args.now });
  const cards: { channel: string; ts: string; language: Language }[] = await ctx.db('slack_cards').where({ thread_id: thread.id }).orderBy('id').select('channel', 'ts', 'language');
  if (cards.length === 0) return 0;
  const summary = await currentHandoff(ctx, args);
  const nameOf = (agentId: string) => ctx.config.agents.find((agent) => agent.id === agentId)?.name ?? agentId;
  // Accepted means someone clicked accept since the last transfer; being assigned by a transfer is not accepting.
  const lastHandoffStep: { kind: string; data: string | null } | undefined = await ctx.db('timeline_events')
    .where({ thread_id: thread.id })
    .whereIn('kind', ['transferred', 'handoff-accepted'])
    .orderBy('id', 'desc')
    .first('kind', 'data');
  const acceptedBy = lastHandoffStep?.kind === 'handoff-accepted' ? nameOf(String(eventData(lastHandoffStep.data).agent)) : undefined;
  const state = thread.status === 'resolved' ? { resolvedBy: nameOf(thread.agent_id ?? '?') } : { acceptedBy };
  let updated = 0;
  for (const card of cards) {
    try {
      await poster.update(card, handoffSlackCard(summary, { language: card.language, ...state }));
      updated++;
    } catch (error) {
      ctx.logger.warn({ err: error, reference: thread.reference, channel: card.channel }, 'a handoff card could not be updated');
    }
  }
  return updated;
}


/** After an HTTP response has gone: the refresh runs on its own, and a failure is logged, never thrown. */
export function refreshHandoffCardsInBackground(ctx: HandoffContext & Pick<HubContext, 'background'>, poster: SlackPoster, reference: string, now: number): void {
  ctx.background.track(
    refreshHandoffCards(ctx, poster, { reference, now }).then(
      () => undefined,
      (error: unknown) => ctx.logger.warn({ err: error, reference }, 'handoff cards not refreshed'),
    ),
  );
}
