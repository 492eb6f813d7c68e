import type { DbOrTrx } from './db';
import { DomainError } from './errors';
import { parseReference } from './reference';

export interface ThreadRecord {
  id: number;
  reference: string;
  customer_id: number;
  status: 'open' | 'resolved';
  category: string | null;
  /** normal | high: with the category and the team, it decides the SLA times. */
  priority: 'normal' | 'high';
  summary: string | null;
  language: 'nl' | 'en';
  channel: string;
  team_id: string | null;
  agent_id: string | null;
  linked_thread_id: number | null;
  created_at: number;
  updated_at: number;
  first_response_due: number | null;
  resolution_due: number | null;
  first_response_at: number | null;
  resolved_at: number | null;
  /** The last reply, advice, transfer, acceptance, promise or category by an agent (for stuck work). */
  agent_action_at: number | null;
}

/** The thread a reference names; a malformed reference or wrong check digit is a not-found, never a near match. */
export async function threadByReference(db: DbOrTrx, reference: string): Promise<ThreadRecord> {
  const normalized = parseReference(reference);
  const thread: ThreadRecord | undefined = normalized ? await db('threads').where({ reference: normalized }).first() : undefined;
  if (!thread) throw new DomainError('not_found', `no thread with reference ${reference}`);
  return thread;
}
