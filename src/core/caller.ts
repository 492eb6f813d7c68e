import type { HubConfig } from '../config/hub-config';
import type { Language } from './contact';
import type { DbOrTrx } from './db';
import { parseReference } from './reference';
import { eventData } from './timeline';
import { absentAt } from '../absence/absences';

export interface KnownCaller {
  customerId: number;
  name: string | null;
  language: Language;
  openThreads: { reference: string; summary: string | null }[];
}

/** Who is calling, by an E.164 number: the customer it belongs to and their open threads. */
export async function callerByPhone(db: DbOrTrx, phone: string): Promise<KnownCaller | undefined> {
  const identity = await db('identities').where({ kind: 'phone', value: phone }).first('customer_id');
  if (!identity) return undefined;
  const customer = await db('customers').where({ id: identity.customer_id }).first('id', 'name', 'language');
  const openThreads = await db('threads').where({ customer_id: identity.customer_id, status: 'open' }).orderBy('updated_at', 'desc').select('reference', 'summary');
  return { customerId: customer.id, name: customer.name ?? null, language: customer.language === 'en' ? 'en' : 'nl', openThreads };
}

export interface ThreadStatus {
  id: number;
  reference: string;
  status: 'open' | 'resolved';
  teamId: string | null;
  resolvedAt: number | null;
}

/** A thread's status by reference, for a caller who keyed it in; undefined when there is none. */
export async function threadStatus(db: DbOrTrx, reference: string): Promise<ThreadStatus | undefined> {
  const normalized = parseReference(reference);
  if (!normalized) return undefined;
  const row = await db('threads').where({ reference: normalized }).first('id', 'reference', 'status', 'team_id', 'resolved_at');
  if (!row) return undefined;
  return { id: Number(row.id), reference: row.reference, status: row.status, teamId: row.team_id ?? null, resolvedAt: row.resolved_at ?? null };
}

/** A call's thread, and whether the hub has proof the caller is that thread's customer (see proof.ts). */
export interface CallThread {
  threadId: number;
  reference: string;
  verified: boolean;
}

/** The thread a call's contacts went to: the call itself (CallSid) or the caller's words (CallSid:speech). */
export async function threadOfCall(db: DbOrTrx, callSid: string): Promise<CallThread | undefined> {
  const row = await db('contacts')
    .join('threads', 'threads.id', 'contacts.thread_id')
    .where('contacts.channel', 'voice')
    .whereIn('contacts.provider_id', [callSid, `${callSid}:speech`])
    .orderBy('contacts.id')
    .first('threads.id as thread_id', 'threads.reference', 'contacts.verified');
  return row ? { threadId: row.thread_id, reference: row.reference, verified: Boolean(row.verified) } : undefined;
}

/** Timeline events of one call on a thread (events carry the CallSid in their data), oldest first. */
export async function callEvents(db: DbOrTrx, threadId: number, callSid: string): Promise<{ kind: string; data: Record<string, unknown> }[]> {
  const rows: { kind: string; data: string | null }[] = await db('timeline_events')
    .where({ thread_id: threadId })
    .whereIn('kind', ['callback-requested', 'call-transferred'])
    .orderBy('id')
    .select('kind', 'data');
  return rows
    .map((row) => ({ kind: row.kind, data: eventData(row.data) }))
    .filter((event) => event.data.callSid === callSid);
}

/**
 * Who takes a transferred call: the thread's agent when they have a phone, else the team's
 * lead, else any agent of the team with a phone; never one who is away.
 */
export async function transferTarget(
  db: DbOrTrx,
  config: HubConfig,
  args: { reference: string; now: number },
): Promise<{ agentId: string; name: string; phone: string } | undefined> {
  const thread = await db('threads').where({ reference: args.reference }).first('team_id', 'agent_id');
  const teamId = thread?.team_id ?? config.defaultTeam ?? config.teams[0]?.id;
  const team = config.agents.filter((agent) => agent.phone && agent.team === teamId);
  const absent = await absentAt(db, { at: args.now, timezone: config.timezone, agentIds: team.map((agent) => agent.id) });
  const withPhone = team.filter((agent) => !absent.has(agent.id));
  const chosen =
    withPhone.find((agent) => agent.id === thread?.agent_id) ?? withPhone.find((agent) => agent.role === 'lead') ?? withPhone[0];
  return chosen?.phone ? { agentId: chosen.id, name: chosen.name, phone: chosen.phone } : undefined;
}
