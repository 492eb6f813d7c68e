import type { Channel } from '../core/contact';
import type { ChannelSender, Senders } from '../core/outbound';
import { firstSendJobKey } from '../core/send-ledger';

/** What runs a send's job on request: the hub's job worker. */
export interface SendRunner {
  runNow(jobKeys: readonly string[]): Promise<number>;
}

/**
 * The hub's sender per channel. A recorded send is tried at once when its caller asks (an agent
 * waiting for her reply), through the job worker, so the send's job runs exactly as it would at
 * the next poll; until the worker exists, sends wait for that poll.
 */
export class HubSenders implements Senders {
  private runner: SendRunner | undefined;

  constructor(private readonly byChannel: ReadonlyMap<Channel, ChannelSender>) {}

  get(channel: Channel): ChannelSender | undefined {
    return this.byChannel.get(channel);
  }

  runWith(runner: SendRunner): void {
    this.runner = runner;
  }

  async sendNow(sendIds: readonly number[]): Promise<void> {
    await this.runner?.runNow(sendIds.map(firstSendJobKey));
  }
}
