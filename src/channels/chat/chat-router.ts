import { randomUUID } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { HubContext } from '../../context';
import { appendChatEvent, chatEventsAfter, chatMessagesSince, chatSessionByToken, chatSessionsStartedSince, createChatSession, linkChatSession, type ChatEvent, type ChatSession } from '../../core/chat';
import type { ClaimedIdentity, InboundContact, IngestResult } from '../../core/contact';
import { normalizeEmail, normalizePhone } from '../../core/identity';
import { rateSatisfaction } from '../../core/thread-actions';
import { clientKey } from '../../http/client-address';
import { HttpError } from '../../http/errors';
import { requestCode } from '../../verification/chat-verification';
import { bookFromChat, offerSlotsInChat } from './callback-offer';
import type { ChatStreams } from './chat-streams';
import { chatVerificationRouter, verificationFields } from './verification-routes';

/** A chat message is a message, not a document. */
export const CHAT_TEXT_LIMIT = 2_000;
/** Limits shared by every hub instance (counted in the store), per minute. */
export const CHAT_LIMITS = { sessionsPerClient: 10, messagesPerSession: 20 };
const MINUTE = 60_000;
/** Keeps proxies and load balancers from closing a quiet stream. */
const HEARTBEAT_MS = 25_000;

const optionalText = (max: number) => z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? undefined : value), z.string().trim().max(max).optional());
const sessionBody = z.strictObject({
  name: optionalText(100),
  email: optionalText(254).refine((value) => value === undefined || normalizeEmail(value) !== undefined, 'not an email address'),
  phone: optionalText(40).refine((value) => value === undefined || normalizePhone(value) !== undefined, 'not a phone number'),
  language: z.enum(['nl', 'en']).default('nl'),
});
const messageBody = z.strictObject({
  text: z.string().trim().min(1, 'empty message').max(CHAT_TEXT_LIMIT, `a message has at most ${CHAT_TEXT_LIMIT} characters`),
  /** The browser's own id for the message: a retried POST is stored once. */
  clientMessageId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/).optional(),
});
const bookingBody = z.strictObject({ start: z.iso.datetime({ offset: true }) });
const satisfactionBody = z.strictObject({ score: z.number().int().min(1).max(5) });
const lastEventId = z.coerce.number().int().min(0).catch(0);

export type ChatRequest = Request<{ id: string }> & { chatSession?: ChatSession };

/**
 * The web chat API (SPEC "Web chat"): sessions, messages, the event stream, and the customer's
 * answers to callback offers and the satisfaction question. Callable from the company's own
 * site (the widget), so answers allow any origin; nothing here uses cookies, the bearer token is
 * the authority and it is scoped to one session.
 */
