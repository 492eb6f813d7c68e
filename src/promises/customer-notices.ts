import type { Knex } from 'knex';
import { z } from 'zod';
import type { CallbackRecord } from '../callbacks/booking';
import { fullSlot } from '../channels/sms/callback-offer';
import type { HubContext } from '../context';
import type { Channel, Language } from '../core/contact';
import { formatPromise } from '../core/format-time';
import { deliver } from '../core/outbound';
import { ADDRESS_KIND, lastProvenChannel, recipientFor } from '../core/recipient';
import type { ThreadRecord } from '../core/threads';
import { recordEvent } from '../core/timeline';
import type { JobHandler } from '../jobs/worker';
import { render } from '../views/templates';
import { callbackPromise, promiseById, recordTold } from './records';

const latePayload = z.object({ promiseId: z.number().int() });
const cancelledPayload = z.object({ callbackId: z.number().int(), reason: z.enum(['cancelled', 'resolved']) });

/**
 * Where a message about a promise goes: every channel that showed its time (a call is answered
 * by SMS), else the channel she last used from a proven address; always to her newest proven
 * address of that kind (recipientFor), never to whoever else named her reference.
 */
async function toldAddresses(trx: Knex.Transaction, thread: ThreadRecord, told: Channel[]): Promise<{ channel: Channel; to: string }[]> {
  const wanted = told.length > 0 ? told : [(await lastProvenChannel(trx, thread.id)) ?? (thread.channel as Channel)];
  const channels = [...new Set(wanted.map((channel) => (channel === 'voice' ? 'sms' : channel)))];
  const addresses: { channel: Channel; to: string }[] = [];
  for (const channel of channels) {
    const to = await recipientFor(trx, thread, ADDRESS_KIND[channel]);
    if (to) addresses.push({ channel, to });
  }
  return addresses;
}

/** Sends one text on each channel, as one purpose; returns the channels it went out on. */
async function tell(
  trx: Knex.Transaction,
  ctx: HubContext,
  args: { thread: ThreadRecord; addresses: { channel: Channel; to: string }[]; template: string; subjectTemplate: string; data: object; purpose: 'reply' | 'callback'; now: number },
): Promise<Channel[]> {
  const language: Language = args.thread.language === 'en' ? 'en' : 'nl';
  const body = render(args.template, { language, format: 'txt' }, args.data);
  const sent: Channel[] = [];
  for (const { channel, to } of args.addresses) {
    const subject = channel === 'email' ? render(args.subjectTemplate, { language, format: 'txt' }, args.data) : undefined;
    if (!(await deliver(trx, ctx.senders, { threadId: args.thread.id, channel, to, subject, body, purpose: args.purpose }, args.now)).suppressed) sent.push(channel);
  }
  return sent;
}

/**
 * A promise the customer was told broke: she hears that it is late and its new time ("U hoort
 * uiterlijk woensdag 25 november 12:00 van ons"), where she was told the old one. The payload is
 * the new promise; kept or cancelled meanwhile, there is nothing to say. The messages commit with
 * the job, so a retried job tells once.
 */
export function promiseLateJob(ctx: HubContext): JobHandler {
  return async (job, trx) => {
    const { promiseId } = latePayload.parse(job.payload);
    const promise = await promiseById(trx, promiseId);
    // Told already (the new time reached her some other way, or this ran before): nothing to add.
    if (!promise || promise.state !== 'open' || promise.replacesId === null || promise.toldAt !== null) return;
    const broken = await promiseById(trx, promise.replacesId);
    const thread: ThreadRecord | undefined = await trx('threads').where({ id: promise.threadId }).first();
    if (!broken || !thread || thread.status !== 'open') return;
    const now = ctx.clock();
    const language: Language = thread.language === 'en' ? 'en' : 'nl';
    const when = (at: number) => formatPromise(at, { timezone: ctx.config.timezone, language });
    const sent = await tell(trx, ctx, {
      thread,
      addresses: await toldAddresses(trx, thread, broken.toldChannels),
      template: `promises/late-${promise.kind}`,
      subjectTemplate: 'promises/late-subject',
      data: { reference: thread.reference, old: when(broken.due), when: when(promise.due), text: promise.text ?? '' },
      purpose: 'reply',
      now,
    });
    await recordTold(trx, { promise, channels: sent, at: now });
    await recordEvent(trx, { threadId: thread.id, kind: 'promise-late-told', at: now, data: { promiseId, channels: sent } });
  };
}

/** A callback called off by an agent or by resolving the thread: the customer hears it is off, where she saw its time. */
export function callbackCancelledJob(ctx: HubContext): JobHandler {
  return async (job, trx) => {
    const { callbackId, reason } = cancelledPayload.parse(job.payload);
    const callback: CallbackRecord | undefined = await trx('callbacks').where({ id: callbackId }).first();
    const promise = await callbackPromise(trx, callbackId);
    if (!callback || !promise || callback.status !== 'cancelled') return;
    const thread: ThreadRecord = await trx('threads').where({ id: callback.thread_id }).first();
    const now = ctx.clock();
    const language: Language = thread.language === 'en' ? 'en' : 'nl';
    const sent = await tell(trx, ctx, {
      thread,
      addresses: await toldAddresses(trx, thread, promise.toldChannels),
      template: 'callback/cancelled',
      subjectTemplate: 'callback/cancelled-subject',
      data: { reference: thread.reference, when: fullSlot(Number(callback.start), { timezone: ctx.config.timezone, language }), resolved: reason === 'resolved' },
      purpose: 'callback',
      now,
    });
    await recordEvent(trx, { threadId: thread.id, kind: 'callback-cancel-told', at: now, data: { callbackId, reason, channels: sent } });
  };
}
