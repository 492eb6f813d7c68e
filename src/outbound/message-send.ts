import { z } from 'zod';
import type { Channel } from '../core/contact';
import { isSmsOptedOut, recordSmsParts, recordSuppressed, smsPartsOf } from '../core/delivery';
import { recordOutboundContact, type MessageContent, type OutboundPurpose, type ProviderMessage, type ProviderSender, type Senders } from '../core/outbound';
import type { SendRecord } from '../core/send-ledger';
import { recordEvent } from '../core/timeline';
import type { SendKindHandler } from './send-kind';

const content = z.object({ subject: z.string().optional(), body: z.string(), html: z.string().optional(), inReplyTo: z.string().optional(), references: z.array(z.string()).optional() });

/** A message waits at most this long between attempts: a provider back after an outage is used within minutes. */
const MAX_BACKOFF_MS = 5 * 60_000;

/**
 * Messages to customers (acknowledgements, replies, callback notices, the satisfaction question)
 * through a provider: the message is kept in the send's record, and once the provider took every
 * part it becomes an outbound contact on its thread, with its SMS parts for the delivery reports.
 */
export function messageSendKind(senders: Senders): SendKindHandler {
  const provider = (channel: Channel): ProviderSender => {
    const sender = senders.get(channel);
    if (sender?.via !== 'provider') throw new Error(`no provider sends ${channel} any more; the hub's configuration changed after this message was recorded`);
    return sender;
  };
  return {
    kind: 'message',
    maxBackoffMs: MAX_BACKOFF_MS,
    async withdrawn(db, send) {
      return send.channel === 'sms' && (await isSmsOptedOut(db, send.recipient)) ? 'opted-out' : undefined;
    },
    async onWithdrawn(trx, send, _reason, now) {
      if (send.threadId !== null) await recordSuppressed(trx, { threadId: send.threadId, to: send.recipient, purpose: send.purpose, at: now });
    },
    send: (send, alreadySent) => provider(send.channel).send(providerMessage(send), alreadySent),
    async findSent(db, send, since) {
      const found = await provider(send.channel).findSent(providerMessage(send), since);
      if (found === null || found.length === 0) return found;
      // The same words may have gone to her before (an agent who says it twice): those are another send's.
      const known = new Set<string>(await db('sms_parts').whereIn('provider_id', found.map((part) => part.providerId)).pluck('provider_id'));
      return found.filter((part) => !known.has(part.providerId));
    },
    nextAttemptAt: async (_trx, earliest) => earliest,
    async onSent(trx, send, parts, now) {
      const first = parts[0];
      if (send.threadId === null || !first) return;
      const message = providerMessage(send);
      await recordOutboundContact(trx, { message: { ...message, threadId: send.threadId }, receipt: { providerId: first.providerId, messageId: send.messageId ?? undefined }, at: now });
      if (send.channel === 'sms') await recordSmsParts(trx, { threadId: send.threadId, to: send.recipient, contactProviderId: first.providerId, parts: smsPartsOf(parts), at: now });
    },
    async onEnded(trx, send, end, now) {
      // This acknowledgement did not reach her: the agent then knows she may have no reference in hand.
      if (send.purpose === 'acknowledgement' && send.threadId !== null) {
        await recordEvent(trx, { threadId: send.threadId, kind: 'acknowledgement-not-sent', at: now, data: { channels: [send.channel], to: [send.recipient], reason: end.reason } });
      }
    },
  };
}

function providerMessage(send: SendRecord): ProviderMessage {
  const message: MessageContent = content.parse(send.content);
  return { ...message, threadId: send.threadId, channel: send.channel, to: send.recipient, purpose: send.purpose as OutboundPurpose, messageId: send.messageId ?? undefined };
}
