import type { ProviderMessage, ProviderSender, SentPart } from '../../core/outbound';
import { CLOCK_SKEW_MS, dayOf, twilioFailure, type TwilioAccount } from '../twilio/client';
import { countSegments, splitMessage } from './segments';

/** Messages looked at when the hub asks Twilio whether a send went out: a customer gets a few a day from us. */
const PAGE_SIZE = 50;

interface ListedMessage {
  sid: string;
  body: string;
  dateCreated: Date;
  dateSent: Date | null;
}

/**
 * Sends an SMS through Twilio's Messages API, from the hub's number, outside any transaction (the
 * outbound-send job records the start before and the parts after). A body over 1600 characters
 * goes as several messages; those already accepted are not sent again.
 */
export class TwilioSmsSender implements ProviderSender {
  readonly via = 'provider';

  constructor(private readonly options: { account: TwilioAccount; statusCallback: string; clock: () => number }) {}

  async send(message: ProviderMessage, alreadySent: readonly SentPart[]): Promise<SentPart[]> {
    const { client, phoneNumber } = this.options.account;
    const bodies = splitMessage(message.body);
    const sent = [...alreadySent];
    for (const [index, body] of bodies.entries()) {
      if (sent.some((part) => part.part === index + 1)) continue;
      try {
        const created = await client.messages.create({ to: message.to, from: phoneNumber, body, statusCallback: this.options.statusCallback });
        sent.push(smsPart(created.sid, body, index, bodies.length));
      } catch (error) {
        throw twilioFailure(error, this.options.clock()).after(sent);
      }
    }
    return sent.sort((a, b) => a.part - b.part);
  }

  /**
   * The messages Twilio holds from our number to hers, created since the send started (with a
   * margin for the two clocks), that have the text of one of its parts: every one, since the same
   * words may have gone to her before. Twilio filters by the day a message was sent; one
   * it has queued but not sent yet has no DateSent, so the newest messages are asked for as well.
   */
  async findSent(message: ProviderMessage, since: number): Promise<SentPart[]> {
    const { client, phoneNumber } = this.options.account;
    const from = since - CLOCK_SKEW_MS;
    let listed: ListedMessage[];
    try {
      const [sent, newest] = await Promise.all([
        client.messages.page({ to: message.to, from: phoneNumber, dateSentAfter: dayOf(from), pageSize: PAGE_SIZE }),
        client.messages.page({ to: message.to, from: phoneNumber, pageSize: PAGE_SIZE }),
      ]);
      listed = [...sent.instances, ...newest.instances.filter((candidate) => candidate.dateSent === null)];
    } catch (error) {
      throw twilioFailure(error, this.options.clock());
    }
    const recent = listed.filter((candidate) => candidate.dateCreated.getTime() >= from);
    const bodies = splitMessage(message.body);
    return bodies.flatMap((body, index) => recent.filter((candidate) => candidate.body === body).map((match) => smsPart(match.sid, body, index, bodies.length)));
  }
}

function smsPart(sid: string, body: string, index: number, parts: number): SentPart {
  const { encoding, segments } = countSegments(body);
  return { providerId: sid, part: index + 1, parts, encoding, segments };
}
