import { bookCallback } from '../../callbacks/booking';
import { rosterFor } from '../../callbacks/roster';
import type { HubContext } from '../../context';
import { appendChatEvent, type ChatSession } from '../../core/chat';
import { DomainError } from '../../core/errors';
import { toIso } from '../../core/format-time';
import { recordEvent } from '../../core/timeline';
import type { ThreadRecord } from '../../core/threads';
import { fullSlot, slotsForThread } from '../sms/callback-offer';

const WORDS = {
  nl: {
    offer: 'Wanneer mogen we u terugbellen? Kies een tijd.',
    none: 'Er is op dit moment geen tijd vrij. Een medewerker neemt contact met u op.',
    taken: 'Dat tijdstip is net vergeven. Kies een ander moment.',
    booked: (when: string) => `Uw terugbelafspraak staat: ${when}. Wij bellen u dan.`,
  },
  en: {
    offer: 'When may we call you back? Pick a time.',
    none: 'No time is free at the moment. An agent will contact you.',
    taken: 'That time has just been taken. Please pick another.',
    booked: (when: string) => `Your callback is booked: ${when}. We will call you then.`,
  },
};

/**
 * Puts up to three free callback times on the session's stream as buttons ("offer" event with
 * the slots), and notes the offer on the thread. With none free, says so instead.
 */
export async function offerSlotsInChat(ctx: HubContext, session: ChatSession, args: { note?: 'taken' } = {}): Promise<{ slots: { start: string; label: string }[] }> {
  const thread = await chatThread(ctx, session);
  const now = ctx.clock();
  const { timezone } = ctx.config;
  const words = WORDS[session.language];
  const starts = await slotsForThread(ctx, thread.reference, now);
  const slots = starts.map((start) => ({ start: toIso(start, timezone), label: fullSlot(start, { timezone, language: session.language }) }));
  const intro = args.note === 'taken' ? `${words.taken} ${words.offer}` : words.offer;
  await ctx.db.transaction(async (trx) => {
    await appendChatEvent(trx, { sessionId: session.id, kind: slots.length > 0 ? 'offer' : 'notice', text: slots.length > 0 ? intro : words.none, data: slots.length > 0 ? { slots } : undefined, at: now });
    if (slots.length > 0) await recordEvent(trx, { threadId: thread.id, kind: 'callback-offered', at: now, data: { starts, channel: 'chat' } });
  });
  return { slots };
}

/** Books the time the customer clicked; a time taken meanwhile puts fresh times on the stream instead (409). */
export async function bookFromChat(ctx: HubContext, session: ChatSession, start: number): Promise<{ start: string; end: string }> {
  const thread = await chatThread(ctx, session);
  const now = ctx.clock();
  const { timezone } = ctx.config;
  try {
    const callback = await bookCallback(ctx.db, rosterFor(ctx.config), { reference: thread.reference, start, now, via: 'chat' });
    await appendChatEvent(ctx.db, { sessionId: session.id, kind: 'callback', text: WORDS[session.language].booked(fullSlot(callback.start, { timezone, language: session.language })), at: now });
    return { start: toIso(callback.start, timezone), end: toIso(callback.end, timezone) };
  } catch (error) {
    if (error instanceof DomainError && error.code === 'conflict' && thread.status === 'open') await offerSlotsInChat(ctx, session, { note: 'taken' });
    throw error;
  }
}

async function chatThread(ctx: HubContext, session: ChatSession): Promise<ThreadRecord> {
  const thread: ThreadRecord | undefined = session.threadId === null ? undefined : await ctx.db('threads').where({ id: session.threadId }).first();
  if (!thread) throw new DomainError('conflict', 'this chat has no complaint yet: send a message first');
  return thread;
}
