import type { DbOrTrx } from '../../core/db';
import type { Channel } from '../../core/contact';
import type { ChannelSender, OutboundMessage, SendReceipt, StoreSender } from '../../core/outbound';

/**
 * The provider used when a channel has no credentials: it records the message in the outbox
 * (GET /api/outbox, the console) instead of sending it, like nodemailer's JSON transport.
 */
export class OutboxSender implements StoreSender {
  readonly via = 'store';

  async send(db: DbOrTrx, message: OutboundMessage, now: number): Promise<SendReceipt> {
    const [row] = await db('outbox')
      .insert({
        thread_id: message.threadId,
        channel: message.channel,
        recipient: message.to,
        subject: message.subject ?? null,
        body: message.body,
        purpose: message.purpose,
        at: now,
      })
      .returning('id');
    const id = (row as { id: number }).id;
    return { providerId: `outbox-${id}`, messageId: message.channel === 'email' ? `<outbox-${id}@klachtenhub.invalid>` : undefined };
  }
}

export function outboxSenders(channels: readonly Channel[]): Map<Channel, ChannelSender> {
  const outbox = new OutboxSender();
  return new Map(channels.map((channel) => [channel, outbox]));
}
