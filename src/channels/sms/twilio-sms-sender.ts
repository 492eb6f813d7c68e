import { randomUUID } from 'node:crypto';
import type { DbOrTrx } from '../../core/db';
import { isSmsOptedOut, recordSmsParts, recordSuppressed, type SmsPart } from '../../core/delivery';
import { DomainError } from '../../core/errors';
import type { ChannelSender, OutboundMessage, SendReceipt } from '../../core/outbound';
import type { TwilioAccount } from '../twilio/client';
import { countSegments, splitMessage } from './segments';

/**
 * Sends an SMS through Twilio's Messages API. `deliver()` calls this inside the caller's
 * transaction (the acknowledgement job's): on SQLite that holds the single connection for the
 * length of the HTTP call, which is why the client's timeout is short (5 s). The parts are
 * recorded in the same transaction, so a status callback finds them once it commits.
 */
export class TwilioSmsSender implements ChannelSender {
  constructor(private readonly options: { account: TwilioAccount; statusCallback: string }) {}

  async send(db: DbOrTrx, message: OutboundMessage, now: number): Promise<SendReceipt> {
    const { client, phoneNumber } = this.options.account;
    const bodies = splitMessage(message.body);
    const parts: SmsPart[] = [];
    for (const [index, body] of bodies.entries()) {
      const sent = await client.messages.create({ to: message.to, from: phoneNumber, body, statusCallback: this.options.statusCallback });
      const { encoding, segments } = countSegments(body);
      parts.push({ providerId: sent.sid, part: index + 1, parts: bodies.length, encoding, segments });
    }
    const providerId = (parts[0] as SmsPart).providerId;
    await recordSmsParts(db, { threadId: message.threadId, to: message.to, contactProviderId: providerId, parts, at: now });
    return { providerId };
  }
}

/**
 * Nothing goes to a number that texted STOP, whichever provider sends. An acknowledgement is
 * skipped with an `sms-suppressed` event on the thread (a one-time code has no thread: its
 * caller sees `suppressed`); an agent's reply is refused (409), so the agent knows to use
 * another channel.
 */
export class SmsConsentGuard implements ChannelSender {
  constructor(private readonly inner: ChannelSender) {}

  async send(db: DbOrTrx, message: OutboundMessage, now: number): Promise<SendReceipt> {
    if (!(await isSmsOptedOut(db, message.to))) return this.inner.send(db, message, now);
    if (message.purpose === 'reply') throw new DomainError('conflict', `${message.to} opted out of SMS (STOP); reply on another channel`);
    if (message.threadId !== null) await recordSuppressed(db, { threadId: message.threadId, to: message.to, purpose: message.purpose, at: now });
    return { providerId: `opted-out-${randomUUID()}`, suppressed: true };
  }
}
