import type { AgentConfig, TeamConfig } from '../config/hub-config';
import type { Language } from '../core/contact';
import type { Dossier } from '../core/dossier';
import type { PromiseKind } from '../promises/records';

/**
 * What a transfer carries to the next agent, built from one thread's dossier. Every rendering
 * (Slack card, spoken whisper, plain text) reads this and nothing else, so they never disagree.
 */
export interface HandoffSummary {
  reference: string;
  status: string;
  /** The customer's language (nl, en): the language the next agent should answer in. */
  language: Language;
  /**
   * The customer's full name as they gave it, or null. We store no gender, so "mevrouw Jansen" or
   * "Ms Jansen" cannot be derived: the renderings address the customer by their full name.
   */
  name: string | null;
  /**
   * The customer's addresses as the next agent must weigh them: `proven` ones are hers (the hub
   * writes only to these); `claims` were only named (her reference sent from another number, a
   * number in a mail's text, an address typed in a chat) and are not hers until an agent confirms
   * them. `via` says how a claim was named (see ClaimVia). Chat sessions are left out: a session
   * id tells an agent nothing.
   */
  addresses: { proven: { kind: string; value: string }[]; claims: { kind: string; value: string; via: string }[] };
  /**
   * The latest inbound contact when the hub has no proof it came from the customer, else null:
   * whoever is on the line may only know her reference. `from` is null for a withheld number.
   */
  unverified: { channel: string; from: string | null; at: string } | null;
  issue: { category: string | null; summary: string | null };
  /** Every piece of advice given, oldest first; `agentName` resolved from the hub configuration. */
  priorAdvice: { at: string; agent: string; agentName: string; text: string }[];
  /** Each channel the customer used, with its first and last contact (ISO 8601), in order of first use. */
  channels: { channel: string; first: string; last: string; contacts: number }[];
  /** What the hub promised the customer and must still keep. */
  promises: {
    /** Open promises the customer can hold us to, by due time (the automatic acknowledgement left out). */
    open: { kind: PromiseKind; text: string | null; due: string; agent: string | null }[];
    /** How many promises on this thread were broken: the customer has waited before. */
    broken: number;
    /** The open callback booking's slot, when there is one. */
    callback: { start: string; end: string } | null;
  };
  /** The previous agent's note on the latest transfer. */
  note: string | null;
  /** The latest transfer: who handed over to whom and when. */
  transfer: { at: string; fromAgent: string | null; toTeam: string | null; toAgent: string | null } | null;
  team: string | null;
  agent: string | null;
  /** The console page with the full dossier. */
  dossierUrl: string;
}

export interface TransferData {
  fromAgent: string | null;
  toTeam: string | null;
  toAgent: string | null;
  note: string | null;
}

export function buildHandoffSummary(
  dossier: Dossier,
  options: { publicUrl: string; agents: readonly AgentConfig[]; teams?: readonly TeamConfig[] },
): HandoffSummary {
  const agentNames = new Map(options.agents.map((agent) => [agent.id, agent.name]));
  const lastTransfer = [...dossier.timeline].reverse().find((event) => event.kind === 'transferred');
  const transfer = lastTransfer ? readTransfer(lastTransfer.data) : null;
  // Only a booked callback is still a promise; cancelled, done and missed ones are history.
  const callback = dossier.callbacks.find((booking) => booking.status === 'booked') ?? null;

  return {
    reference: dossier.reference,
    status: dossier.status,
    language: dossier.language === 'en' ? 'en' : 'nl',
    name: dossier.customer.name?.trim() || null,
    addresses: {
      proven: dossier.customer.identities.filter(isAddress).map(({ kind, value }) => ({ kind, value })),
      claims: dossier.customer.claims.filter(isAddress).map(({ kind, value, via }) => ({ kind, value, via })),
    },
    unverified: unverifiedLatest(dossier.contacts),
    issue: {
      category: dossier.issue.category,
      summary: dossier.issue.summary ?? dossier.contacts.find((contact) => contact.direction === 'inbound')?.body ?? null,
    },
    priorAdvice: dossier.advice.map((entry) => ({ at: entry.at, agent: entry.agent, agentName: agentNames.get(entry.agent) ?? entry.agent, text: entry.text })),
    channels: channelsUsed(dossier.contacts),
    promises: {
      open: dossier.promises
        .filter((promise) => promise.state === 'open' && promise.kind !== 'acknowledgement')
        .map((promise) => ({ kind: promise.kind, text: promise.text ?? null, due: promise.due, agent: promise.owner.agent ?? null })),
      broken: dossier.promises.filter((promise) => promise.state === 'broken').length,
      callback: callback ? { start: callback.start, end: callback.end } : null,
    },
    note: transfer?.note ?? null,
    transfer: lastTransfer && transfer ? { at: lastTransfer.at, fromAgent: transfer.fromAgent, toTeam: transfer.toTeam, toAgent: transfer.toAgent } : null,
    team: dossier.team,
    agent: dossier.agent,
    dossierUrl: `${options.publicUrl.replace(/\/$/, '')}/console/threads/${encodeURIComponent(dossier.reference)}`,
  };
}

/** A phone number or an email address: what an agent can read, call or write to. */
function isAddress(identity: { kind: string }): boolean {
  return identity.kind === 'phone' || identity.kind === 'email';
}

/** The newest inbound contact, when it is not verified. Contacts arrive oldest first. */
function unverifiedLatest(contacts: Dossier['contacts']): HandoffSummary['unverified'] {
  const latest = [...contacts].reverse().find((contact) => contact.direction === 'inbound');
  return latest && !latest.verified ? { channel: latest.channel, from: latest.from, at: latest.at } : null;
}

/** Only inbound contacts count: the customer used the channel, not the hub. Contacts arrive oldest first. */
function channelsUsed(contacts: Dossier['contacts']): HandoffSummary['channels'] {
  const byChannel = new Map<string, { channel: string; first: string; last: string; contacts: number }>();
  for (const contact of contacts) {
    if (contact.direction !== 'inbound') continue;
    const seen = byChannel.get(contact.channel);
    if (seen) {
      seen.last = contact.at;
      seen.contacts += 1;
    } else {
      byChannel.set(contact.channel, { channel: contact.channel, first: contact.at, last: contact.at, contacts: 1 });
    }
  }
  return [...byChannel.values()];
}

/** Timeline data is stored JSON: read it defensively, field by field. */
function readTransfer(data: unknown): TransferData {
  const record = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
  const text = (key: string) => (typeof record[key] === 'string' && record[key] !== '' ? (record[key] as string) : null);
  return { fromAgent: text('fromAgent'), toTeam: text('toTeam'), toAgent: text('toAgent'), note: text('note') };
}
