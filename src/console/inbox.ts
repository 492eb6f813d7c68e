import type { Knex } from 'knex';
import { CHANNELS, type Channel } from '../core/contact';
import { isPostgres, type DbOrTrx } from '../core/db';
import { matchSearch } from '../core/thread-list';

export const INBOX_PAGE_SIZE = 50;

export interface InboxFilters {
  status: 'open' | 'resolved';
  team?: string;
  channel?: Channel;
  q?: string;
  page: number;
}

export type PromiseKind = 'acknowledgement' | 'first-response' | 'callback' | 'resolution';

export interface InboxRow {
  reference: string;
  customerName: string | null;
  summary: string | null;
  status: string;
  team: string | null;
  agent: string | null;
  channels: Channel[];
  /** The promise that falls due first, or null for a resolved thread. */
  next: { kind: PromiseKind; due: number } | null;
}

/** Far beyond any due time: stands for "no promise" where SQL's min/least needs a number. */
const NONE = 8_000_000_000_000_000;

/**
 * One page of the inbox, sorted by the promise that falls due first: the acknowledgement while
 * none has gone out, the first response until an agent answered, a booked callback, and the
 * resolution. The sort runs in the database over every matching thread; only the page is read.
 */
export async function inboxPage(db: DbOrTrx, filters: InboxFilters, options: { acknowledgeMs: number }): Promise<{ rows: InboxRow[]; total: number; hasNext: boolean }> {
  const filtered = (builder: Knex.QueryBuilder) => {
    builder.where('threads.status', filters.status);
    if (filters.team) builder.where('threads.team_id', filters.team);
    if (filters.channel) builder.whereExists(db('contacts').whereRaw('contacts.thread_id = threads.id').where('contacts.channel', filters.channel).select(db.raw('1')));
    if (filters.q) builder.where((inner) => matchSearch(db, inner, filters.q as string));
  };
  const [{ n: total }] = await db('threads').join('customers', 'customers.id', 'threads.customer_id').modify(filtered).count({ n: '*' });

  const open = filters.status === 'open';
  const promises = db('threads')
    .join('customers', 'customers.id', 'threads.customer_id')
    .modify(filtered)
    .select('threads.id', 'threads.reference', 'threads.summary', 'threads.status', 'threads.team_id', 'threads.agent_id', 'threads.updated_at', 'customers.name')
    .select(
      db.raw(
        `case when ? and not exists (select 1 from timeline_events e where e.thread_id = threads.id and e.kind in ('acknowledged', 'acknowledgement-not-sent', 'acknowledgement-withheld')) then threads.created_at + ? end as ack_due`,
        [open, options.acknowledgeMs],
      ),
      db.raw('case when ? and threads.first_response_at is null then threads.first_response_due end as first_response_due', [open]),
      db.raw(`(select min(c.start) from callbacks c where c.thread_id = threads.id and c.status = 'booked') as callback_due`),
      db.raw('case when ? then threads.resolution_due end as resolution_due', [open]),
    );
  const smallest = isPostgres(db) ? 'least' : 'min';
  const dueOrder = `${smallest}(${['ack_due', 'first_response_due', 'callback_due', 'resolution_due'].map((column) => `coalesce(${column}, ${NONE})`).join(', ')})`;
  const rows: PageRow[] = await db
    .select('*')
    .from(promises.as('inbox'))
    .orderByRaw(`${dueOrder} asc, updated_at desc, id desc`)
    .limit(INBOX_PAGE_SIZE + 1)
    .offset((filters.page - 1) * INBOX_PAGE_SIZE);

  const page = rows.slice(0, INBOX_PAGE_SIZE);
  const channels = await channelsOf(db, page.map((row) => row.id));
  return {
    rows: page.map((row) => ({
      reference: row.reference,
      customerName: row.name,
      summary: row.summary,
      status: row.status,
      team: row.team_id,
      agent: row.agent_id,
      channels: channels.get(row.id) ?? [],
      next: nextPromise(row),
    })),
    total: Number(total),
    hasNext: rows.length > INBOX_PAGE_SIZE,
  };
}

interface PageRow {
  id: number;
  reference: string;
  summary: string | null;
  status: string;
  team_id: string | null;
  agent_id: string | null;
  name: string | null;
  ack_due: number | null;
  first_response_due: number | null;
  callback_due: number | null;
  resolution_due: number | null;
}

function nextPromise(row: PageRow): InboxRow['next'] {
  const candidates: { kind: PromiseKind; due: number | null }[] = [
    { kind: 'acknowledgement', due: row.ack_due },
    { kind: 'first-response', due: row.first_response_due },
    { kind: 'callback', due: row.callback_due },
    { kind: 'resolution', due: row.resolution_due },
  ];
  const due = candidates.filter((candidate): candidate is { kind: PromiseKind; due: number } => candidate.due !== null).map((candidate) => ({ ...candidate, due: Number(candidate.due) }));
  return due.sort((a, b) => a.due - b.due)[0] ?? null;
}

async function channelsOf(db: DbOrTrx, threadIds: number[]): Promise<Map<number, Channel[]>> {
  if (threadIds.length === 0) return new Map();
  const rows: { thread_id: number; channel: Channel }[] = await db('contacts').whereIn('thread_id', threadIds).distinct('thread_id', 'channel');
  const byThread = new Map<number, Channel[]>();
  for (const row of rows) byThread.set(row.thread_id, [...(byThread.get(row.thread_id) ?? []), row.channel]);
  for (const [id, list] of byThread) byThread.set(id, CHANNELS.filter((channel) => list.includes(channel)));
  return byThread;
}
