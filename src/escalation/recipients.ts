import type { HubEnv } from '../config/env';
import type { AgentConfig, HubConfig } from '../config/hub-config';
import type { BusinessCalendar } from '../core/calendar';
import type { Language } from '../core/contact';
import type { DbOrTrx } from '../core/db';
import type { SlaClock } from '../core/sla';
import { absentAt } from '../absence/absences';
import type { Audience } from '../promises/steps';

/**
 * Someone an escalation step tells: an agent (a direct message), a team (its channel), or the
 * managers (SLACK_MANAGERS_CHANNEL). `key` names them in job payloads and dedupe keys.
 */
export type Recipient = { kind: 'agent'; agent: AgentConfig; key: string } | { kind: 'team'; teamId: string; key: string } | { kind: 'managers'; teamId: string; key: string };

/**
 * Who an audience is for a promise: `owner` the agent who owns it, or the team while nobody does;
 * `lead` each lead of the team (the team's channel when it has none); `managers` the managers.
 */
export function recipientsOf(config: HubConfig, args: { notify: Audience; teamId: string; ownerAgent: string | null }): Recipient[] {
  const team: Recipient = { kind: 'team', teamId: args.teamId, key: `team:${args.teamId}` };
  const agent = (candidate: AgentConfig): Recipient => ({ kind: 'agent', agent: candidate, key: `agent:${candidate.id}` });
  if (args.notify === 'managers') return [{ kind: 'managers', teamId: args.teamId, key: 'managers' }];
  if (args.notify === 'owner') {
    const owner = args.ownerAgent ? config.agents.find((candidate) => candidate.id === args.ownerAgent) : undefined;
    return [owner ? agent(owner) : team];
  }
  const leads = config.agents.filter((candidate) => candidate.team === args.teamId && candidate.role === 'lead');
  return leads.length > 0 ? leads.map(agent) : [team];
}

export function recipientByKey(config: HubConfig, key: string, teamId: string): Recipient | undefined {
  if (key === 'managers') return { kind: 'managers', teamId, key };
  const [kind, id] = key.split(':');
  if (kind === 'team' && id) return { kind: 'team', teamId: id, key };
  const agent = config.agents.find((candidate) => candidate.id === id);
  return kind === 'agent' && agent ? { kind: 'agent', agent, key } : undefined;
}

/** When they read Slack: an agent's own hours (or the team's), else the team's. */
export function recipientCalendar(sla: SlaClock, recipient: Recipient): BusinessCalendar {
  if (recipient.kind === 'agent') return sla.agentCalendar(recipient.agent.id) ?? sla.calendar(recipient.agent.team);
  return sla.calendar(recipient.teamId);
}

/** Where a message for them goes: a direct message, else the team's channel, else the handoff channel; undefined when Slack has nowhere. */
export function recipientChannel(config: HubConfig, env: HubEnv, recipient: Recipient): string | undefined {
  if (recipient.kind === 'managers') return env.SLACK_MANAGERS_CHANNEL;
  const teamId = recipient.kind === 'agent' ? recipient.agent.team : recipient.teamId;
  const teamChannel = config.teams.find((team) => team.id === teamId)?.slackChannel;
  return (recipient.kind === 'agent' ? recipient.agent.slackUserId : undefined) ?? teamChannel ?? env.SLACK_HANDOFF_CHANNEL;
}

/** A direct message speaks the agent's language; a channel stays Dutch, like the handoff cards. */
export function recipientLanguage(recipient: Recipient): Language {
  return recipient.kind === 'agent' && recipient.agent.slackUserId ? recipient.agent.language : 'nl';
}

/**
 * The recipients who are not away at `at`; when that leaves nobody, the team's channel, so what
 * someone must know never waits in an absent lead's direct messages.
 */
export async function presentRecipients(db: DbOrTrx, recipients: Recipient[], args: { teamId: string; at: number; timezone: string }): Promise<Recipient[]> {
  const agents = recipients.flatMap((recipient) => (recipient.kind === 'agent' ? [recipient.agent.id] : []));
  if (agents.length === 0) return recipients;
  const absent = await absentAt(db, { at: args.at, timezone: args.timezone, agentIds: agents });
  const present = recipients.filter((recipient) => recipient.kind !== 'agent' || !absent.has(recipient.agent.id));
  return present.length > 0 ? present : [{ kind: 'team', teamId: args.teamId, key: `team:${args.teamId}` }];
}
