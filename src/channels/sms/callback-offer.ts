import { DateTime } from 'luxon';
import { bookCallback, cancelCallback, findSlots, type CallbackRecord } from '../../callbacks/booking';
import { rosterFor } from '../../callbacks/roster';
import type { HubContext } from '../../context';
import type { Language } from '../../core/contact';
import { isSmsOptedOut } from '../../core/delivery';
import { normalizePhone } from '../../core/identity';
import { recipientFor } from '../../core/recipient';
import { DomainError } from '../../core/errors';
import { deliver } from '../../core/outbound';
import { recordEvent } from '../../core/timeline';
import { threadByReference } from '../../core/threads';
import { render } from '../../views/templates';

/** How many slots a phone menu or an SMS offers: one key each. */
export const OFFERED_SLOTS = 3;
/** An SMS offer can be answered with a digit for this long. */
export const SMS_OFFER_VALID_MS = 24 * 60 * 60_000;

/** The first free callback slots (epoch ms) for a thread's team; [] when there are none. */
export async function slotsForThread(ctx: HubContext, reference: string, now: number): Promise<number[]> {
  const roster = rosterFor(ctx.config);
  const thread = await threadByReference(ctx.db, reference);
  if (thread.status !== 'open') return [];
  const slots = await findSlots(ctx.db, roster, { teamId: thread.team_id ?? roster.defaultTeam, now, limit: OFFERED_SLOTS, ignoreThreadId: thread.id });
  return slots.map((slot) => slot.start);
}

/**
 * A slot as said on the phone: "vandaag om 14:30", "morgen om 9:15", "donderdag 26 november om 10:00";
 * "today at 14:30", "tomorrow at 9:15", "Thursday 26 November at 10:00".
 */
export function spokenSlot(at: number, options: { now: number; timezone: string; language: Language }): string {
  const locale = options.language === 'en' ? 'en-GB' : 'nl-NL';
  const slot = DateTime.fromMillis(at, { zone: options.timezone }).setLocale(locale);
  const today = DateTime.fromMillis(options.now, { zone: options.timezone }).startOf('day');
  const days = Math.round(slot.startOf('day').diff(today, 'days').days);
  const time = slot.toFormat('H:mm');
  const nl = options.language !== 'en';
  if (days === 0) return nl ? `vandaag om ${time}` : `today at ${time}`;
  if (days === 1) return nl ? `morgen om ${time}` : `tomorrow at ${time}`;
  return `${slot.toFormat('cccc d LLLL')} ${nl ? 'om' : 'at'} ${time}`;
}

/** A slot in a text message, short: "di 24 nov 14:30", "Tue 24 Nov 14:30". */
export function textSlot(at: number, options: { timezone: string; language: Language }): string {
  const slot = DateTime.fromMillis(at, { zone: options.timezone });
  if (options.language === 'en') return slot.setLocale('en-GB').toFormat('ccc d LLL HH:mm');
  return slot.setLocale('nl-NL').toFormat('ccc d LLL HH:mm').replace(/\./g, '');
}

/** A booked callback confirmed with the exact day and time: "dinsdag 24 november om 14:30". */
export function fullSlot(at: number, options: { timezone: string; language: Language }): string {
  const slot = DateTime.fromMillis(at, { zone: options.timezone }).setLocale(options.language === 'en' ? 'en-GB' : 'nl-NL');
  return `${slot.toFormat('cccc d LLLL')} ${options.language === 'en' ? 'at' : 'om'} ${slot.toFormat('HH:mm')}`;
}

function offerText(starts: number[], options: { timezone: string; language: Language; reference: string }): string {
  const list = starts.map((start, i) => `${i + 1}) ${textSlot(start, options)}`).join(' ');
  return options.language === 'en'
    ? `When may we call you back about ${options.reference}? ${list}. Reply with the number.`
    : `Wanneer mogen we u terugbellen over ${options.reference}? Kies een tijd: ${list}. Antwoord met het cijfer.`;
}

