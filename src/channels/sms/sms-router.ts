import { Router } from 'express';
import twilio from 'twilio';
import { z } from 'zod';
import type { HubContext } from '../../context';
import type { InboundContact, IngestResult } from '../../core/contact';
import { recordDeliveryStatus, setSmsConsent, type DeliveryStatus } from '../../core/delivery';
import { normalizePhone } from '../../core/identity';
import { sendTwiml } from '../twilio/webhook';
import { answerSlotDigit } from './callback-offer';
import { consentKeyword } from './keywords';

const inboundSms = z.object({
  MessageSid: z.string().min(1),
  From: z.string().min(1),
  To: z.string().optional(),
  Body: z.string().default(''),
});

const statusCallback = z.object({
  MessageSid: z.string().min(1),
  MessageStatus: z.string().min(1),
  ErrorCode: z.string().optional(),
});

/** Twilio's message states onto the hub's closed set. */
const STATUS: Record<string, DeliveryStatus> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
};

/** `/twilio/sms` and `/twilio/sms/status`; the signature is checked before these run. */
export function smsRouter(ctx: HubContext, ingest: (contact: InboundContact) => Promise<IngestResult>): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const form = inboundSms.parse(req.body);
    const at = ctx.clock();
    const phone = normalizePhone(form.From);
    const result = await ingest({
      channel: 'sms',
      providerId: form.MessageSid,
      from: { kind: 'phone', value: form.From },
      body: form.Body,
      at,
      raw: req.body,
    });
    const consent = consentKeyword(form.Body);
    if (consent && phone) await setSmsConsent(ctx.db, { phone, ...consent, threadId: result.threadId, at });
    // A single digit answering a slot offer books that slot; the answer (confirmation or a fresh offer) goes back in the TwiML.
    const answer = !consent && phone ? await answerSlotDigit(ctx, { phone, body: form.Body }) : undefined;
    if (answer) {
      const reply = new twilio.twiml.MessagingResponse();
      reply.message(answer);
      sendTwiml(res, reply);
      return;
    }
    // Empty answer: the acknowledgement goes out by job; on STOP/START Twilio sends its own confirmation.
    sendTwiml(res, new twilio.twiml.MessagingResponse());
  });

  router.post('/status', async (req, res) => {
    const form = statusCallback.parse(req.body);
    const status = STATUS[form.MessageStatus];
    if (status) {
      const update = await recordDeliveryStatus(ctx.db, { providerId: form.MessageSid, status, errorCode: form.ErrorCode || undefined, at: ctx.clock() });
      if (update.outcome === 'unknown') ctx.logger.warn({ messageSid: form.MessageSid, status }, 'status callback for an unknown message');
    }
    res.status(204).end();
  });

  return router;
}
