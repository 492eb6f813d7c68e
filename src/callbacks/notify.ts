import type { Channel, Language } from '../core/contact';
import type { DbOrTrx } from '../core/db';
import { deliver, type Senders } from '../core/outbound';
import type { ThreadRecord } from '../core/threads';
import { fullSlot, spokenSlot } from '../channels/sms/callback-offer';
import { ADDRESS_KIND, recipientFor } from '../core/recipient';
import { callbackPromise, promiseById, recordTold, type PromiseRecord } from '../promises/records';
import { render } from '../views/templates';
import type { CallbackRecord } from './booking';

export type CallbackNotice = 'confirmation' | 'reminder';

/** Bookings confirmed by their own answer (the SMS reply, the chat): that channel needs no second confirmation. */
const ANSWERED_ON: Partial<Record<CallbackRecord['booked_via'], Channel>> = { sms: 'sms', chat: 'chat' };

/**
 * Tells the customer about their callback at her proven addresses, from `views/callback/`: by
 * SMS and by email, the confirmation with the full date ("dinsdag 24 november om 14:30"), the
 * reminder with the day said plainly ("vandaag om 14:30"). A confirmation of a moved callback
 * says so ("niet meer ..., maar ...") and goes to every channel that showed the old time too (a
 * chat); one that replaces a callback nobody made says sorry. Returns the channels it went out
 * on, which are kept on the callback's promise; an opted-out number is skipped by the SMS sender
 * itself, with a note on the timeline.
 */
export async function notifyCallback(
  db: DbOrTrx,
  senders: Senders,
  args: { notice: CallbackNotice; callback: CallbackRecord; thread: ThreadRecord; timezone: string; now: number; /** The customer's booking page, for the email. */ bookingLink: string },
): Promise<Channel[]> {
  const { notice, callback, thread, timezone, now } = args;
  const language: Language = thread.language === 'en' ? 'en' : 'nl';
  const promise = await callbackPromise(db, callback.id);
  const earlier = notice === 'confirmation' ? await replacedCallback(db, promise) : undefined;
  const when = notice === 'confirmation' ? fullSlot(callback.start, { timezone, language }) : spokenSlot(callback.start, { now, timezone, language });
  const template = earlier ? (earlier.state === 'broken' ? 'callback/late' : 'callback/moved') : `callback/${notice}`;
  const data = { when, reference: thread.reference, old: earlier ? fullSlot(earlier.due, { timezone, language }) : '' };

  const answeredOn = notice === 'confirmation' ? ANSWERED_ON[callback.booked_via] : undefined;
  const channels = new Set<Channel>(['sms', 'email', ...(earlier?.toldChannels ?? []).map((channel) => (channel === 'voice' ? 'sms' : channel))]);
  if (answeredOn) channels.delete(answeredOn);
  const sent: Channel[] = [];
  for (const channel of channels) {
    const to = await recipientFor(db, thread, ADDRESS_KIND[channel]);
    if (!to) continue;
    // By SMS the customer can answer VERZET or AFZEGGEN; by email they get the booking page instead.
    const body = render(template, { language, format: 'txt' }, { ...data, sms: channel === 'sms', link: channel === 'email' ? args.bookingLink : null });
    const subject = channel === 'email' ? render(`${template}-subject`, { language, format: 'txt' }, data) : undefined;
    if (!(await deliver(db, senders, { threadId: thread.id, channel, to, subject, body, purpose: 'callback' }, now)).suppressed) sent.push(channel);
  }
  if (promise) await recordTold(db, { promise, channels: sent, at: now });
  return sent;
}

/** The callback promise a new booking took over from: moved by request, or broken and rebooked. */
async function replacedCallback(db: DbOrTrx, promise: PromiseRecord | undefined): Promise<PromiseRecord | undefined> {
  const earlier = promise?.replacesId ? await promiseById(db, promise.replacesId) : undefined;
  return earlier?.kind === 'callback' ? earlier : undefined;
}
