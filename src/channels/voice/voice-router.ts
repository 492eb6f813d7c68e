import { Router, type Request } from 'express';
import twilio from 'twilio';
import { z } from 'zod';
import type { HubContext } from '../../context';
import type { InboundContact, IngestResult, Language } from '../../core/contact';
import { callEvents, callerByPhone, threadOfCall, threadStatus, transferTarget, type CallThread, type ThreadStatus } from '../../core/caller';
import { nextPromiseToName } from '../../promises/lifecycle';
import { formatPromise } from '../../core/format-time';
import { isMobileNumber, normalizePhone } from '../../core/identity';
import { bookCallback } from '../../callbacks/booking';
import { rosterFor } from '../../callbacks/roster';
import { DomainError } from '../../core/errors';
import { toIso } from '../../core/format-time';
import { fullSlot, offerSlotsBySms, slotsForThread, spokenSlot } from '../sms/callback-offer';
import { findReference } from '../../core/reference';
import { recordEvent } from '../../core/timeline';
import { currentHandoff } from '../../handoff/transfer';
import { whisperText } from '../../handoff/render-whisper';
import { sendTwiml } from '../twilio/webhook';
import { ENGLISH_OPTION, PROMPTS, SPEECH, spokenReference } from './prompts';

type VoiceResponse = twilio.twiml.VoiceResponse;
type Ingest = (contact: InboundContact) => Promise<IngestResult>;

const callForm = z.object({
  CallSid: z.string().min(1),
  From: z.string().optional(),
  Digits: z.string().optional(),
  SpeechResult: z.string().optional(),
  Confidence: z.string().optional(),
});

/** State carried in the action URLs: Twilio calls each step afresh, the hub keeps no call state in memory. */
const stepQuery = z.object({
  lang: z.enum(['nl', 'en']).default('nl'),
  ref: z.string().regex(/^KL-\d{8}$/).optional(),
  attempt: z.coerce.number().int().min(1).max(2).default(1),
  /** The agent being dialled: the whisper is spoken in their language. */
  agent: z.string().max(100).optional(),
  /** The callback slots offered on this step (epoch ms, comma-separated, one per key 1-3). */
  slots: z.string().regex(/^\d{1,15}(,\d{1,15}){0,2}$/).optional(),
});

const statusForm = z.object({
  CallSid: z.string().min(1),
  CallStatus: z.string().min(1),
  CallDuration: z.string().optional(),
  From: z.string().optional(),
});

/** Twilio's placeholders for a withheld caller ID. */
const WITHHELD = new Set(['anonymous', 'restricted', 'unknown', 'private', '+266696687', '+7378742833', '+2562533']);

/** Seconds Twilio waits for a key; speech ends on silence ("auto"). */
const GATHER_TIMEOUT = 5;
const DIAL_TIMEOUT = 20;

interface Step {
  ctx: HubContext;
  ingest: Ingest;
  req: Request;
  form: z.infer<typeof callForm>;
  query: z.infer<typeof stepQuery>;
  lang: Language;
  phone: string | undefined;
}

/**
 * The phone menu. Every step answers from the database alone, in one or two short queries, so
 * it stays far inside Twilio's 15 s; the only slow thing, the transfer, is Twilio's own <Dial>.
 */
export function voiceRouter(ctx: HubContext, ingest: Ingest): Router {
  const router = Router();
  const step = (handler: (s: Step) => Promise<VoiceResponse>) => async (req: Request, res: import('express').Response) => {
    const form = callForm.parse(req.body);
    const query = stepQuery.parse(req.query);
    const from = form.From?.trim();
    const phone = from && !WITHHELD.has(from.toLowerCase()) ? normalizePhone(from) : undefined;
    sendTwiml(res, await handler({ ctx, ingest, req, form, query, lang: query.lang, phone }));
  };

  router.post('/', step(incoming));
  router.post('/describe', step(describe));
  router.post('/menu', step(menu));
  router.post('/reference', step(keyedReference));
  router.post('/dial-result', step(dialResult));
  router.post('/callback-slot', step(callbackSlot));
  router.post('/whisper', step(whisper));

  router.post('/status', async (req, res) => {
    const form = statusForm.parse(req.body);
    const thread = await threadOfCall(ctx.db, form.CallSid);
    if (!thread) {
      // A caller who hung up before saying or choosing anything left no thread to note it on.
      ctx.logger.info({ callSid: form.CallSid, status: form.CallStatus }, 'call ended without a thread');
    } else if (['completed', 'busy', 'no-answer', 'failed', 'canceled'].includes(form.CallStatus)) {
      const events = await callEvents(ctx.db, thread.threadId, form.CallSid);
      await recordEvent(ctx.db, {
        threadId: thread.threadId,
        kind: 'call-ended',
        at: ctx.clock(),
        data: {
          callSid: form.CallSid,
          status: form.CallStatus,
          durationSeconds: form.CallDuration === undefined ? null : Number(form.CallDuration),
          endedBy: endedBy(form.CallStatus, events),
        },
      });
    }
    res.status(204).end();
  });

  return router;
}