export function confirmationText(callback: CallbackRecord, options: { timezone: string; language: Language; reference: string }): string {
  return render('callback/confirmation', { language: options.language, format: 'txt' }, { when: fullSlot(callback.start, options), reference: options.reference, sms: true, link: null });
}

function takenText(language: Language): string {
  return language === 'en' ? 'Sorry, that time has just been taken.' : 'Helaas, dat tijdstip is net vergeven.';
}

function noSlotsText(language: Language): string {
  return language === 'en'
    ? 'No callback time is free at the moment. An agent will call you back during our opening hours.'
    : 'Er is op dit moment geen tijdstip vrij. Een medewerker belt u terug tijdens onze openingstijden.';
}

/**
 * Sends the thread's customer up to three callback slots by SMS ("Kies een tijd: 1) di 24 nov
 * 14:30 2) ... Antwoord met het cijfer.") and records the offered starts as a `callback-offered`
 * event, so a digit in reply books that slot (any hub process: the offer lives in the database).
 * Nothing is sent (undefined) when no slot is free, the customer has no phone, or opted out.
 */
export async function offerSlotsBySms(ctx: HubContext, threadReference: string): Promise<{ to: string; starts: number[] } | undefined> {
  const now = ctx.clock();
  const thread = await threadByReference(ctx.db, threadReference);
  const starts = await slotsForThread(ctx, thread.reference, now);
  if (starts.length === 0) return undefined;
  const to = await recipientFor(ctx.db, thread, 'phone');
  if (!to || (await isSmsOptedOut(ctx.db, to))) return undefined;
  const language: Language = thread.language === 'en' ? 'en' : 'nl';
  const body = offerText(starts, { timezone: ctx.config.timezone, language, reference: thread.reference });
  const delivery = await ctx.db.transaction(async (trx) => {
    await recordEvent(trx, { threadId: thread.id, kind: 'callback-offered', at: now, data: { starts, channel: 'sms' } });
    return deliver(trx, ctx.senders, { threadId: thread.id, channel: 'sms', to, body, purpose: 'reply' }, now);
  });
  // Sent while the caller is still on the line, who was just told an SMS is coming.
  if (delivery.sendId !== undefined) await ctx.senders.sendNow?.([delivery.sendId]);
  return { to, starts };
}

/** The newest SMS offer still open to this phone's customer: the thread and the offered starts. */
async function openSmsOffer(ctx: HubContext, phone: string, now: number): Promise<{ threadId: number; reference: string; language: Language; starts: number[] } | undefined> {
  const identity = await ctx.db('identities').where({ kind: 'phone', value: phone }).first('customer_id');
  if (!identity) return undefined;
  const row = await ctx.db('timeline_events')
    .join('threads', 'threads.id', 'timeline_events.thread_id')
    .where({ 'threads.customer_id': identity.customer_id, 'threads.status': 'open', 'timeline_events.kind': 'callback-offered' })
    .where('timeline_events.at', '>', now - SMS_OFFER_VALID_MS)
    .orderBy([{ column: 'timeline_events.at', order: 'desc' }, { column: 'timeline_events.id', order: 'desc' }])
    .first('threads.id as thread_id', 'threads.reference', 'threads.language', 'timeline_events.data');
  if (!row) return undefined;
  const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as { starts?: unknown; channel?: unknown };
  if (data.channel !== 'sms' || !Array.isArray(data.starts)) return undefined;
  return { threadId: Number(row.thread_id), reference: row.reference, language: row.language === 'en' ? 'en' : 'nl', starts: data.starts.map(Number) };
}

/**
 * An SMS whose whole body is one digit 1-9, from a customer with an open SMS slot offer (less
 * than 24 h old) that has that many slots, books that slot. The answer is the text to send back:
 * a confirmation, or (taken meanwhile) a fresh offer; undefined when the SMS is no answer to an offer.
 */