export function chatApiRouter(ctx: HubContext, streams: ChatStreams, ingest: (contact: InboundContact) => Promise<IngestResult>): Router {
  const router = Router();
  router.use((req, res, next) => {
    res.set({ 'access-control-allow-origin': '*', 'access-control-allow-headers': 'authorization, content-type, last-event-id', 'access-control-allow-methods': 'GET, POST', 'access-control-max-age': '600' });
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  });
  router.use(express.json({ limit: '16kb' }));

  router.post('/', async (req, res) => {
    const body = sessionBody.parse(req.body ?? {});
    // The real client behind a reverse proxy (TRUST_PROXY), else every customer would share the proxy's limit.
    const clientHash = clientKey(req, 'chat');
    const now = ctx.clock();
    if ((await chatSessionsStartedSince(ctx.db, clientHash, now - MINUTE)) >= CHAT_LIMITS.sessionsPerClient) throw tooMany(res, 'too many new chats from this address; try again in a minute');
    const { session, token } = await createChatSession(ctx.db, { ...body, email: body.email && normalizeEmail(body.email), phone: body.phone && normalizePhone(body.phone), clientHash, now });
    // A typed address is the customer's only once she types back the code sent to it.
    res.status(201).json({ sessionId: session.id, token, ...verificationFields(await requestCode(ctx, session)) });
  });

  const authorised = sessionAuth(ctx);
  router.use(chatVerificationRouter(ctx, authorised));

  router.post('/:id/messages', authorised, async (req: ChatRequest, res) => {
    const session = req.chatSession as ChatSession;
    const body = messageBody.parse(req.body);
    const now = ctx.clock();
    if ((await chatMessagesSince(ctx.db, session.id, now - MINUTE)) >= CHAT_LIMITS.messagesPerSession) throw tooMany(res, 'you are sending messages very fast; wait a moment and try again');
    const result = await ingest({
      channel: 'chat',
      providerId: `${session.id}:${body.clientMessageId ?? randomUUID()}`,
      from: { kind: 'chat', value: session.id },
      claimedIdentities: typedIdentities(session),
      conversationThreadId: session.threadId ?? undefined,
      name: session.name ?? undefined,
      language: session.language,
      body: body.text,
      at: now,
    });
    // A session is tied to a thread only by a verified message: a stranger's reference reaches her
    // thread, but never lets this chat book, move or read anything on it.
    const first = session.threadId === null && result.verified;
    if (first) await linkChatSession(ctx.db, { sessionId: session.id, threadId: result.threadId });
    const seq = result.outcome === 'duplicate' ? null : await appendChatEvent(ctx.db, { sessionId: session.id, kind: 'customer', text: body.text, at: now });
    // The reference is shown only to a chat tied to its thread (see linkChatSession): a typed
    // address proves nothing until its code comes back, so a chat never learns someone else's number.
    const shown = first || session.openedThread;
    res.status(result.outcome === 'duplicate' ? 200 : 201).json({ seq, reference: shown ? result.reference : null, joinedExisting: result.outcome === 'joined' && !session.openedThread });
  });

  router.get('/:id/events', authorised, async (req: ChatRequest, res) => {
    const session = req.chatSession as ChatSession;
    const place = streams.admit(session.id, clientKey(req, 'chat-stream'));
    if (place.outcome === 'refused') {
      throw tooMany(res, place.limit === 'session' ? 'this chat already has the most open streams; close another tab first' : 'too many open chats from this address; close some first');
    }
    // Released however the response ends, also when the replay below fails.
    res.on('close', place.release);
    const resumeFrom = lastEventId.parse(req.get('last-event-id') ?? req.query.lastEventId ?? 0);
    res.status(200).set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    const write = (event: ChatEvent) => res.write(`id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`);
    const stream = { sessionId: session.id, lastSeq: resumeFrom, send: write };
    for (const event of await chatEventsAfter(ctx.db, session.id, resumeFrom)) {
      write(event);
      stream.lastSeq = event.seq;
    }
    const close = streams.open(stream);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    // The response closes when the browser goes away (tab closed, network lost, EventSource.close()).
    res.on('close', () => {
      clearInterval(heartbeat);
      close();
    });
  });

  router.post('/:id/callback-offer', authorised, async (req: ChatRequest, res) => {
    res.status(201).json(await offerSlotsInChat(ctx, req.chatSession as ChatSession));
  });

  router.post('/:id/callbacks', authorised, async (req: ChatRequest, res) => {
    const { start } = bookingBody.parse(req.body);
    res.status(201).json({ callback: await bookFromChat(ctx, req.chatSession as ChatSession, Date.parse(start)) });
  });

  router.post('/:id/satisfaction', authorised, async (req: ChatRequest, res) => {
    const session = req.chatSession as ChatSession;
    const { score } = satisfactionBody.parse(req.body);
    if (session.threadId === null) throw new HttpError(409, 'conflict', 'this chat has no complaint to rate');
    const now = ctx.clock();
    await ctx.db.transaction(async (trx) => {
      await rateSatisfaction(trx, { threadId: session.threadId as number, score, channel: 'chat', now });
      await appendChatEvent(trx, { sessionId: session.id, kind: 'notice', text: session.language === 'en' ? 'Thank you for your answer.' : 'Bedankt voor uw antwoord.', data: { score }, at: now });
    });
    res.status(201).json({ score });
  });

  return router;
}

/**
 * The bearer token names its session: a token that belongs to no session is 401; a valid token
 * used on another session's id is 404, so ids cannot be probed with one's own token. The event
 * stream also takes `?token=` (EventSource cannot send headers).
 */
function sessionAuth(ctx: HubContext) {
  return async (req: ChatRequest, _res: Response, next: NextFunction) => {
    const header = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const token = header ?? (req.method === 'GET' && typeof req.query.token === 'string' ? req.query.token : undefined);
    if (!token) return next(new HttpError(401, 'unauthorized', 'a chat session token is required (Authorization: Bearer <token>)'));
    const session = await chatSessionByToken(ctx.db, token);
    if (!session) return next(new HttpError(401, 'unauthorized', 'this chat session token is not valid'));
    if (session.id !== req.params.id) return next(new HttpError(404, 'not_found', `no chat session ${req.params.id}`));
    req.chatSession = session;
    next();
  };
}

/** What the chat form asked for: claims until the customer types back the code sent there. */
function typedIdentities(session: ChatSession): ClaimedIdentity[] {
  return [
    ...(session.email ? [{ kind: 'email' as const, value: session.email, via: 'chat-form' as const }] : []),
    ...(session.phone ? [{ kind: 'phone' as const, value: session.phone, via: 'chat-form' as const }] : []),
  ];
}

function tooMany(res: Response, message: string): HttpError {
  res.set('retry-after', '60');
  return new HttpError(429, 'rate_limited', message);
}