/**
 * Twilio's status callback does not say who hung up; the hub infers it from its own steps:
 * after a callback notice the hub hangs up, after a completed transfer the caller or the agent
 * did, otherwise the caller left the menu.
 */
function endedBy(status: string, events: { kind: string; data: Record<string, unknown> }[]): string {
  if (status !== 'completed') return 'caller';
  if (events.some((event) => event.kind === 'call-transferred' && event.data.result === 'completed')) return 'caller-or-agent';
  if (events.some((event) => event.kind === 'callback-requested')) return 'hub';
  return 'caller';
}

function url(s: Step, path: string, params: Record<string, string | number | undefined> = {}): string {
  const search = new URLSearchParams();
  search.set('lang', s.lang);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  return `${s.ctx.env.PUBLIC_URL}/twilio/voice${path}?${search.toString()}`;
}

function say(s: Step, target: { say: VoiceResponse['say'] }, text: string): void {
  if (text) target.say({ voice: SPEECH[s.lang].voice, language: SPEECH[s.lang].language }, text);
}

function p(s: Step) {
  return PROMPTS[s.lang];
}

/** The call itself as a contact; joins the caller's only open thread, or the thread named. */
async function ingestCall(s: Step, reference?: string): Promise<IngestResult> {
  return s.ingest({
    channel: 'voice',
    providerId: s.form.CallSid,
    from: s.phone ? { kind: 'phone', value: s.phone } : undefined,
    language: s.lang,
    body: s.lang === 'en' ? 'Phone call' : 'Telefoongesprek',
    keyedReference: reference,
    at: s.ctx.clock(),
    raw: s.req.body,
  });
}

/** POST /twilio/voice: greet, and ask either about the open thread or what the call is about. */
async function incoming(s: Step): Promise<VoiceResponse> {
  const response = new twilio.twiml.VoiceResponse();
  const caller = s.phone ? await callerByPhone(s.ctx.db, s.phone) : undefined;
  if (s.query.attempt === 1) say(s, response, caller?.name ? p(s).greetKnown({ name: caller.name }) : p(s).welcome({}));
  else say(s, response, p(s).notHeard({}));
  const open = caller?.openThreads.length === 1 ? caller.openThreads[0] : undefined;
  if (open) {
    if (s.query.attempt === 1) await ingestCall(s);
    const gather = menuGather(s, response, open.reference);
    say(s, gather, p(s).aboutOpen({ reference: spokenReference(open.reference) }));
    if (s.lang === 'nl') gather.say({ language: 'en-GB' }, ENGLISH_OPTION);
    return response;
  }
  describeGather(s, response);
  return response;
}

function describeGather(s: Step, response: VoiceResponse): void {
  const gather = response.gather({
    input: ['speech', 'dtmf'],
    numDigits: 1,
    timeout: GATHER_TIMEOUT,
    speechTimeout: 'auto',
    language: SPEECH[s.lang].language,
    action: url(s, '/describe', { attempt: s.query.attempt }),
    actionOnEmptyResult: true,
  });
  say(s, gather, p(s).describe({}));
  if (s.lang === 'nl') gather.say({ language: 'en-GB' }, ENGLISH_OPTION);
}

function menuGather(s: Step, response: VoiceResponse, reference: string | undefined, attempt = 1) {
  return response.gather({
    input: ['dtmf'],
    numDigits: 1,
    timeout: GATHER_TIMEOUT,
    action: url(s, '/menu', { ref: reference, attempt }),
    actionOnEmptyResult: true,
  });
}

/** POST /twilio/voice/describe: the caller's words become a contact; or a key was pressed instead. */
async function describe(s: Step): Promise<VoiceResponse> {
  const speech = s.form.SpeechResult?.trim();
  if (speech) {
    const at = s.ctx.clock();
    const stored = await s.ingest({
      channel: 'voice',
      providerId: `${s.form.CallSid}:speech`,
      from: s.phone ? { kind: 'phone', value: s.phone } : undefined,
      language: s.lang,
      body: speech,
      at,
      raw: s.req.body,
    });
    await ingestCall(s, stored.reference);
    const response = new twilio.twiml.VoiceResponse();
    say(s, response, p(s).recorded({ reference: spokenReference(stored.reference) }));
    say(s, menuGather(s, response, stored.reference), p(s).menu({}));
    return response;
  }
  if (s.form.Digits) return choose(s, s.form.Digits, undefined);
  return retryOrFallback(s, () => {
    const response = new twilio.twiml.VoiceResponse();
    say(s, response, p(s).notHeard({}));
    describeGather({ ...s, query: { ...s.query, attempt: 2 } }, response);
    return response;
  });
}

