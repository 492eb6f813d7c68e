import type { HubContext } from '../context';
import type { AgentConfig } from '../config/hub-config';
import type { Language } from '../core/contact';
import { getDossier } from '../core/dossier';
import { DomainError } from '../core/errors';
import { recordEvent } from '../core/timeline';
import { threadByReference } from '../core/threads';
import { OutboxSlackPoster, type SlackPosted, type SlackPoster } from '../channels/slack/slack-poster';
import { rememberCard } from './cards';
import { handoffSlackCard } from './render-slack';
import { handoffPlainText } from './render-text';
import { buildHandoffSummary, type HandoffSummary } from './summary';
import { absenceSpan, currentAbsences } from '../absence/absences';
import { watchHandoffCard } from '../escalation/stuck';

export type HandoffContext = Pick<HubContext, 'db' | 'config' | 'env' | 'logger' | 'sla'>;

export interface TransferRequest {
  reference: string;
  toTeam?: string;
  toAgent?: string;
  note?: string;
  fromAgent?: string;
  now: number;
}

export interface TransferResult {
  summary: HandoffSummary;
  /** Where the card went; null when neither the agent, the team nor SLACK_HANDOFF_CHANNEL names a Slack destination. */
  card: (SlackPosted & { error?: string }) | null;
}

/** The handoff of a thread as it stands: the summary every rendering reads. */
export async function currentHandoff(ctx: Pick<HubContext, 'db' | 'config' | 'env'>, args: { reference: string; now: number }): Promise<HandoffSummary> {
  const dossier = await getDossier(ctx.db, { reference: args.reference, timezone: ctx.config.timezone, now: args.now });
  return buildHandoffSummary(dossier, { publicUrl: ctx.env.PUBLIC_URL, agents: ctx.config.agents });
}

/**
 * Hands a thread to a team or an agent: records who handed over to whom with the note, assigns
 * the thread, and posts the handoff card to the agent's Slack DM, else the team's channel, else
 * SLACK_HANDOFF_CHANNEL. A card Slack refuses lands in the outbox, so the handoff is never lost.
 *
 * Naming only an agent moves the thread to the agent's team; naming only a team leaves it
 * unassigned until someone there accepts the card. Naming neither re-announces it to its team.
 */
export async function transferThread(ctx: HandoffContext, poster: SlackPoster, request: TransferRequest): Promise<TransferResult> {
  const toAgent = request.toAgent ? agentById(ctx, request.toAgent) : null;
  if (request.toTeam && !ctx.config.teams.some((team) => team.id === request.toTeam)) {
    throw new DomainError('invalid_request', `unknown team "${request.toTeam}"`);
  }
  if (toAgent && request.toTeam && toAgent.team !== request.toTeam) {
    throw new DomainError('invalid_request', `agent "${toAgent.id}" is not in team "${request.toTeam}"`);
  }
  // An absent agent gets no new threads: hand it to the team, or to a colleague.
  const absence = toAgent ? (await currentAbsences(ctx.db, { agentId: toAgent.id, now: request.now, timezone: ctx.config.timezone })).find((candidate) => (absenceSpan(candidate, ctx.config.timezone)?.start ?? Infinity) <= request.now) : undefined;
  if (absence) throw new DomainError('conflict', `agent "${toAgent?.id}" is absent until ${absence.to}`);

  const { teamId, threadId } = await ctx.db.transaction(async (trx) => {
    const thread = await threadByReference(trx, request.reference);
    if (thread.status === 'resolved') throw new DomainError('conflict', `${thread.reference} is resolved; it cannot be transferred`);
    const team = request.toTeam ?? toAgent?.team ?? thread.team_id ?? ctx.config.defaultTeam ?? null;
    await trx('threads').where({ id: thread.id }).update({ team_id: team, agent_id: toAgent?.id ?? null, updated_at: request.now, agent_action_at: request.now });
    await recordEvent(trx, {
      threadId: thread.id,
      kind: 'transferred',
      at: request.now,
      data: { fromAgent: request.fromAgent ?? thread.agent_id ?? null, toTeam: team, toAgent: toAgent?.id ?? null, note: request.note ?? null },
    });
    return { teamId: team, threadId: thread.id };
  });

  const summary = await currentHandoff(ctx, { reference: request.reference, now: request.now });
  const destination = (toAgent?.slackUserId ?? ctx.config.teams.find((team) => team.id === teamId)?.slackChannel ?? ctx.env.SLACK_HANDOFF_CHANNEL) || null;
  if (!destination) return { summary, card: null };
  const language = toAgent?.language ?? 'nl';
  const card = await postHandoffCard(ctx, poster, { summary, channel: destination, language, threadId, now: request.now });
  if (card.via === 'slack' && card.id) await rememberCard(ctx.db, { threadId, channel: card.channel, ts: card.id, language, at: request.now });
  await watchHandoffCard(ctx.db, ctx, { threadId, teamId: teamId ?? ctx.sla.defaultTeam, now: request.now });
  return { summary, card };
}

async function postHandoffCard(
  ctx: HandoffContext,
  poster: SlackPoster,
  args: { summary: HandoffSummary; channel: string; language: Language; threadId: number; now: number },
): Promise<SlackPosted & { error?: string }> {
  const { text, blocks } = handoffSlackCard(args.summary, { language: args.language });
  const message = { channel: args.channel, text, blocks, plainText: handoffPlainText(args.summary, args.language), threadId: args.threadId, purpose: 'handoff' as const };
  try {
    return await poster.post(ctx.db, message, args.now);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    ctx.logger.warn({ reference: args.summary.reference, channel: args.channel, reason }, 'Slack refused the handoff card; recorded in the outbox');
    return { ...(await new OutboxSlackPoster().post(ctx.db, message, args.now)), error: reason };
  }
}

function agentById(ctx: HandoffContext, id: string): AgentConfig {
  const agent = ctx.config.agents.find((candidate) => candidate.id === id);
  if (!agent) throw new DomainError('invalid_request', `unknown agent "${id}"`);
  return agent;
}

export type AcceptResult = { accepted: true } | { accepted: false; heldBy: string };

/**
 * An agent takes a handed-over thread (the card's accept button). The first click wins: a thread
 * already held by another agent stays theirs, and the caller says so to the one who was late.
 */
export async function acceptHandoff(ctx: Pick<HubContext, 'db'>, args: { reference: string; agent: AgentConfig; now: number }): Promise<AcceptResult> {
  return ctx.db.transaction(async (trx) => {
    const thread = await threadByReference(trx, args.reference);
    if (thread.status === 'resolved') throw new DomainError('conflict', `${thread.reference} is already resolved`);
    const updated = await trx('threads')
      .where({ id: thread.id })
      .andWhere((query) => query.whereNull('agent_id').orWhere('agent_id', args.agent.id))
      .update({ agent_id: args.agent.id, team_id: args.agent.team, updated_at: args.now, agent_action_at: args.now });
    if (updated === 0) return { accepted: false, heldBy: thread.agent_id ?? '' };
    await recordEvent(trx, { threadId: thread.id, kind: 'handoff-accepted', at: args.now, data: { agent: args.agent.id } });
    return { accepted: true };
  });
}
