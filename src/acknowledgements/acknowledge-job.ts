import type { Knex } from 'knex';
import { z } from 'zod';
import type { OfferLinks } from '../callbacks/offer-link';
import type { HubConfig, Priority } from '../config/hub-config';
import type { Channel, Language } from '../core/contact';
import { formatPromise } from '../core/format-time';
import { isMobileNumber } from '../core/identity';
import { ADDRESS_KIND, recipientFor } from '../core/recipient';
import { deliver, type Senders, type ThreadMessage } from '../core/outbound';
import { recordEvent } from '../core/timeline';
import type { JobHandler } from '../jobs/worker';
import type { SlaClock } from '../core/sla';
import { promiseToName, settleAcknowledgement } from '../promises/lifecycle';
import { recordTold } from '../promises/records';
import { render } from '../views/templates';

const payloadSchema = z.object({ threadId: z.number().int() });

interface AcknowledgementThread {
  id: number;
  reference: string;
  channel: Channel;
  language: Language;
  team_id: string;
  category: string | null;
  priority: Priority;
  first_response_due: number;
  created_at: number;
  customer_id: number;
  name: string | null;
}

/**
 * Acknowledges a new thread on the channel it came in on, and by email when the customer has a
 * proven address: reference, what happens next, and the promised time as a date and time.
 * Runs as a job so a crash between ingest and sending loses nothing; the messages are written
 * in the job's transaction, so a retried job never sends twice.
 */
export function acknowledgeJob(deps: { config: HubConfig; sla: SlaClock; senders: Senders; offerLinks: OfferLinks; clock: () => number }): JobHandler {
  return async (job, trx) => {
    const { threadId } = payloadSchema.parse(job.payload);
    const thread: AcknowledgementThread | undefined = await trx('threads')
      .join('customers', 'customers.id', 'threads.customer_id')
      .where('threads.id', threadId)
      .first('threads.id', 'threads.reference', 'threads.channel', 'threads.language', 'threads.team_id', 'threads.category', 'threads.priority', 'threads.first_response_due', 'threads.created_at', 'threads.customer_id', 'customers.name');
    if (!thread) throw new Error(`thread ${threadId} not found`);

    const now = deps.clock();
    // The time it names is the first response's as it stands, renewed first if it passed while the
    // acknowledgement waited (a hub that was down); answered already, the resolution's.
    const named = (await promiseToName(trx, deps.sla, { thread, kind: 'first-response', now })) ?? (await promiseToName(trx, deps.sla, { thread, kind: 'resolution', now }));
    const messages = await acknowledgementMessages(trx, deps.config, { ...thread, first_response_due: named?.due ?? thread.first_response_due }, deps.offerLinks.linkFor(thread.id, now));
    const sent: ThreadMessage[] = [];
    for (const message of messages) {
      // A provider that fails is tried on; past this the team's leads hear of it.
      const dueAt = Number(thread.created_at) + deps.config.sla.acknowledgeSeconds * 1000;
      if (!(await deliver(trx, deps.senders, { ...message, dueAt }, now)).suppressed) sent.push(message);
    }
    if (named && sent.length > 0) await recordTold(trx, { promise: named, channels: sent.map((message) => message.channel), at: now });
    await settleAcknowledgement(trx, { threadId, sent: sent.length > 0, now });
    // Say so when nobody could be reached (a landline caller, an opted-out number): the agent
    // then knows the customer has no reference in hand yet.
    await recordEvent(trx, {
      threadId,
      kind: sent.length > 0 ? 'acknowledged' : 'acknowledgement-not-sent',
      at: now,
      data: { channels: sent.map((message) => message.channel), to: sent.map((message) => message.to) },
    });
  };
}

/** `callbackLink`: the signed page where the customer picks a callback time (in the email only). */
async function acknowledgementMessages(trx: Knex.Transaction, config: HubConfig, thread: AcknowledgementThread, callbackLink: string): Promise<ThreadMessage[]> {
  const language = thread.language;
  const data = {
    name: thread.name ?? '',
    reference: thread.reference,
    due: formatPromise(thread.first_response_due, { timezone: config.timezone, language }),
    team: config.teams.find((team) => team.id === thread.team_id)?.name ?? '',
  };
  // Only proven addresses: a chat that typed someone's email address is acknowledged in the chat alone.
  const email = await recipientFor(trx, thread, 'email');
  const origin = thread.channel === 'email' ? undefined : await recipientFor(trx, thread, ADDRESS_KIND[thread.channel]);

  const messages: ThreadMessage[] = [];
  const short = (channel: Channel, to: string): ThreadMessage => ({
    threadId: thread.id,
    channel,
    to,
    body: render('acknowledgement/short', { language, format: 'txt' }, data),
    purpose: 'acknowledgement',
  });
  if (origin && (thread.channel === 'sms' || thread.channel === 'chat')) messages.push(short(thread.channel, origin));
  // A call is acknowledged by SMS, which only reaches a mobile number.
  if (origin && thread.channel === 'voice' && isMobileNumber(origin)) messages.push(short('sms', origin));
  if (email) {
    messages.push({
      threadId: thread.id,
      channel: 'email',
      to: email,
      subject: render('acknowledgement/email-subject', { language, format: 'txt' }, data),
      body: render('acknowledgement/email', { language, format: 'txt' }, { ...data, callbackLink }),
      html: render('acknowledgement/email', { language, format: 'html' }, { ...data, callbackLink }),
      purpose: 'acknowledgement',
    });
  }
  return messages;
}