/** POST /twilio/voice/menu: 1 agent, 2 callback, 3 status, 4 something else, 9 English. */
async function menu(s: Step): Promise<VoiceResponse> {
  if (s.form.Digits) return choose(s, s.form.Digits, s.query.ref);
  return retryOrFallback(s, () => {
    const response = new twilio.twiml.VoiceResponse();
    say(s, response, p(s).notHeard({}));
    say(s, menuGather(s, response, s.query.ref, 2), p(s).menu({}));
    return response;
  });
}

async function choose(s: Step, digits: string, reference: string | undefined): Promise<VoiceResponse> {
  const key = digits.slice(0, 1);
  if (key === '1') return transfer(s, reference);
  if (key === '2') return callback(s, reference);
  if (key === '3') {
    if (reference) return status(s, reference);
    const response = new twilio.twiml.VoiceResponse();
    say(s, referenceGather(s, response, 1), p(s).keyReference({}));
    return response;
  }
  if (key === '4' && reference) {
    const response = new twilio.twiml.VoiceResponse();
    describeGather({ ...s, query: { ...s.query, attempt: 1 } }, response);
    return response;
  }
  if (key === '9' && s.lang !== 'en') {
    const response = new twilio.twiml.VoiceResponse();
    response.redirect({ method: 'POST' }, `${s.ctx.env.PUBLIC_URL}/twilio/voice?lang=en`);
    return response;
  }
  return retryOrFallback(s, () => {
    const response = new twilio.twiml.VoiceResponse();
    say(s, response, p(s).wrongKey({}));
    say(s, menuGather(s, response, reference, 2), p(s).menu({}));
    return response;
  });
}

/** No input or a wrong key: the question once more, then an agent rather than silence. */
async function retryOrFallback(s: Step, repeat: () => VoiceResponse): Promise<VoiceResponse> {
  if (s.query.attempt < 2) return repeat();
  return transfer(s, s.query.ref);
}

function referenceGather(s: Step, response: VoiceResponse, attempt: number) {
  return response.gather({ input: ['dtmf'], numDigits: 8, timeout: 10, action: url(s, '/reference', { attempt }), actionOnEmptyResult: true });
}

/** POST /twilio/voice/reference: eight keyed digits, check digit validated, two tries. */
async function keyedReference(s: Step): Promise<VoiceResponse> {
  const mention = findReference(s.form.Digits ?? '');
  const found = mention?.kind === 'valid' ? await threadStatus(s.ctx.db, mention.reference) : undefined;
  if (found) return status(s, found.reference);
  const response = new twilio.twiml.VoiceResponse();
  if (s.query.attempt < 2) {
    say(s, response, p(s).referenceWrong({}));
    say(s, referenceGather(s, response, 2), p(s).keyReference({}));
    return response;
  }
  say(s, response, p(s).referenceGiveUp({}));
  return appendTransfer(s, response, undefined);
}

async function status(s: Step, reference: string): Promise<VoiceResponse> {
  const found = await threadStatus(s.ctx.db, reference);
  const response = new twilio.twiml.VoiceResponse();
  const spoken = spokenReference(reference);
  if (!found) say(s, response, p(s).referenceGiveUp({}));
  else if (found.status === 'resolved') say(s, response, p(s).statusResolved({ reference: spoken }));
  else say(s, response, await statusOfOpen(s, found, spoken));
  say(s, menuGather(s, response, reference), p(s).menu({}));
  return response;
}

/** What a caller with a reference may hear about: not when she will be on the phone (a callback). */
const STATUS_PROMISES = ['first-response', 'resolution', 'agent'] as const;

/**
 * An open complaint's state and the next promise, never a time gone by (a promise that passed
 * unkept is renewed first). Nothing personal: the caller may be anyone who has the reference.
 */
