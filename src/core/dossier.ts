import type { DbOrTrx } from './db';
import { toIso } from './format-time';
import { addressesOf, type ProofKind } from './proof';
import { threadByReference } from './threads';
import { promiseViews, type PromiseView } from '../promises/view';

export interface Dossier {
  reference: string;
  status: string;
  language: string;
  team: string | null;
  agent: string | null;
  linkedReference: string | null;
  /** `phones` and `emails`: proven addresses only; `identities`: every proven address with its proof; `claims`: the rest. */
  customer: {
    id: number;
    name: string | null;
    phones: string[];
    emails: string[];
    identities: { kind: string; value: string; proof: ProofKind; by: string | null; at: string }[];
    claims: { kind: string; value: string; via: string; at: string }[];
  };
  issue: { category: string | null; summary: string | null };
  /** `delivery`: what the provider last reported for an outbound message; absent before any report, and on inbound contacts. */
  /** `verified`: the hub has proof it came from the thread's customer (outbound: always); `from`: the address it came from. */
  /** `automatic`: why no person wrote it (auto-reply, read-receipt, mailing-list, …; see src/channels/email/auto-mail.ts), absent when one did. */
  contacts: { channel: string; direction: string; at: string; body: string; verified: boolean; from: string | null; automatic?: string; delivery?: { status: string; errorCode: string | null } }[];
  advice: { at: string; agent: string; text: string }[];
  /** `actualStart` and `outcome`: when the call was placed and how it ended (punctuality), null until then. */
  callbacks: { start: string; end: string; status: string; agent: string; actualStart: string | null; outcome: string | null }[];
  timeline: { kind: string; at: string; data: unknown }[];
  sla: { firstResponseDue: string | null; resolutionDue: string | null; breached: boolean };
  /** Every promise made to the customer, by due time (see src/promises/). */
  promises: PromiseView[];
}

/** Everything known about a thread, across channels, oldest first. */
export async function getDossier(db: DbOrTrx, options: { reference: string; timezone: string; now: number }): Promise<Dossier> {
  const thread = await threadByReference(db, options.reference);
  const iso = (at: number) => toIso(at, options.timezone);
  // One query after another, not Promise.all: inside a transaction (a job building a handoff card)
  // they share one connection, and PostgreSQL's client takes one query at a time.
  const customer = await db('customers').where({ id: thread.customer_id }).first('id', 'name');
  const addresses = await addressesOf(db, thread.customer_id);
  const contacts = await db('contacts')
    .where({ thread_id: thread.id })
    .orderBy([{ column: 'at' }, { column: 'id' }])
    .select('channel', 'direction', 'at', 'body', 'verified', 'from_value', 'automatic', 'delivery_status', 'delivery_error_code');
  const advice = await db('advice').where({ thread_id: thread.id }).orderBy([{ column: 'at' }, { column: 'id' }]).select('agent', 'text', 'at');
  const timeline = await db('timeline_events').where({ thread_id: thread.id }).orderBy([{ column: 'at' }, { column: 'id' }]).select('kind', 'data', 'at');
  const linked = thread.linked_thread_id ? await db('threads').where({ id: thread.linked_thread_id }).first('reference') : undefined;
  const callbacks = await db('callbacks')
    .where({ thread_id: thread.id })
    .orderBy([{ column: 'start' }, { column: 'id' }])
    .select('start', 'end', 'status', 'agent_id', 'actual_start', 'outcome');
  const promises = await promiseViews(db, { thread, timezone: options.timezone });
  const valuesOf = (kind: string) => addresses.proven.filter((identity) => identity.kind === kind).map((identity) => identity.value);

  return {
    reference: thread.reference,
    status: thread.status,
    language: thread.language,
    team: thread.team_id,
    agent: thread.agent_id,
    linkedReference: linked?.reference ?? null,
    customer: {
      id: customer.id,
      name: customer.name,
      phones: valuesOf('phone'),
      emails: valuesOf('email'),
      identities: addresses.proven.map((address) => ({ kind: address.kind, value: address.value, proof: address.proof, by: address.by, at: iso(address.at) })),
      claims: addresses.claims.map((claim) => ({ kind: claim.kind, value: claim.value, via: claim.via, at: iso(claim.at) })),
    },
    issue: { category: thread.category, summary: thread.summary },
    contacts: contacts.map((contact) => ({
      channel: contact.channel,
      direction: contact.direction,
      at: iso(contact.at),
      body: contact.body,
      verified: Boolean(contact.verified),
      from: contact.from_value ?? null,
      ...(contact.automatic ? { automatic: contact.automatic } : {}),
      ...(contact.delivery_status ? { delivery: { status: contact.delivery_status, errorCode: contact.delivery_error_code ?? null } } : {}),
    })),
    advice: advice.map((entry) => ({ at: iso(entry.at), agent: entry.agent, text: entry.text })),
    callbacks: callbacks.map((callback) => ({
      start: iso(Number(callback.start)),
      end: iso(Number(callback.end)),
      status: callback.status,
      agent: callback.agent_id,
      actualStart: callback.actual_start === null ? null : iso(Number(callback.actual_start)),
      outcome: callback.outcome ?? null,
    })),
    timeline: timeline.map((event) => ({ kind: event.kind, at: iso(event.at), data: event.data ? JSON.parse(event.data) : null })),
    sla: {
      firstResponseDue: thread.first_response_due ? iso(thread.first_response_due) : null,
      resolutionDue: thread.resolution_due ? iso(thread.resolution_due) : null,
      breached: isBreached(thread.first_response_due, thread.first_response_at, options.now) || isBreached(thread.resolution_due, thread.resolved_at, options.now),
    },
    promises,
  };
}

/** Late when it happened after the due time, or has not happened and the due time has passed. */
function isBreached(due: number | null, doneAt: number | null, now: number): boolean {
  return due !== null && (doneAt ?? now) > due;
}
