import type { Knex } from 'knex';
import type { Db } from './db';
import { DomainError } from './errors';
import { toIso } from './format-time';
import { recordEvent } from './timeline';
import { threadByReference } from './threads';

export interface MergeRecord {
  id: number;
  fromCustomerId: number;
  intoCustomerId: number;
  movedIdentities: number;
  movedThreads: string[];
  by: string | null;
  at: string;
  undoneAt: string | null;
}

/**
 * Joins the customer of one thread into the customer of another: proven addresses (with their
 * proof: kind, by whom, when), claims and threads move; contacts stay on their threads. What
 * moved is recorded, so undo puts exactly that back.
 */
export async function mergeCustomers(
  db: Db,
  args: { fromReference: string; intoReference: string; by?: string; now: number; timezone: string },
): Promise<MergeRecord> {
  return db.transaction(async (trx) => {
    const from = (await threadByReference(trx, args.fromReference)).customer_id;
    const into = (await threadByReference(trx, args.intoReference)).customer_id;
    if (from === into) throw new DomainError('conflict', `${args.fromReference} and ${args.intoReference} already belong to one customer`);

    const identityIds: number[] = (await trx('identities').where({ customer_id: from }).select('id')).map((row) => row.id);
    const threads: { id: number; reference: string }[] = await trx('threads').where({ customer_id: from }).select('id', 'reference');
    const claimIds = await claimsToMove(trx, { from, into });
    await trx('identities').whereIn('id', identityIds).update({ customer_id: into });
    await trx('identity_claims').whereIn('id', claimIds).update({ customer_id: into });
    await trx('threads').whereIn('id', threads.map((thread) => thread.id)).update({ customer_id: into });
    await trx('customers').where({ id: from }).update({ merged_into: into });
    const [row] = await trx('customer_merges')
      .insert({
        from_customer_id: from,
        into_customer_id: into,
        moved_identity_ids: JSON.stringify(identityIds),
        moved_thread_ids: JSON.stringify(threads.map((thread) => thread.id)),
        moved_claim_ids: JSON.stringify(claimIds),
        by: args.by ?? null,
        at: args.now,
      })
      .returning('id');
    const mergeId = (row as { id: number }).id;
    await recordOnThreads(trx, { customerId: into, kind: 'customer-merged', at: args.now, data: { mergeId, fromCustomerId: from, by: args.by ?? null } });
    return mergeRecord(trx, mergeId, args.timezone);
  });
}

export async function undoMerge(db: Db, args: { mergeId: number; by?: string; now: number; timezone: string }): Promise<MergeRecord> {
  return db.transaction(async (trx) => {
    const merge = await trx('customer_merges').where({ id: args.mergeId }).first();
    if (!merge) throw new DomainError('not_found', `no merge ${args.mergeId}`);
    if (merge.undone_at !== null) throw new DomainError('conflict', `merge ${args.mergeId} was already undone`);

    // Only what the merge moved goes back; what the customer did since (a new thread, a new
    // address) stays with the surviving customer, so nothing that arrived since is lost.
    const identityIds: number[] = JSON.parse(merge.moved_identity_ids);
    const threadIds: number[] = JSON.parse(merge.moved_thread_ids);
    // Merges from before claims existed moved none.
    const claimIds: number[] = merge.moved_claim_ids === null ? [] : JSON.parse(merge.moved_claim_ids);
    const movedOnSince =
      (await trx('identities').whereIn('id', identityIds).whereNot({ customer_id: merge.into_customer_id }).first('id')) ??
      (await trx('threads').whereIn('id', threadIds).whereNot({ customer_id: merge.into_customer_id }).first('id'));
    // A later merge took this customer further; undoing this one first would split it half-way.
    if (movedOnSince) throw new DomainError('conflict', `a later merge moved this customer on; undo that merge first`);
    await trx('identities').whereIn('id', identityIds).andWhere({ customer_id: merge.into_customer_id }).update({ customer_id: merge.from_customer_id });
    await trx('threads').whereIn('id', threadIds).andWhere({ customer_id: merge.into_customer_id }).update({ customer_id: merge.from_customer_id });
    // A moved claim that an agent has since confirmed or turned down is gone, and stays gone.
    await trx('identity_claims').whereIn('id', claimIds).andWhere({ customer_id: merge.into_customer_id }).update({ customer_id: merge.from_customer_id });
    await trx('customers').where({ id: merge.from_customer_id }).update({ merged_into: null });
    await trx('customer_merges').where({ id: merge.id }).update({ undone_at: args.now });
    for (const customerId of [merge.from_customer_id, merge.into_customer_id]) {
      await recordOnThreads(trx, { customerId, kind: 'customer-merge-undone', at: args.now, data: { mergeId: merge.id, by: args.by ?? null } });
    }
    return mergeRecord(trx, merge.id, args.timezone);
  });
}

/**
 * The merged customer's claims that the surviving one lacks. One she already has (a customer
 * claims an address once) or has proven (a claim of a proven address says nothing) stays behind
 * with the merged customer, so an undo finds it there.
 */
async function claimsToMove(trx: Knex.Transaction, args: { from: number; into: number }): Promise<number[]> {
  const rows: { id: number }[] = await trx('identity_claims as claim')
    .where('claim.customer_id', args.from)
    .whereNotExists(trx('identity_claims as kept').where('kept.customer_id', args.into).where('kept.kind', trx.ref('claim.kind')).where('kept.value', trx.ref('claim.value')).select('kept.id'))
    .whereNotExists(trx('identities').where('identities.customer_id', args.into).where('identities.kind', trx.ref('claim.kind')).where('identities.value', trx.ref('claim.value')).select('identities.id'))
    .orderBy('claim.id')
    .select('claim.id');
  return rows.map((row) => row.id);
}

async function recordOnThreads(
  trx: Knex.Transaction,
  event: { customerId: number; kind: 'customer-merged' | 'customer-merge-undone'; at: number; data: Record<string, unknown> },
): Promise<void> {
  const threads: { id: number }[] = await trx('threads').where({ customer_id: event.customerId }).select('id');
  for (const thread of threads) await recordEvent(trx, { threadId: thread.id, kind: event.kind, at: event.at, data: event.data });
}

async function mergeRecord(trx: Knex.Transaction, mergeId: number, timezone: string): Promise<MergeRecord> {
  const merge = await trx('customer_merges').where({ id: mergeId }).first();
  const threadIds: number[] = JSON.parse(merge.moved_thread_ids);
  const references: { reference: string }[] = await trx('threads').whereIn('id', threadIds).orderBy('id').select('reference');
  return {
    id: merge.id,
    fromCustomerId: merge.from_customer_id,
    intoCustomerId: merge.into_customer_id,
    movedIdentities: (JSON.parse(merge.moved_identity_ids) as number[]).length,
    movedThreads: references.map((row) => row.reference),
    by: merge.by,
    at: toIso(merge.at, timezone),
    undoneAt: merge.undone_at === null ? null : toIso(merge.undone_at, timezone),
  };
}