async function statusOfOpen(s: Step, found: ThreadStatus, spoken: string): Promise<string> {
  const next = await nextPromiseToName(s.ctx.db, s.ctx.sla, { threadId: found.id, now: s.ctx.clock(), kinds: STATUS_PROMISES });
  if (!next) return p(s).statusAnswered({ reference: spoken });
  const due = formatPromise(next.due, { timezone: s.ctx.config.timezone, language: s.lang });
  if (next.kind === 'first-response') return p(s).statusOpen({ reference: spoken, due });
  if (next.kind === 'resolution') return p(s).statusResolution({ reference: spoken, due });
  return p(s).statusPromise({ reference: spoken, due });
}

/** The thread this call belongs to, storing the call as a contact when it is not yet. */
async function callThread(s: Step, reference: string | undefined): Promise<CallThread> {
  const known = await threadOfCall(s.ctx.db, s.form.CallSid);
  if (known) return known;
  const stored = await ingestCall(s, reference);
  return { threadId: stored.threadId, reference: stored.reference, verified: stored.verified };
}

async function transfer(s: Step, reference: string | undefined): Promise<VoiceResponse> {
  return appendTransfer(s, new twilio.twiml.VoiceResponse(), reference);
}

/** <Dial> the team's agent; the agent first hears the whisper, the caller waits at most 20 s. */
async function appendTransfer(s: Step, response: VoiceResponse, reference: string | undefined): Promise<VoiceResponse> {
  const thread = await callThread(s, reference);
  const agent = await transferTarget(s.ctx.db, s.ctx.config, { reference: thread.reference, now: s.ctx.clock() });
  if (!agent) {
    say(s, response, p(s).noAgent({}));
    return appendCallback(s, response, thread);
  }
  say(s, response, p(s).connecting({}));
  const dial = response.dial({ timeout: DIAL_TIMEOUT, action: url(s, '/dial-result', { ref: thread.reference, agent: agent.agentId }) });
  dial.number({ url: url(s, '/whisper', { ref: thread.reference, agent: agent.agentId }) }, agent.phone);
  return response;
}

/** POST /twilio/voice/dial-result: after the agent's call; no answer → the callback path, never silence. */
async function dialResult(s: Step): Promise<VoiceResponse> {
  const result = z.string().default('failed').parse((s.req.body as Record<string, unknown>).DialCallStatus);
  const thread = await callThread(s, s.query.ref);
  const agent = typeof s.req.query.agent === 'string' ? s.req.query.agent : undefined;
  await recordEvent(s.ctx.db, { threadId: thread.threadId, kind: 'call-transferred', at: s.ctx.clock(), data: { callSid: s.form.CallSid, agent, result } });
  const response = new twilio.twiml.VoiceResponse();
  if (result === 'completed' || result === 'answered') {
    response.hangup();
    return response;
  }
  say(s, response, p(s).noAgent({}));
  return appendCallback(s, response, thread);
}

async function callback(s: Step, reference: string | undefined): Promise<VoiceResponse> {
  return appendCallback(s, new twilio.twiml.VoiceResponse(), await callThread(s, reference));
}

/**
 * The callback path: a caller whose number we can call back hears up to three concrete free
 * slots and keys one. The slots ride along in the action URL (several hub processes answer one
 * call), and the booking itself decides whether a slot is still free. No free slot at all, or a
 * withheld number: the honest version below. A caller the hub cannot prove to be the thread's
 * customer (someone who keyed her reference from another number) books nothing and is offered
 * nothing, not even by SMS to her own number: she did not ask.
 */
async function appendCallback(s: Step, response: VoiceResponse, thread: CallThread): Promise<VoiceResponse> {
  // A withheld caller cannot be called back at all, and hears that instead (the withheld prompt below).
  if (!thread.verified && s.phone) return appendNotOwnNumber(s, response);
  if (s.phone) {
    const starts = await slotsForThread(s.ctx, thread.reference, s.ctx.clock());
    if (starts.length > 0) {
      appendSlotOffer(s, response, thread.reference, starts, 1);
      return response;
    }
  }
  return appendHonestCallback(s, response, thread);
}

/** Said without the customer's name or her callback's time: the caller may be anyone who knows the reference. */
function appendNotOwnNumber(s: Step, response: VoiceResponse): VoiceResponse {
  say(s, response, p(s).callbackNotOwnNumber({}));
  say(s, response, p(s).goodbye({}));
  response.hangup();
  return response;
}

function appendSlotOffer(s: Step, response: VoiceResponse, reference: string, starts: number[], attempt: number): void {
  const gather = response.gather({
    input: ['dtmf'],
    numDigits: 1,
    timeout: GATHER_TIMEOUT,
    action: url(s, '/callback-slot', { ref: reference, slots: starts.join(','), attempt }),
    actionOnEmptyResult: true,
  });
  const now = s.ctx.clock();
  const keys = starts.map((start, i) => p(s).slotKey({ key: String(i + 1), slot: spokenSlot(start, { now, timezone: s.ctx.config.timezone, language: s.lang }) }));
  say(s, gather, [p(s).slotIntro({}), ...keys].join(' '));
}

