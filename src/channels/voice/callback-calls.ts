import { Router, type Request, type Response } from 'express';
import twilio from 'twilio';
import { z } from 'zod';
import { agentAnswered, agentUnavailable, customerCallEnded, type AgentDialer } from '../../callbacks/execution';
import type { HubContext } from '../../context';
import { CLOCK_SKEW_MS, dayOf, twilioFailure, type TwilioAccount } from '../twilio/client';
import { sendTwiml } from '../twilio/webhook';
import { SPEECH, spokenReference } from './prompts';

/** Seconds the agent's and then the customer's phone ring before it counts as not answered. */
const RING_SECONDS = 20;
/** Calls looked at when the hub asks Twilio whether a call went out: an agent gets a few an hour from us. */
const PAGE_SIZE = 50;

const callbackQuery = z.object({ callback: z.coerce.number().int().positive(), attempt: z.coerce.number().int().min(1) });
const dialResult = z.object({ DialCallStatus: z.string().optional() });
const callStatus = z.object({ CallStatus: z.string().min(1) });

/** Twilio's final states of a call nobody answered. */
const NOT_ANSWERED = new Set(['busy', 'no-answer', 'failed', 'canceled']);

function callbackUrl(publicUrl: string, path: string, query: { callback: number; attempt: number }): string {
  return `${publicUrl}/twilio/voice/callback${path}?callback=${query.callback}&attempt=${query.attempt}`;
}

/**
 * Places the hub's outbound callback calls through Twilio's Calls API: the agent first. When they
 * answer, Twilio fetches `/twilio/voice/callback/agent` (the whisper, then the customer is dialled);
 * when they don't, the status callback says so and the callback moves to another agent.
 */
export class TwilioAgentDialer implements AgentDialer {
  constructor(private readonly options: { account: TwilioAccount; publicUrl: string; clock: () => number }) {}

  async callAgent(args: { callbackId: number; attempt: number; agentPhone: string }): Promise<{ callSid: string }> {
    const { client, phoneNumber } = this.options.account;
    const query = { callback: args.callbackId, attempt: args.attempt };
    try {
      const call = await client.calls.create({
        to: args.agentPhone,
        from: phoneNumber,
        url: callbackUrl(this.options.publicUrl, '/agent', query),
        statusCallback: callbackUrl(this.options.publicUrl, '/agent-status', query),
        timeout: RING_SECONDS,
      });
      return { callSid: call.sid };
    } catch (error) {
      throw twilioFailure(error, this.options.clock());
    }
  }

  /**
   * Twilio's Calls list from our number to the agent's, created since `since` (with a margin for
   * the two clocks). It filters by the day a call started; one still queued has not started, so
   * queued calls are asked for as well.
   */
  async findCalls(args: { agentPhone: string; since: number }): Promise<string[]> {
    const { client, phoneNumber } = this.options.account;
    const from = args.since - CLOCK_SKEW_MS;
    try {
      const [started, queued] = await Promise.all([
        client.calls.page({ to: args.agentPhone, from: phoneNumber, startTimeAfter: dayOf(from), pageSize: PAGE_SIZE }),
        client.calls.page({ to: args.agentPhone, from: phoneNumber, status: 'queued', pageSize: PAGE_SIZE }),
      ]);
      return [...queued.instances, ...started.instances]
        .filter((call) => call.dateCreated.getTime() >= from)
        .sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime())
        .map((call) => call.sid);
    } catch (error) {
      throw twilioFailure(error, this.options.clock());
    }
  }
}

/** `/twilio/voice/callback/*`: the steps of a callback call the hub placed (signature checked before). */
export function callbackCallRouter(ctx: HubContext): Router {
  const router = Router();
  const voice = (language: 'nl' | 'en') => SPEECH[language];

  // The agent answered: the whisper in their language, then the customer, ringing at most 20 s.
  router.post('/agent', async (req: Request, res: Response) => {
    const query = callbackQuery.parse(req.query);
    const response = new twilio.twiml.VoiceResponse();
    const plan = await agentAnswered(ctx, query.callback);
    if (!plan) {
      response.say(voice('nl'), 'Deze terugbelafspraak is vervallen. Er hoeft niet te worden gebeld.');
      response.hangup();
      return sendTwiml(res, response);
    }
    response.say(voice(plan.language), plan.whisper.replace(plan.reference, spokenReference(plan.reference)));
    const dial = response.dial({ callerId: ctx.env.TWILIO_PHONE_NUMBER, timeout: RING_SECONDS, action: callbackUrl(ctx.env.PUBLIC_URL, '/customer-result', query) });
    dial.number(plan.customerPhone);
    sendTwiml(res, response);
  });

  // How the customer leg ended; the agent hears what happens next.
  router.post('/customer-result', async (req: Request, res: Response) => {
    const query = callbackQuery.parse(req.query);
    const { DialCallStatus } = dialResult.parse(req.body);
    const result = await customerCallEnded(ctx, { callbackId: query.callback, attempt: query.attempt, answered: DialCallStatus === 'completed' || DialCallStatus === 'answered' });
    const response = new twilio.twiml.VoiceResponse();
    if (result.kind === 'retry') response.say(voice('nl'), 'De klant neemt niet op. Wij bellen u over drie minuten opnieuw voor een tweede poging.');
    if (result.kind === 'missed') response.say(voice('nl'), result.newSlotsSent ? 'De klant neemt niet op. De klant krijgt per sms nieuwe tijden aangeboden.' : 'De klant neemt niet op. De afspraak is als gemist genoteerd.');
    response.hangup();
    sendTwiml(res, response);
  });

  // The agent's leg ended; unanswered means the agent is not available for this callback.
  router.post('/agent-status', async (req: Request, res: Response) => {
    const query = callbackQuery.parse(req.query);
    const { CallStatus } = callStatus.parse(req.body);
    if (NOT_ANSWERED.has(CallStatus)) await agentUnavailable(ctx, { callbackId: query.callback, attempt: query.attempt, reason: CallStatus });
    res.status(204).end();
  });

  return router;
}
