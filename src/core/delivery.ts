import type { Db, DbOrTrx } from './db';
import type { SentPart } from './outbound';
import { recordEvent } from './timeline';

/** The hub's own closed set of delivery states; provider words map onto it at the channel edge. */
export const DELIVERY_STATUSES = ['queued', 'sent', 'delivered', 'failed', 'undelivered'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Callbacks can arrive out of order ("delivered" before "sent"): a state never moves back. */
const RANK: Record<DeliveryStatus, number> = { queued: 0, sent: 1, delivered: 2, failed: 2, undelivered: 2 };

export interface SmsPart extends SentPart {
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
}

/** The parts an SMS provider took, each with the encoding and segment count it reports. */
export function smsPartsOf(parts: readonly SentPart[]): SmsPart[] {
  return parts.map((part) => {
    if (!part.encoding || part.segments === undefined) throw new Error(`SMS part ${part.providerId} came back without its encoding and segment count`);
    return { ...part, encoding: part.encoding, segments: part.segments };
  });
}

/** The provider messages that carry one outbound contact (written in the sender's transaction). */
export async function recordSmsParts(
  db: DbOrTrx,
  args: { threadId: number | null; to: string; contactProviderId: string; parts: SmsPart[]; at: number },
): Promise<void> {
  for (const part of args.parts) {
    await db('sms_parts').insert({
      provider_id: part.providerId,
      contact_provider_id: args.contactProviderId,
      thread_id: args.threadId,
      recipient: args.to,
      part: part.part,
      parts: part.parts,
      encoding: part.encoding,
      segments: part.segments,
      status: 'queued',
      error_code: null,
      at: args.at,
      updated_at: args.at,
    });
  }
}

export type DeliveryUpdate = { outcome: 'updated'; contactProviderId: string; status: DeliveryStatus } | { outcome: 'unknown' };

/**
 * A provider's status callback for one message (MessageSid). The outbound contact takes the
 * state of its parts: a failed or undelivered part wins, otherwise the least advanced part.
 * Example: parts delivered + sent → contact "sent"; parts delivered + undelivered (30003) →
 * contact "undelivered" with error 30003, and a delivery-failed event on the thread.
 */
export async function recordDeliveryStatus(
  db: DbOrTrx,
  args: { providerId: string; status: DeliveryStatus; errorCode?: string; at: number },
): Promise<DeliveryUpdate> {
  return db.transaction(async (trx) => {
    const part: { contact_provider_id: string; status: DeliveryStatus; thread_id: number | null } | undefined = await trx('sms_parts')
      .where({ provider_id: args.providerId })
      .first('contact_provider_id', 'status', 'thread_id');
    const contactProviderId = part?.contact_provider_id ?? args.providerId;
    if (part && (RANK[args.status] > RANK[part.status] || (args.errorCode && RANK[args.status] === RANK[part.status]))) {
      await trx('sms_parts')
        .where({ provider_id: args.providerId })
        .update({ status: args.status, error_code: args.errorCode ?? null, updated_at: args.at });
    }
    const parts: { status: DeliveryStatus; error_code: string | null }[] = await trx('sms_parts')
      .where({ contact_provider_id: contactProviderId })
      .select('status', 'error_code');
    const failed = parts.find((row) => row.status === 'failed' || row.status === 'undelivered');
    const least = [...parts].sort((a, b) => RANK[a.status] - RANK[b.status])[0];
    const state = failed ?? least ?? { status: args.status, error_code: args.errorCode ?? null };

    const contact: { id: number; thread_id: number; delivery_status: DeliveryStatus | null } | undefined = await trx('contacts')
      .where({ channel: 'sms', direction: 'outbound', provider_id: contactProviderId })
      .first('id', 'thread_id', 'delivery_status');
    if (!contact) return { outcome: 'unknown' };
    if (contact.delivery_status && RANK[state.status] < RANK[contact.delivery_status]) return { outcome: 'updated', contactProviderId, status: contact.delivery_status };
    await trx('contacts')
      .where({ id: contact.id })
      .update({ delivery_status: state.status, delivery_error_code: state.error_code, delivery_updated_at: args.at });
    if (failed && contact.delivery_status !== failed.status) {
      await recordEvent(trx, {
        threadId: contact.thread_id,
        kind: 'delivery-failed',
        at: args.at,
        data: { channel: 'sms', providerId: args.providerId, status: failed.status, errorCode: failed.error_code },
      });
    }
    return { outcome: 'updated', contactProviderId, status: state.status };
  });
}

/** The delivery state of an outbound contact, by the provider id its sender returned. */
export async function deliveryState(
  db: DbOrTrx,
  contactProviderId: string,
): Promise<{ status: DeliveryStatus | null; errorCode: string | null; parts: { segments: number; encoding: string }[] } | undefined> {
  const contact = await db('contacts').where({ direction: 'outbound', provider_id: contactProviderId }).first('delivery_status', 'delivery_error_code');
  if (!contact) return undefined;
  const parts = await db('sms_parts').where({ contact_provider_id: contactProviderId }).orderBy('part').select('segments', 'encoding');
  return { status: contact.delivery_status ?? null, errorCode: contact.delivery_error_code ?? null, parts };
}

export async function isSmsOptedOut(db: DbOrTrx, phone: string): Promise<boolean> {
  return (await db('sms_opt_outs').where({ phone }).first('phone')) !== undefined;
}

/**
 * STOP and START as the standing wish of whoever holds the number. Not a complaint: no thread
 * is opened for it. The change is recorded on every open thread of the number's customer (when
 * the hub knows one), so agents see why SMS stops. Returns true when it changed; a Twilio retry
 * of the same word changes nothing.
 */
export async function setSmsConsent(db: Db, args: { phone: string; optedOut: boolean; keyword: string; at: number }): Promise<boolean> {
  return db.transaction(async (trx) => {
    if ((await isSmsOptedOut(trx, args.phone)) === args.optedOut) return false;
    if (args.optedOut) await trx('sms_opt_outs').insert({ phone: args.phone, keyword: args.keyword, at: args.at });
    else await trx('sms_opt_outs').where({ phone: args.phone }).delete();
    const openThreads: { id: number }[] = await trx('threads')
      .join('identities', 'identities.customer_id', 'threads.customer_id')
      .where({ 'identities.kind': 'phone', 'identities.value': args.phone, 'threads.status': 'open' })
      .select('threads.id');
    for (const thread of openThreads) {
      await recordEvent(trx, {
        threadId: thread.id,
        kind: args.optedOut ? 'sms-opted-out' : 'sms-opted-in',
        at: args.at,
        data: { phone: args.phone, keyword: args.keyword },
      });
    }
    return true;
  });
}

/** A message the hub did not send because the number opted out. */
export async function recordSuppressed(db: DbOrTrx, args: { threadId: number; to: string; purpose: string; at: number }): Promise<void> {
  await recordEvent(db, { threadId: args.threadId, kind: 'sms-suppressed', at: args.at, data: { to: args.to, purpose: args.purpose, reason: 'opted-out' } });
}

/**
 * A delivery report (bounce) for mail the hub sent: the outbound contacts it names become
 * undelivered, with the report's status code (e.g. "5.1.1", no such mailbox), and the thread
 * shows it. Returns how many of our messages it was about; a report about none is not ours.
 */
export async function recordEmailBounce(db: Db, args: { messageIds: string[]; status: string | undefined; at: number }): Promise<number> {
  if (args.messageIds.length === 0) return 0;
  return db.transaction(async (trx) => {
    const contacts: { id: number; thread_id: number; message_id: string; delivery_status: DeliveryStatus | null }[] = await trx('contacts')
      .where({ channel: 'email', direction: 'outbound' })
      .whereIn('message_id', args.messageIds)
      .select('id', 'thread_id', 'message_id', 'delivery_status');
    for (const contact of contacts) {
      if (contact.delivery_status === 'undelivered') continue;
      await trx('contacts')
        .where({ id: contact.id })
        .update({ delivery_status: 'undelivered', delivery_error_code: args.status ?? null, delivery_updated_at: args.at });
      await recordEvent(trx, {
        threadId: contact.thread_id,
        kind: 'delivery-failed',
        at: args.at,
        data: { channel: 'email', messageId: contact.message_id, status: 'undelivered', errorCode: args.status ?? null },
      });
    }
    return contacts.length;
  });
}