/**
 * POST /twilio/voice/callback-slot: the keyed slot is booked and confirmed with its day and time.
 * Taken meanwhile: a fresh offer, never an error. No or a wrong key: the offer once more, then the
 * honest path (and a mobile caller gets the slots by SMS, to answer with a digit).
 */
async function callbackSlot(s: Step): Promise<VoiceResponse> {
  const thread = await callThread(s, s.query.ref);
  const response = new twilio.twiml.VoiceResponse();
  // Slots are offered to the thread's own customer only; the step is checked again all the same.
  // A withheld caller cannot be called back at all, and hears that instead (the withheld prompt below).
  if (!thread.verified && s.phone) return appendNotOwnNumber(s, response);
  const { reference } = thread;
  const starts = (s.query.slots ?? '').split(',').filter(Boolean).map(Number);
  const key = s.form.Digits?.trim().slice(0, 1) ?? '';
  const start = /^[1-9]$/.test(key) ? starts[Number(key) - 1] : undefined;
  if (start === undefined || !s.phone) {
    if (s.query.attempt < 2 && starts.length > 0 && s.phone) {
      say(s, response, key ? p(s).wrongKey({}) : p(s).notHeard({}));
      appendSlotOffer(s, response, reference, starts, 2);
      return response;
    }
    const bySms = s.phone && isMobileNumber(s.phone) ? await offerBySms(s, reference) : false;
    return appendHonestCallback(s, response, thread, bySms);
  }
  try {
    const callback = await bookCallback(s.ctx.db, rosterFor(s.ctx.config), { reference, start, now: s.ctx.clock(), via: 'ivr' });
    await recordEvent(s.ctx.db, {
      threadId: thread.threadId,
      kind: 'callback-requested',
      at: s.ctx.clock(),
      data: { callSid: s.form.CallSid, phone: s.phone, via: 'voice', slot: toIso(callback.start, s.ctx.config.timezone) },
    });
    say(s, response, p(s).slotBooked({ slot: fullSlot(callback.start, { timezone: s.ctx.config.timezone, language: s.lang }) }));
    say(s, response, p(s).goodbye({}));
    response.hangup();
    return response;
  } catch (error) {
    if (!(error instanceof DomainError && error.code === 'conflict')) throw error;
  }
  say(s, response, p(s).slotTaken({}));
  return appendCallback(s, response, thread);
}

/** The slots by SMS, so the caller can still choose one later; a failed send never breaks the call. */
async function offerBySms(s: Step, reference: string): Promise<boolean> {
  try {
    return (await offerSlotsBySms(s.ctx, reference)) !== undefined;
  } catch (error) {
    s.ctx.logger.warn({ err: error, reference }, 'callback slots could not be offered by SMS');
    return false;
  }
}

/**
 * The honest version when no exact time is agreed: the request is noted on the timeline and the
 * caller hears that an agent calls back during opening hours, without a time.
 */
async function appendHonestCallback(s: Step, response: VoiceResponse, thread: CallThread, offeredBySms = false): Promise<VoiceResponse> {
  if (!s.phone) {
    say(s, response, p(s).callbackWithheld({ reference: spokenReference(thread.reference) }));
  } else {
    await recordEvent(s.ctx.db, {
      threadId: thread.threadId,
      kind: 'callback-requested',
      at: s.ctx.clock(),
      data: { callSid: s.form.CallSid, phone: s.phone, via: 'voice', slot: null },
    });
    say(s, response, p(s).callbackNoted({}));
    if (offeredBySms) say(s, response, p(s).slotsBySms({}));
  }
  say(s, response, p(s).goodbye({}));
  response.hangup();
  return response;
}

/**
 * POST /twilio/voice/whisper: played to the agent before the bridge, in the agent's language:
 * the handoff summary's whisper (who, which complaint, what was advised), the reference read digit by digit.
 */
async function whisper(s: Step): Promise<VoiceResponse> {
  const response = new twilio.twiml.VoiceResponse();
  const reference = s.query.ref;
  if (!reference) return response;
  const language = s.ctx.config.agents.find((agent) => agent.id === s.query.agent)?.language ?? 'nl';
  const summary = await currentHandoff(s.ctx, { reference, now: s.ctx.clock() });
  say({ ...s, lang: language }, response, whisperText(summary, language).replace(summary.reference, spokenReference(summary.reference)));
  return response;
}
