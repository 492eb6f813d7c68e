import { CHANNELS, type Channel } from '../core/contact';
import type { DbOrTrx } from '../core/db';

/**
 * A promise made to a customer, kept until it is kept, broken or cancelled (SPEC "Promises").
 * One row of `promises`; times are epoch ms.
 *
 * - `acknowledgement`: the automatic acknowledgement goes out within `acknowledgeSeconds`;
 * - `first-response`: an agent answers (a reply on any channel, or a completed callback);
 * - `resolution`: the thread is resolved;
 * - `callback`: the booked call is placed within its slot;
 * - `agent`: what an agent promised in their own words ("nieuw pakket uiterlijk vrijdag").
 *
 * A broken promise is not reopened: a new one with a new time `replaces` it, and so on, a chain
 * that ends when its newest promise is kept or cancelled. A moved callback's new promise replaces
 * the old one the same way.
 */
export const PROMISE_KINDS = ['acknowledgement', 'first-response', 'resolution', 'callback', 'agent'] as const;
export type PromiseKind = (typeof PROMISE_KINDS)[number];
export const PROMISE_STATES = ['open', 'kept', 'broken', 'cancelled'] as const;
export type PromiseState = (typeof PROMISE_STATES)[number];

export interface PromiseRecord {
  id: number;
  threadId: number;
  kind: PromiseKind;
  text: string | null;
  madeAt: number;
  due: number;
  /** An agent's promise: who made it, and owns it. */
  agentId: string | null;
  callbackId: number | null;
  state: PromiseState;
  settledAt: number | null;
  /** The agent who kept it, or why it ended: `resolved`, `moved`, `cancelled`, ... */
  settledBy: string | null;
  /** The broken or moved promise this one takes over from. */
  replacesId: number | null;
  /** When the customer was first told its time, and where she saw it: what to update when it changes. */
  toldAt: number | null;
  toldChannels: Channel[];
  /** The promise watch's next look at it; null when nothing is left to watch. */
  watchAt: number | null;
  /** Every watch step up to this instant is done. */
  watchedUntil: number | null;
}

export interface PromiseRow {
  id: number;
  thread_id: number;
  kind: PromiseKind;
  text: string | null;
  made_at: number | string;
  due: number | string;
  agent_id: string | null;
  callback_id: number | null;
  state: PromiseState;
  settled_at: number | string | null;
  settled_by: string | null;
  replaces_id: number | null;
  told_at: number | string | null;
  told_channels: string | null;
  watch_at: number | string | null;
  watched_until: number | string | null;
}

const optionalNumber = (value: number | string | null) => (value === null ? null : Number(value));

export function promiseFromRow(row: PromiseRow): PromiseRecord {
  const told: unknown = row.told_channels ? JSON.parse(row.told_channels) : [];
  return {
    id: Number(row.id),
    threadId: Number(row.thread_id),
    kind: row.kind,
    text: row.text,
    madeAt: Number(row.made_at),
    due: Number(row.due),
    agentId: row.agent_id,
    callbackId: optionalNumber(row.callback_id),
    state: row.state,
    settledAt: optionalNumber(row.settled_at),
    settledBy: row.settled_by,
    replacesId: optionalNumber(row.replaces_id),
    toldAt: optionalNumber(row.told_at),
    toldChannels: Array.isArray(told) ? told.filter((channel): channel is Channel => (CHANNELS as readonly string[]).includes(channel)) : [],
    watchAt: optionalNumber(row.watch_at),
    watchedUntil: optionalNumber(row.watched_until),
  };
}

export async function promiseById(db: DbOrTrx, id: number): Promise<PromiseRecord | undefined> {
  const row: PromiseRow | undefined = await db('promises').where({ id }).first();
  return row && promiseFromRow(row);
}

export async function callbackPromise(db: DbOrTrx, callbackId: number): Promise<PromiseRecord | undefined> {
  const row: PromiseRow | undefined = await db('promises').where({ callback_id: callbackId }).orderBy('id', 'desc').first();
  return row && promiseFromRow(row);
}

/**
 * The next time the customer may hold us to: the earliest open promise of these kinds whose time
 * has not passed. A promise past its time is about to be replaced by the watch, and a past time
 * is never named to a customer.
 */
export async function nextPromise(db: DbOrTrx, args: { threadId: number; now: number; kinds: readonly PromiseKind[] }): Promise<PromiseRecord | undefined> {
  const row: PromiseRow | undefined = await db('promises')
    .where({ thread_id: args.threadId, state: 'open' })
    .whereIn('kind', args.kinds)
    .where('due', '>', args.now)
    .orderBy([{ column: 'due' }, { column: 'id' }])
    .first();
  return row && promiseFromRow(row);
}

/** The promises a promise took over from, newest first: the chain it continues. */
export async function promiseChain(db: DbOrTrx, promise: PromiseRecord): Promise<PromiseRecord[]> {
  const chain: PromiseRecord[] = [];
  for (let id = promise.replacesId; id !== null; ) {
    const earlier = await promiseById(db, id);
    if (!earlier) break;
    chain.push(earlier);
    id = earlier.replacesId;
  }
  return chain;
}

/** Adds channels where the customer saw the promise's time; the first telling is kept as `told_at`. */
export async function recordTold(db: DbOrTrx, args: { promise: PromiseRecord; channels: Channel[]; at: number }): Promise<void> {
  const channels = [...new Set([...args.promise.toldChannels, ...args.channels])];
  if (channels.length === args.promise.toldChannels.length && args.promise.toldAt !== null) return;
  await db('promises').where({ id: args.promise.id }).update({ told_at: args.promise.toldAt ?? args.at, told_channels: JSON.stringify(channels) });
}

/** The newest promise of the chain a promise belongs to: itself, or the one that replaced it last. */
export async function latestOfChain(db: DbOrTrx, promise: PromiseRecord): Promise<PromiseRecord> {
  let latest = promise;
  for (;;) {
    const row: PromiseRow | undefined = await db('promises').where({ replaces_id: latest.id }).orderBy('id', 'desc').first();
    if (!row) return latest;
    latest = promiseFromRow(row);
  }
}
