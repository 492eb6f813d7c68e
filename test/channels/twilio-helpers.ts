import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import twilio from 'twilio';
import type { TestHub } from '../helpers/hub';

export const ACCOUNT_SID = 'ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
export const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
export const HUB_NUMBER = '+3197010203040';

/** A recorded-shape Twilio webhook form, with fields overridden. */
export function fixture(name: string, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const recorded = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'twilio', `${name}.json`), 'utf8')) as Record<string, string>;
  const form: Record<string, string> = { ...recorded };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete form[key];
    else form[key] = value;
  }
  return form;
}

export function sid(prefix: 'SM' | 'CA'): string {
  return prefix + randomBytes(16).toString('hex');
}

/**
 * POSTs a form to the hub as Twilio does, signed for the hub's PUBLIC_URL (the tests set
 * PUBLIC_URL to the hub's own address). `signature: null` leaves the header out.
 */
export async function postTwilio(
  t: TestHub,
  path: string,
  form: Record<string, string>,
  options: { token?: string; signature?: string | null } = {},
): Promise<{ status: number; type: string; text: string }> {
  const url = `${publicUrl(t)}${path}`;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const signature = options.signature === undefined ? twilio.getExpectedTwilioSignature(options.token ?? AUTH_TOKEN, url, form) : options.signature;
  if (signature !== null) headers['x-twilio-signature'] = signature;
  const response = await fetch(`${t.base}${path}`, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

export function publicUrl(t: TestHub): string {
  return t.hub.ctx.env.PUBLIC_URL;
}

export interface RecordedRequest {
  method: string;
  path: string;
  form: Record<string, string>;
  authorization: string | undefined;
}

/**
 * Stands in for Twilio's REST API (TWILIO_API_URL), Messages and Calls: refuses what the real API
 * refuses (a missing To/From/Body or Url, a number not in E.164) with Twilio's error JSON, otherwise 201.
 */
export class TwilioStandIn {
  readonly requests: RecordedRequest[] = [];
  private server?: Server;
  url = '';
  /** Called before the created message is answered: what Twilio may do that early (a status callback). */
  onMessageCreated?: (messageSid: string) => Promise<void>;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', async () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        this.requests.push({ method: req.method ?? '', path, form, authorization: req.headers.authorization });
        const reply = (status: number, json: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(json));
        };
        const refuse = (code: number, message: string) =>
          reply(400, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status: 400 });
        const expected = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
        if (req.headers.authorization !== expected) return reply(401, { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
        const e164 = /^\+[1-9]\d{6,14}$/;
        if (req.method === 'POST' && path === `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`) {
          if (!form.To) return refuse(21201, 'No called number is specified');
          if (!form.From) return refuse(21213, 'No caller ID is specified');
          if (!form.Url && !form.Twiml) return refuse(21205, 'Url parameter is required.');
          if (!e164.test(form.To)) return refuse(21211, `Invalid 'To' Phone Number: ${form.To}`);
          if (!e164.test(form.From)) return refuse(21212, `Invalid 'From' Phone Number: ${form.From}`);
          return reply(201, { sid: `CA${randomBytes(16).toString('hex')}`, account_sid: ACCOUNT_SID, to: form.To, from: form.From, status: 'queued', direction: 'outbound-api', api_version: '2010-04-01' });
        }
        if (req.method !== 'POST' || path !== `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`) return reply(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
        if (!form.To) return refuse(21604, "A 'To' phone number is required.");
        if (!form.From) return refuse(21603, "A 'From' phone number is required.");
        if (!form.Body) return refuse(21602, 'Message body is required.');
        if (!e164.test(form.To)) return refuse(21211, `The 'To' number ${form.To} is not a valid phone number.`);
        if (!e164.test(form.From)) return refuse(21212, `The 'From' number ${form.From} is not a valid phone number.`);
        if (form.Body.length > 1600) return refuse(21617, 'The concatenated message body exceeds the 1600 character limit.');
        const messageSid = `SM${randomBytes(16).toString('hex')}`;
        await this.onMessageCreated?.(messageSid);
        reply(201, {
          sid: messageSid,
          account_sid: ACCOUNT_SID,
          to: form.To,
          from: form.From,
          body: form.Body,
          status: 'queued',
          num_segments: '1',
          direction: 'outbound-api',
          api_version: '2010-04-01',
          date_created: new Date().toUTCString(),
          error_code: null,
          error_message: null,
          uri: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`,
        });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  messages(): RecordedRequest[] {
    return this.requests.filter((request) => request.path.endsWith('/Messages.json'));
  }

  calls(): RecordedRequest[] {
    return this.requests.filter((request) => request.path.endsWith('/Calls.json'));
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