export async function answerSlotDigit(ctx: HubContext, args: { from: string; body: string }): Promise<string | undefined> {
  const digit = /^\s*([1-9])\s*$/.exec(args.body)?.[1];
  // Only then the sender's number: parsing it costs more than the rest of this check.
  const phone = digit ? normalizePhone(args.from) : undefined;
  if (!digit || !phone) return undefined;
  const now = ctx.clock();
  const offer = await openSmsOffer(ctx, phone, now);
  const start = offer?.starts[Number(digit) - 1];
  if (!offer || start === undefined) return undefined;
  const options = { timezone: ctx.config.timezone, language: offer.language, reference: offer.reference };
  // A Twilio retry of the same digit: already booked at that time, confirm again without moving it.
  const booked = await ctx.db('callbacks').where({ thread_id: offer.threadId, status: 'booked' }).first();
  if (booked && Number(booked.start) === start) return confirmationText({ ...booked, start: Number(booked.start), end: Number(booked.end) }, options);
  try {
    const callback = await bookCallback(ctx.db, rosterFor(ctx.config), { reference: offer.reference, start, now, via: 'sms' });
    return confirmationText(callback, options);
  } catch (error) {
    if (!(error instanceof DomainError && error.code === 'conflict')) throw error;
  }
  return `${takenText(offer.language)} ${await freshOffer(ctx, offer, now)}`;
}

/** New slots for the thread, recorded as an SMS offer so that a digit in reply books one; or that none is free. */
async function freshOffer(ctx: HubContext, thread: { threadId: number; reference: string; language: Language }, now: number): Promise<string> {
  const starts = await slotsForThread(ctx, thread.reference, now);
  if (starts.length === 0) return noSlotsText(thread.language);
  await recordEvent(ctx.db, { threadId: thread.threadId, kind: 'callback-offered', at: now, data: { starts, channel: 'sms' } });
  return offerText(starts, { timezone: ctx.config.timezone, language: thread.language, reference: thread.reference });
}

/** Words a customer with a booked callback can text, in either language, as the whole message. */
const CALLBACK_WORDS: Record<string, 'move' | 'cancel'> = { VERZET: 'move', RESCHEDULE: 'move', AFZEGGEN: 'cancel', 'NO CALLBACK': 'cancel' };

/**
 * "VERZET" (or RESCHEDULE) from a customer with a booked callback answers with a fresh offer; the
 * digit they reply books it and so moves the booking. "AFZEGGEN" (or NO CALLBACK) cancels it.
 * Undefined for anything else, or when the sender has no booked callback: an ordinary message.
 * (Not CANCEL or STOP: those are opt-out words, which Twilio handles itself.)
 */
export async function answerCallbackWord(ctx: HubContext, args: { from: string; body: string }): Promise<string | undefined> {
  const word = CALLBACK_WORDS[args.body.trim().replace(/[.!]+$/, '').replace(/\s+/g, ' ').toUpperCase()];
  const phone = word ? normalizePhone(args.from) : undefined;
  if (!word || !phone) return undefined;
  const booked: { id: number; start: number; thread_id: number; reference: string; language: string } | undefined = await ctx.db('callbacks')
    .join('threads', 'threads.id', 'callbacks.thread_id')
    .join('identities', 'identities.customer_id', 'threads.customer_id')
    .where({ 'identities.kind': 'phone', 'identities.value': phone, 'threads.status': 'open', 'callbacks.status': 'booked' })
    .orderBy('callbacks.start')
    .first('callbacks.id', 'callbacks.start', 'callbacks.thread_id', 'threads.reference', 'threads.language');
  if (!booked) return undefined;
  const language: Language = booked.language === 'en' ? 'en' : 'nl';
  const now = ctx.clock();
  if (word === 'move') return freshOffer(ctx, { threadId: booked.thread_id, reference: booked.reference, language }, now);
  await cancelCallback(ctx.db, { reference: booked.reference, id: booked.id, now, timezone: ctx.config.timezone, by: 'customer' });
  const when = fullSlot(Number(booked.start), { timezone: ctx.config.timezone, language });
  return language === 'en' ? `Your callback of ${when} about ${booked.reference} is called off.` : `Uw terugbelafspraak van ${when} over ${booked.reference} is afgezegd.`;
}
