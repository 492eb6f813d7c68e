import { z } from 'zod';
import { enqueueJob } from '../jobs/queue';
import type { Channel } from './contact';
import type { DbOrTrx } from './db';
import type { SentPart } from './outbound';

/**
 * The ledger of sends that go to a provider over the network (`outbound_sends`). A send is
 * recorded in the transaction that decides it (so it exists exactly when that decision commits),
 * marked `sending` in a commit of its own right before each provider call, and given its result in
 * the commit after. A `sending` row without a result is a call whose outcome the hub never learnt
 * (a crash, a lost connection, a timeout): the next attempt asks the provider before it sends.
 *
 *   queued ──start──▶ sending ──accepted──▶ sent
 *     ▲                 │  └────refused / gave up──▶ failed
 *     └──not sent, retry┘         (either state) ──no longer wanted──▶ withheld
 */
export const OUTBOUND_SEND_JOB = 'outbound-send';

/**
 * A send's job fails only when the store does (the provider's failures are the send's own, and
 * schedule its next attempt). A store down for a while must not leave a send without a job, so its
 * job is tried for hours (waits doubling to 10 minutes) rather than the default 30 s.
 */
const SEND_JOB_ATTEMPTS = 20;

export type SendKind = 'message' | 'call';
export type SendState = 'queued' | 'sending' | 'sent' | 'failed' | 'withheld';
const FINAL: readonly SendState[] = ['sent', 'failed', 'withheld'];

export interface SendRecord {
  id: number;
  kind: SendKind;
  channel: Channel;
  recipient: string;
  purpose: string;
  threadId: number | null;
  /** What to send, as its kind stored it (a message's text, a call's callback). */
  content: unknown;
  messageId: string | null;
  state: SendState;
  /** Provider calls so far. */
  attempts: number;
  startedAt: number | null;
  /** Parts the provider accepted so far. */
  progress: SentPart[];
  lastError: string | null;
  dueAt: number | null;
  giveUpAt: number;
  delayedAt: number | null;
  warnedAt: number | null;
  createdAt: number;
}

const sentParts = z.array(z.object({ providerId: z.string(), part: z.number(), parts: z.number(), encoding: z.enum(['GSM-7', 'UCS-2']).optional(), segments: z.number().optional() }));

export interface NewSend {
  kind: SendKind;
  channel: Channel;
  recipient: string;
  purpose: string;
  threadId: number | null;
  content: unknown;
  messageId?: string;
  /** When the promise the send serves falls due; still unsent then, the team's leads hear of it. */
  dueAt?: number;
  giveUpAt: number;
  /** The first attempt; default at once. A call waits for its place under the provider's calls per second. */
  firstAttemptAt?: number;
  now: number;
}

/** Records a send and its first attempt's job, in the caller's transaction. */
export async function recordSend(db: DbOrTrx, send: NewSend): Promise<number> {
  const [row] = await db('outbound_sends')
    .insert({
      kind: send.kind,
      channel: send.channel,
      recipient: send.recipient,
      purpose: send.purpose,
      thread_id: send.threadId,
      content: JSON.stringify(send.content),
      message_id: send.messageId ?? null,
      state: 'queued' satisfies SendState,
      due_at: send.dueAt ?? null,
      give_up_at: send.giveUpAt,
      created_at: send.now,
    })
    .returning('id');
  const id = (row as { id: number }).id;
  await enqueueJob(db, { kind: OUTBOUND_SEND_JOB, payload: { sendId: id }, runAt: send.firstAttemptAt ?? send.now, dedupeKey: firstSendJobKey(id), maxAttempts: SEND_JOB_ATTEMPTS }, send.now);
  return id;
}

/** The job of a send's first attempt: an agent's reply is sent at once by this key. */
export function firstSendJobKey(sendId: number): string {
  return `${OUTBOUND_SEND_JOB}:${sendId}`;
}

