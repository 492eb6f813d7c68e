import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Language } from './contact';
import type { Db, DbOrTrx } from './db';
import { recipientFor } from './recipient';

/** What a chat stream shows: the customer's own messages, and what the hub and agents send. */
export const CHAT_EVENT_KINDS = ['customer', 'acknowledgement', 'reply', 'satisfaction', 'callback', 'offer', 'notice'] as const;
export type ChatEventKind = (typeof CHAT_EVENT_KINDS)[number];

export interface ChatSession {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  language: Language;
  threadId: number | null;
  openedThread: boolean;
  lastSeq: number;
}

export interface ChatEvent {
  /** Per session, in commit order: the SSE `id:` and what Last-Event-ID resumes from. */
  seq: number;
  kind: ChatEventKind;
  text: string;
  at: number;
  data?: Record<string, unknown>;
}

interface SessionRow {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  language: Language;
  thread_id: number | null;
  opened_thread: boolean | number;
  last_seq: number;
}

const SESSION_COLUMNS = ['id', 'name', 'email', 'phone', 'language', 'thread_id', 'opened_thread', 'last_seq'];

/** The token is shown once, to the customer's browser; only its hash is stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function createChatSession(
  db: Db,
  args: { name?: string; email?: string; phone?: string; language: Language; clientHash: string; now: number },
): Promise<{ session: ChatSession; token: string }> {
  const id = randomUUID();
  // 256 bits: unguessable, and the session id alone (which appears in URLs) grants nothing.
  const token = randomBytes(32).toString('base64url');
  await db('chat_sessions').insert({
    id,
    token_hash: hashToken(token),
    name: args.name ?? null,
    email: args.email ?? null,
    phone: args.phone ?? null,
    language: args.language,
    client_hash: args.clientHash,
    created_at: args.now,
  });
  return { session: toSession({ id, name: args.name ?? null, email: args.email ?? null, phone: args.phone ?? null, language: args.language, thread_id: null, opened_thread: false, last_seq: 0 }), token };
}

/** The session a token belongs to; undefined for a token that belongs to none. */
export async function chatSessionByToken(db: DbOrTrx, token: string): Promise<ChatSession | undefined> {
  const row: SessionRow | undefined = await db('chat_sessions').where({ token_hash: hashToken(token) }).first(SESSION_COLUMNS);
  return row && toSession(row);
}

export async function chatSessionById(db: DbOrTrx, id: string): Promise<ChatSession | undefined> {
  const row: SessionRow | undefined = await db('chat_sessions').where({ id }).first(SESSION_COLUMNS);
  return row && toSession(row);
}

/** The customer's newest proven chat session, where an agent can still reach her live. */
export async function customerChatSession(db: DbOrTrx, thread: { id: number; customer_id: number }): Promise<ChatSession | undefined> {
  const sessionId = await recipientFor(db, thread, 'chat');
  return sessionId === undefined ? undefined : chatSessionById(db, sessionId);
}

/**
 * The thread the session's first verified message went to. The chat shows its reference
 * (`opened_thread`): the message either opened the thread or came from its customer, whose chat
 * is hers by the channel and any address she typed by a code. (Sessions joined by a typed
 * address before proof existed keep false, and never see the reference.)
 */
export async function linkChatSession(db: DbOrTrx, args: { sessionId: string; threadId: number }): Promise<void> {
  await db('chat_sessions').where({ id: args.sessionId }).whereNull('thread_id').update({ thread_id: args.threadId, opened_thread: true });
}

/** The chat proved it is the customer of another open thread, and continues there. */
export async function continueChatOn(db: DbOrTrx, args: { sessionId: string; threadId: number }): Promise<void> {
  await db('chat_sessions').where({ id: args.sessionId }).update({ thread_id: args.threadId, opened_thread: true });
}

/**
 * Adds an event to a session's stream. The sequence number comes from the session row, which the
 * update locks until commit: two writers to one session number their events in commit order, so
 * a reader that saw event 7 has seen every event before it.
 */
export async function appendChatEvent(
  db: DbOrTrx,
  event: { sessionId: string; kind: ChatEventKind; text: string; data?: Record<string, unknown>; at: number },
): Promise<number> {
  const write = async (trx: Knex.Transaction): Promise<number> => {
    const updated = await trx('chat_sessions').where({ id: event.sessionId }).increment('last_seq', 1);
    if (updated === 0) throw new Error(`no chat session ${event.sessionId}`);
    const { last_seq: seq } = await trx('chat_sessions').where({ id: event.sessionId }).first('last_seq');
    await trx('chat_events').insert({
      session_id: event.sessionId,
      seq,
      kind: event.kind,
      body: event.text,
      data: event.data ? JSON.stringify(event.data) : null,
      at: event.at,
    });
    return Number(seq);
  };
  return 'isTransaction' in db && db.isTransaction ? write(db as Knex.Transaction) : (db as Db).transaction(write);
}

export async function chatEventsAfter(db: DbOrTrx, sessionId: string, afterSeq: number): Promise<ChatEvent[]> {
  const rows: { seq: number; kind: ChatEventKind; body: string; data: string | null; at: number }[] = await db('chat_events')
    .where({ session_id: sessionId })
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .select('seq', 'kind', 'body', 'data', 'at');
  return rows.map((row) => ({ seq: Number(row.seq), kind: row.kind, text: row.body, at: Number(row.at), ...(row.data ? { data: JSON.parse(row.data) } : {}) }));
}

/** The newest event number of each session: one query tells a poller which open streams have news. */
export async function latestChatSeqs(db: DbOrTrx, sessionIds: string[]): Promise<Map<string, number>> {
  const rows: { id: string; last_seq: number }[] = await db('chat_sessions').whereIn('id', sessionIds).select('id', 'last_seq');
  return new Map(rows.map((row) => [row.id, Number(row.last_seq)]));
}

/** For rate limits shared by every hub instance: new sessions from one client, and one session's messages. */
export async function chatSessionsStartedSince(db: DbOrTrx, clientHash: string, since: number): Promise<number> {
  const [row] = await db('chat_sessions').where({ client_hash: clientHash }).where('created_at', '>=', since).count({ n: '*' });
  return Number(row?.n ?? 0);
}

export async function chatMessagesSince(db: DbOrTrx, sessionId: string, since: number): Promise<number> {
  const [row] = await db('chat_events').where({ session_id: sessionId, kind: 'customer' }).where('at', '>=', since).count({ n: '*' });
  return Number(row?.n ?? 0);
}

function toSession(row: SessionRow): ChatSession {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    language: row.language,
    threadId: row.thread_id,
    openedThread: Boolean(row.opened_thread),
    lastSeq: Number(row.last_seq),
  };
}
