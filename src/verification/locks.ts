import type { Knex } from 'knex';
import { isPostgres } from '../core/db';
import type { CodeAddress } from './codes';

/**
 * Serialises what is counted and proven per chat session and per address, so that two hub
 * instances cannot both count 2 codes and send a fourth, or both prove an address nobody owned
 * for two customers. Always the session first, then one address: no two transactions wait on
 * each other in a circle. SQLite runs one transaction at a time anyway (the hub has one
 * connection), so there these are no-ops.
 */
export async function lockSession(trx: Knex.Transaction, sessionId: string): Promise<void> {
  if (isPostgres(trx)) await trx('chat_sessions').where({ id: sessionId }).forUpdate().first('id');
}

/** An address has no row of its own before it is proven: a transaction-scoped advisory lock on its name. */
export async function lockAddress(trx: Knex.Transaction, address: CodeAddress): Promise<void> {
  if (isPostgres(trx)) await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`verification:${address.kind}:${address.value}`]);
}
