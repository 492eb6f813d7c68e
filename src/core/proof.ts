import type { ClaimedIdentity } from './contact';
import type { Db, DbOrTrx } from './db';
import { DomainError } from './errors';
import { normalizeIdentity, type Identity, type IdentityKind } from './identity';
import { recordEvent } from './timeline';
import { threadByReference } from './threads';

/**
 * Proof before trust. An address is a customer's only when the hub can prove it:
 * - `channel`: the number an SMS or call came from (Twilio signs the request), the address an
 *   email came from (what we send there reaches its owner), a chat session for itself;
 * - `code`: the one-time code sent to it was typed back in the chat;
 * - `agent`: an agent confirmed it (who and when are kept).
 * Proven addresses are the rows of `identities`. Everything else is a claim (`identity_claims`):
 * kept and shown to agents, never used to join a thread and never sent to.
 */
export type ProofKind = 'channel' | 'code' | 'agent';

export interface ProvenAddress extends Identity {
  proof: ProofKind;
  by: string | null;
  at: number;
}

export interface Claim extends ClaimedIdentity {
  at: number;
}

/** The customer a proven address belongs to; undefined when nobody has proven it. */
export async function ownerOf(db: DbOrTrx, identity: Identity): Promise<number | undefined> {
  const row = await db('identities').where({ kind: identity.kind, value: identity.value }).first('customer_id');
  return row ? Number(row.customer_id) : undefined;
}

export async function isProvenOf(db: DbOrTrx, customerId: number, identity: Identity): Promise<boolean> {
  return (await ownerOf(db, identity)) === customerId;
}

/**
 * Makes an address the customer's, with its proof. Its claim goes, and the contacts that came from
 * it on the customer's threads become verified. An address already proven for another customer
 * stays there: that is a duplicate customer, which an agent merges on purpose (409 here).
 */
export async function proveAddress(
  db: DbOrTrx,
  args: { customerId: number; identity: Identity; proof: ProofKind; by?: string; threadId?: number; now: number },
): Promise<'proven' | 'already-proven'> {
  const { customerId, identity } = args;
  const owner = await ownerOf(db, identity);
  if (owner !== undefined && owner !== customerId) {
    throw new DomainError('conflict', `${identity.value} is a proven address of another customer; merge the customers instead`);
  }
  if (owner === undefined) await addProvenAddress(db, args);
  await db('identity_claims').where({ customer_id: customerId, kind: identity.kind, value: identity.value }).delete();
  await db('contacts')
    .whereIn('thread_id', db('threads').where({ customer_id: customerId }).select('id'))
    .where({ direction: 'inbound', from_kind: identity.kind, from_value: identity.value, verified: false })
    .update({ verified: true });
  return owner === undefined ? 'proven' : 'already-proven';
}

/**
 * Inserts an address nobody has proven yet, with its proof, and says so on the thread. On its
 * own only for a customer made by this very contact: nothing can have claimed it for them yet.
 */
export async function addProvenAddress(
  db: DbOrTrx,
  args: { customerId: number; identity: Identity; proof: ProofKind; by?: string; threadId?: number; now: number },
): Promise<void> {
  const { kind, value } = args.identity;
  await db('identities').insert({ customer_id: args.customerId, kind, value, proof: args.proof, proven_by: args.by ?? null, proven_at: args.now, created_at: args.now });
  if (args.threadId !== undefined) {
    await recordEvent(db, { threadId: args.threadId, kind: 'identity-proven', at: args.now, data: { kind, value, proof: args.proof, ...(args.by ? { agent: args.by } : {}) } });
  }
}

/** Keeps an address named without proof, once per customer; a proven address of the customer is no claim. */
export async function recordClaim(db: DbOrTrx, args: { customerId: number; threadId: number; claim: ClaimedIdentity; at: number }): Promise<void> {
  const { kind, value, via } = args.claim;
  if (await isProvenOf(db, args.customerId, args.claim)) return;
  const inserted = await db('identity_claims')
    .insert({ customer_id: args.customerId, kind, value, via, thread_id: args.threadId, at: args.at })
    .onConflict(['customer_id', 'kind', 'value'])
    .ignore()
    .returning('id');
  if (inserted.length > 0) await recordEvent(db, { threadId: args.threadId, kind: 'identity-claimed', at: args.at, data: { kind, value, via } });
}

/** What the hub knows of a customer's addresses: the proven ones and the claims, oldest first. */
export async function addressesOf(db: DbOrTrx, customerId: number): Promise<{ proven: ProvenAddress[]; claims: Claim[] }> {
  const proven: { kind: IdentityKind; value: string; proof: ProofKind; proven_by: string | null; proven_at: number | null; created_at: number }[] = await db('identities')
    .where({ customer_id: customerId })
    .orderBy('id')
    .select('kind', 'value', 'proof', 'proven_by', 'proven_at', 'created_at');
  // A claim the customer has since proven (merged in from another customer) is no claim any more.
  const claims: { kind: IdentityKind; value: string; via: ClaimedIdentity['via']; at: number }[] = await db('identity_claims')
    .where({ customer_id: customerId })
    .whereNotExists(db('identities').whereRaw('identities.customer_id = identity_claims.customer_id and identities.kind = identity_claims.kind and identities.value = identity_claims.value'))
    .orderBy('id')
    .select('kind', 'value', 'via', 'at');
  return {
    proven: proven.map((row) => ({ kind: row.kind, value: row.value, proof: row.proof, by: row.proven_by, at: Number(row.proven_at ?? row.created_at) })),
    claims: claims.map((row) => ({ kind: row.kind, value: row.value, via: row.via, at: Number(row.at) })),
  };
}

/** An agent vouches for an address of the thread's customer (a claim, or a number the customer gave on the phone). */
export async function confirmAddress(db: Db, args: { reference: string; identity: Identity; agent: string; now: number }): Promise<Identity> {
  const identity = normalizeOrRefuse(args.identity);
  return db.transaction(async (trx) => {
    const thread = await threadByReference(trx, args.reference);
    await proveAddress(trx, { customerId: thread.customer_id, identity, proof: 'agent', by: args.agent, threadId: thread.id, now: args.now });
    return identity;
  });
}

/** An agent turns a claim down: it is no longer shown as the customer's possible address. */
export async function rejectClaim(db: Db, args: { reference: string; identity: Identity; agent: string; now: number }): Promise<Identity> {
  const identity = normalizeOrRefuse(args.identity);
  return db.transaction(async (trx) => {
    const thread = await threadByReference(trx, args.reference);
    const removed = await trx('identity_claims').where({ customer_id: thread.customer_id, kind: identity.kind, value: identity.value }).delete();
    if (removed === 0) throw new DomainError('not_found', `${identity.value} is no claim of the customer of ${thread.reference}`);
    await recordEvent(trx, { threadId: thread.id, kind: 'identity-rejected', at: args.now, data: { kind: identity.kind, value: identity.value, agent: args.agent } });
    return identity;
  });
}

function normalizeOrRefuse(identity: Identity): Identity {
  const normalized = normalizeIdentity(identity);
  if (!normalized) throw new DomainError('invalid_request', `${identity.value} is not a valid ${identity.kind}`);
  return normalized;
}
