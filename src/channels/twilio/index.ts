import { Router } from 'express';
import type { HubContext } from '../../context';
import type { Channel, InboundContact, IngestResult } from '../../core/contact';
import type { ChannelSender } from '../../core/outbound';
import { TwilioSmsSender } from '../sms/twilio-sms-sender';
import { smsRouter } from '../sms/sms-router';
import { callbackCallRouter } from '../voice/callback-calls';
import { voiceRouter } from '../voice/voice-router';
import type { TwilioAccount } from './client';
import { retryStoreFaults } from '../../http/store-retry';
import { twilioWebhook } from './webhook';

/** The SMS sender: Twilio when the account is configured, else the one given (the outbox). */
export function withTwilioSenders(senders: Map<Channel, ChannelSender>, account: TwilioAccount | undefined, options: { publicUrl: string; clock: () => number }): Map<Channel, ChannelSender> {
  if (account) senders.set('sms', new TwilioSmsSender({ account, statusCallback: `${options.publicUrl}/twilio/sms/status`, clock: options.clock }));
  return senders;
}

/** Everything under /twilio: form-encoded, signature checked, then SMS and voice, each tried again when the store failed it. */
export function twilioRouter(ctx: HubContext, ingest: (contact: InboundContact) => Promise<IngestResult>): Router {
  const router = Router();
  router.use(twilioWebhook({ authToken: ctx.env.TWILIO_AUTH_TOKEN, publicUrl: ctx.env.PUBLIC_URL }));
  const steps = Router();
  steps.use('/sms', smsRouter(ctx, ingest));
  steps.use('/voice/callback', callbackCallRouter(ctx));
  steps.use('/voice', voiceRouter(ctx, ingest));
  // A lost database connection is tried again here, before Twilio hears of it.
  router.use(retryStoreFaults(steps, ctx.logger));
  return router;
}
