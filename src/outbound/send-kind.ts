import type { Knex } from 'knex';
import type { DbOrTrx } from '../core/db';
import type { SentPart } from '../core/outbound';
import type { SendKind, SendRecord } from '../core/send-ledger';

/** Why a send ended unsent, for its kind's own follow-up (a callback not placed is missed). */
export interface SendEnd {
  reason: 'refused' | 'gave-up';
  error: string;
  code?: string;
}

/**
 * What one kind of send (a message, a callback's call) does around the provider call that the
 * outbound-send job makes: whether it is still wanted, the call and the look-up behind its
 * adapter, and what its result changes in the store.
 */
export interface SendKindHandler {
  readonly kind: SendKind;
  /** The longest wait between attempts: a call must go out while its slot lasts, a message can wait longer. */
  readonly maxBackoffMs: number;
  /** Why it should no longer go out (a cancelled callback, a number that opted out since); undefined when it should. */
  withdrawn(db: DbOrTrx, send: SendRecord): Promise<string | undefined>;
  /** Records what withdrawing it means, in the transaction that ends the send. */
  onWithdrawn(trx: Knex.Transaction, send: SendRecord, reason: string, now: number): Promise<void>;
  send(send: SendRecord, alreadySent: readonly SentPart[]): Promise<SentPart[]>;
  /** What the provider took of it since `since` that no other send has claimed; null when the provider cannot tell. */
  findSent(db: DbOrTrx, send: SendRecord, since: number): Promise<SentPart[] | null>;
  /** When the next attempt may run, at the earliest `earliest` (a call waits for its place under the calls per second). */
  nextAttemptAt(trx: Knex.Transaction, earliest: number): Promise<number>;
  onSent(trx: Knex.Transaction, send: SendRecord, parts: readonly SentPart[], now: number): Promise<void>;
  onEnded(trx: Knex.Transaction, send: SendRecord, end: SendEnd, now: number): Promise<void>;
  /** Work after the ending committed that must not hold its transaction (offering the customer new times). */
  afterEnded?(send: SendRecord): Promise<void>;
}

/** Every part of the message is accounted for (a long SMS is several). */
export function isWhole(parts: readonly SentPart[]): boolean {
  const total = parts[0]?.parts;
  return total !== undefined && new Set(parts.map((part) => part.part)).size === total;
}
