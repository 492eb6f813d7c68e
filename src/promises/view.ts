import type { DbOrTrx } from '../core/db';
import { toIso } from '../core/format-time';
import { promiseOwner, type PromiseOwner } from './owner';
import { promiseFromRow, type PromiseKind, type PromiseRow, type PromiseState } from './records';

/** A promise as the dossier shows it (SPEC "Promises"): `text` only for an agent's own, `keptAt` only once kept. */
export interface PromiseView {
  id: number;
  kind: PromiseKind;
  text?: string;
  due: string;
  owner: PromiseOwner;
  state: PromiseState;
  keptAt?: string;
}

/** Every promise of a thread, by due time, with its owner. */
export async function promiseViews(db: DbOrTrx, args: { thread: { id: number; team_id: string | null; agent_id: string | null }; timezone: string }): Promise<PromiseView[]> {
  const rows: (PromiseRow & { callback_agent: string | null })[] = await db('promises')
    .leftJoin('callbacks', 'callbacks.id', 'promises.callback_id')
    .where('promises.thread_id', args.thread.id)
    .orderBy([{ column: 'promises.due' }, { column: 'promises.id' }])
    .select('promises.*', 'callbacks.agent_id as callback_agent');
  const thread = { team: args.thread.team_id, agent: args.thread.agent_id };
  return rows.map((row) => {
    const promise = promiseFromRow(row);
    return {
      id: promise.id,
      kind: promise.kind,
      ...(promise.text !== null ? { text: promise.text } : {}),
      due: toIso(promise.due, args.timezone),
      owner: promiseOwner(promise, thread, row.callback_agent),
      state: promise.state,
      ...(promise.state === 'kept' && promise.settledAt !== null ? { keptAt: toIso(promise.settledAt, args.timezone) } : {}),
    };
  });
}
