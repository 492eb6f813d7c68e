import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import twilio from 'twilio';
import { AUTH_TOKEN, fixture, sid } from '../channels/twilio-helpers';
import type { HubProcess } from './hub-process';

export interface WebhookLoad {
  /** Every webhook answered, by MessageSid, and whether /readyz had said 503 before it was. */
  answered: { sid: string; status: number; afterNotReady: boolean }[];
  /** Webhooks that got no answer, by error code: ECONNREFUSED (nothing listened), ECONNRESET (cut off). */
  errors: string[];
  /** When /readyz first said 503 (epoch ms). */
  notReadyAt: number | undefined;
}

/**
 * Signed SMS webhooks (for `publicUrl`), `inFlight` at a time, against a hub process (or anything
 * that answers them) until it exits; with `heedReadiness`, the senders stop once /readyz says 503,
 * as a load balancer in front of the hub would. Resolves when every sender has stopped.
 */
export async function webhookLoad(hub: Pick<HubProcess, 'base' | 'exited'>, options: { publicUrl: string; inFlight: number; keepAlive: boolean; heedReadiness: boolean }): Promise<WebhookLoad> {
  const agent = new Agent({ keepAlive: options.keepAlive, maxSockets: options.inFlight });
  const load: WebhookLoad = { answered: [], errors: [], notReadyAt: undefined };
  let exited = false;
  void hub.exited.then(() => (exited = true));
  const stopped = () => exited || (options.heedReadiness && load.notReadyAt !== undefined);
  const poller = (async () => {
    while (!exited && load.notReadyAt === undefined) {
      const status = await fetch(`${hub.base}/readyz`).then((response) => response.status, () => 0);
      if (status === 503) load.notReadyAt = Date.now();
      await sleep(25);
    }
  })();
  const senders = Array.from({ length: options.inFlight }, async () => {
    while (!stopped()) {
      const outcome = await smsWebhook(hub, agent, options.publicUrl);
      if ('status' in outcome) load.answered.push({ ...outcome, afterNotReady: load.notReadyAt !== undefined });
      else {
        load.errors.push(outcome.error);
        await sleep(20);
      }
    }
  });
  await Promise.all([...senders, poller]);
  agent.destroy();
  return load;
}

function smsWebhook(hub: Pick<HubProcess, 'base'>, agent: Agent, publicUrl: string): Promise<{ sid: string; status: number } | { sid: string; error: string }> {
  const form = fixture('sms-inbound', { MessageSid: sid('SM') });
  const body = new URLSearchParams(form).toString();
  const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${publicUrl}/twilio/sms`, form);
  const messageSid = form.MessageSid as string;
  return new Promise((resolve) => {
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'x-twilio-signature': signature };
    const req = request(`${hub.base}/twilio/sms`, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ sid: messageSid, status: res.statusCode ?? 0 }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ sid: messageSid, error: error.code ?? error.message }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ sid: messageSid, error: error.code ?? error.message }));
    req.end(body);
  });
}