export async function loadSend(db: DbOrTrx, id: number): Promise<SendRecord | undefined> {
  const row = await db('outbound_sends').where({ id }).first();
  if (!row) return undefined;
  const number = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return {
    id: Number(row.id),
    kind: row.kind,
    channel: row.channel,
    recipient: row.recipient,
    purpose: row.purpose,
    threadId: number(row.thread_id),
    content: JSON.parse(row.content) as unknown,
    messageId: row.message_id ?? null,
    state: row.state,
    attempts: Number(row.attempts),
    startedAt: number(row.started_at),
    progress: row.progress ? sentParts.parse(JSON.parse(row.progress)) : [],
    lastError: row.last_error ?? null,
    dueAt: number(row.due_at),
    giveUpAt: Number(row.give_up_at),
    delayedAt: number(row.delayed_at),
    warnedAt: number(row.warned_at),
    createdAt: Number(row.created_at),
  };
}

export function isFinal(send: Pick<SendRecord, 'state'>): boolean {
  return FINAL.includes(send.state);
}

/** Commits the start of a provider call (in a transaction that holds the job's claim). */
export async function markStarted(db: DbOrTrx, send: SendRecord, now: number): Promise<SendRecord> {
  await db('outbound_sends').where({ id: send.id }).update({ state: 'sending' satisfies SendState, attempts: send.attempts + 1, started_at: now });
  return { ...send, state: 'sending', attempts: send.attempts + 1, startedAt: now };
}

/** The provider accepted every part: `providerId` names the result (the first part's MessageSid, the CallSid). */
export async function markSent(db: DbOrTrx, send: SendRecord, result: { providerId: string; parts: readonly SentPart[] }, now: number): Promise<void> {
  await db('outbound_sends')
    .where({ id: send.id })
    .update({ state: 'sent' satisfies SendState, provider_id: result.providerId, progress: JSON.stringify(result.parts), finished_at: now });
}

/** Ends a send that will not go out: refused, given up, or no longer wanted (`withheld`). */
export async function markEnded(db: DbOrTrx, send: SendRecord, end: { state: 'failed' | 'withheld'; error: string; code?: string; progress?: readonly SentPart[] }, now: number): Promise<void> {
  await db('outbound_sends')
    .where({ id: send.id })
    .update({ state: end.state, last_error: end.error, error_code: end.code ?? null, progress: JSON.stringify(end.progress ?? send.progress), finished_at: now });
}

/**
 * A failed attempt to be tried again at `retryAt`. `unknown`: the provider may have acted on it
 * (a timeout), so the row stays `sending` and the next attempt asks before it sends.
 */
export async function scheduleRetry(
  db: DbOrTrx,
  send: SendRecord,
  retry: { unknown: boolean; error: string; code?: string; progress: readonly SentPart[]; retryAt: number; afterJobId: number; delayedAt: number | null; warnedAt: number | null },
  now: number,
): Promise<void> {
  await db('outbound_sends')
    .where({ id: send.id })
    .update({
      state: (retry.unknown ? 'sending' : 'queued') satisfies SendState,
      last_error: retry.error,
      error_code: retry.code ?? null,
      progress: JSON.stringify(retry.progress),
      delayed_at: retry.delayedAt,
      warned_at: retry.warnedAt,
    });
  // One job per attempt, named after the job that scheduled it: a rerun of that job's last commit cannot add a second.
  await enqueueJob(db, { kind: OUTBOUND_SEND_JOB, payload: { sendId: send.id }, runAt: retry.retryAt, dedupeKey: `${OUTBOUND_SEND_JOB}:${send.id}:after:${retry.afterJobId}`, maxAttempts: SEND_JOB_ATTEMPTS }, now);
}

/** Sends not finished yet, by channel and state, for /metrics. */
export async function pendingSends(db: DbOrTrx): Promise<{ channel: string; state: string; n: number }[]> {
  const rows: { channel: string; state: string; n: number | string }[] = await db('outbound_sends').whereIn('state', ['queued', 'sending']).groupBy('channel', 'state').select('channel', 'state').count({ n: '*' });
  return rows.map((row) => ({ channel: row.channel, state: row.state, n: Number(row.n) }));
}
