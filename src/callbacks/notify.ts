import type { Channel, Language } from '../core/contact';
import type { DbOrTrx } from '../core/db';
import { deliver, type Senders } from '../core/outbound';
import type { ThreadRecord } from '../core/threads';
import { fullSlot, spokenSlot } from '../channels/sms/callback-offer';
import { recipientFor } from '../core/recipient';
import { render } from '../views/templates';
import type { CallbackRecord } from './booking';

export type CallbackNotice = 'confirmation' | 'reminder';

/**
 * Tells the customer about their callback by SMS and by email, at her proven addresses, from
 * `views/callback/`: the confirmation with the full date ("dinsdag 24 november om 14:30"), the
 * reminder with the day said plainly ("vandaag om 14:30"). `sms: false` leaves the SMS out (a
 * booking made by SMS was already confirmed in the reply). Returns the channels it went out on;
 * an opted-out number is skipped by the SMS sender itself, with a note on the timeline.
 */
export async function notifyCallback(
  db: DbOrTrx,
  senders: Senders,
  args: { notice: CallbackNotice; callback: CallbackRecord; thread: ThreadRecord; timezone: string; now: number; sms?: boolean; /** The customer's booking page, for the email. */ bookingLink: string },
): Promise<Channel[]> {
  const { notice, callback, thread, timezone, now } = args;
  const language: Language = thread.language === 'en' ? 'en' : 'nl';
  const when = notice === 'confirmation' ? fullSlot(callback.start, { timezone, language }) : spokenSlot(callback.start, { now, timezone, language });
  const data = { when, reference: thread.reference };
  const sent: Channel[] = [];

  // By SMS the customer can answer VERZET or AFZEGGEN; by email they get the booking page instead.
  const phone = args.sms === false ? undefined : await recipientFor(db, thread, 'phone');
  if (phone) {
    const body = render(`callback/${notice}`, { language, format: 'txt' }, { ...data, sms: true, link: null });
    if (!(await deliver(db, senders, { threadId: thread.id, channel: 'sms', to: phone, body, purpose: 'callback' }, now)).suppressed) sent.push('sms');
  }
  const email = await recipientFor(db, thread, 'email');
  if (email) {
    const subject = render(`callback/${notice}-subject`, { language, format: 'txt' }, data);
    const body = render(`callback/${notice}`, { language, format: 'txt' }, { ...data, sms: false, link: args.bookingLink });
    await deliver(db, senders, { threadId: thread.id, channel: 'email', to: email, subject, body, purpose: 'callback' }, now);
    sent.push('email');
  }
  return sent;
}
