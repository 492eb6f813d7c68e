import { setTimeout } from 'node:timers/promises';
import { Router } from 'express';
import twilio from 'twilio';
import { z } from 'zod';
import type { HubContext } from '../../context';
import type { InboundContact, IngestResult } from '../../core/contact';
import { recordDeliveryStatus, setSmsConsent, type DeliveryStatus } from '../../core/delivery';
import { normalizePhone } from '../../core/identity';
import { sendTwiml } from '../twilio/webhook';
import { answerCallbackWord, answerSlotDigit } from './callback-offer';
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

/** How long a status callback for a message not (yet) known waits before it is given up: 3.5 s in all. */
const UNKNOWN_MESSAGE_PAUSES_MS = [50, 200, 750, 2500];

/** Built once: most SMS get no direct answer, and the same empty document every time. */
const NO_REPLY = new twilio.twiml.MessagingResponse().toString();

/** `/twilio/sms` and `/twilio/sms/status`; the signature is checked before these run. */
export function smsRouter(ctx: HubContext, ingest: (contact: InboundContact) => Promise<IngestResult>): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const form = inboundSms.parse(req.body);
    const at = ctx.clock();
    const consent = consentKeyword(form.Body);
    if (consent) {
      const phone = normalizePhone(form.From);
      if (phone) await setSmsConsent(ctx.db, { phone, ...consent, at });
      else ctx.logger.warn({ keyword: consent.keyword }, 'opt-out word from a sender that is no phone number');
      sendTwiml(res, NO_REPLY); // Twilio answers STOP and START itself, as carriers require.
      return;
    }
    await ingest({
      channel: 'sms',
      providerId: form.MessageSid,
      from: { kind: 'phone', value: form.From },
      body: form.Body,
      at,
      raw: req.body,
    });
    // A single digit answering a slot offer books that slot; VERZET or AFZEGGEN moves or cancels a
    // booked callback. The answer (confirmation, a fresh offer) goes back in the TwiML.
    const answer = (await answerSlotDigit(ctx, { from: form.From, body: form.Body })) ?? (await answerCallbackWord(ctx, { from: form.From, body: form.Body }));
    if (answer) {
      const reply = new twilio.twiml.MessagingResponse();
      reply.message(answer);
      sendTwiml(res, reply);
      return;
    }
    // Empty answer: the acknowledgement goes out by job.
    sendTwiml(res, NO_REPLY);
  });

  router.post('/status', async (req, res) => {
    const form = statusCallback.parse(req.body);
    const status = STATUS[form.MessageStatus];
    if (status) {
      const record = () => recordDeliveryStatus(ctx.db, { providerId: form.MessageSid, status, errorCode: form.ErrorCode || undefined, at: ctx.clock() });
      let update = await record();
      // Twilio's first callback can overtake the commit of the send it reports on (the send runs
      // inside the sending job's transaction; on PostgreSQL another connection cannot see it yet).
      // The commit follows within milliseconds, so look again for a while: Twilio waits 15 s.
      for (const pause of UNKNOWN_MESSAGE_PAUSES_MS) {
        if (update.outcome !== 'unknown') break;
        await setTimeout(pause);
        update = await record();
      }
      if (update.outcome === 'unknown') ctx.logger.warn({ messageSid: form.MessageSid, status }, 'status callback for an unknown message');
    }
    res.status(204).end();
  });

  return router;
}
