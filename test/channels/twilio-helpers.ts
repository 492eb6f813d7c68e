import { createServer, type Server, type ServerResponse } from 'node:http';
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
  /** The query string's parameters (a list's filters). */
  query: Record<string, string>;
  form: Record<string, string>;
  authorization: string | undefined;
}

/** What the stand-in does instead of answering as Twilio normally would. */
export interface Misbehaviour {
  /** Answer with this status (500, 503, 429) and Twilio's error JSON. */
  status?: number;
  /** The `Retry-After` header with it. */
  retryAfter?: string;
  /** Twilio's error code in the answer (default 20429 for a 429, else 20500); 21211 with a 400 refuses the number. */
  code?: number;
  /** Hold the answer this long (past the hub's 3 s client timeout, it gives up). */
  stallMs?: number;
  /** Create the message or call first: Twilio took it, and its answer is what fails. */
  afterCreating?: boolean;
  /** Which requests: creates only (default), or every one (lists too: Twilio is down). */
  requests?: 'create' | 'all';
  /** For this many requests, then normal again (default: until `behave()`). */
  times?: number;
  /** Let this many requests through first (the first part of a long SMS). */
  skip?: number;
}

/** A message or call as the stand-in holds it, in Twilio's terms. */
export interface CreatedResource {
  sid: string;
  to: string;
  from: string;
  body?: string;
  url?: string;
  dateCreated: number;
  /** Null while Twilio has it queued (Messages: date_sent; Calls: start_time). */
  dateSent: number | null;
  status: string;
}

/**
 * Stands in for Twilio's REST API (TWILIO_API_URL), Messages and Calls, through the real twilio
 * SDK: refuses what the real API refuses (a missing To/From/Body or Url, a number not in E.164)
 * with Twilio's error JSON, otherwise 201. It answers the list queries the hub asks after a lost
 * answer (To, From, DateSent> / StartTime>, Status, PageSize; newest first; a queued message has
 * no DateSent and a queued call no StartTime), and can misbehave: fail (500, 429 with Retry-After),
 * stall past the client's timeout, or fail after creating. Times come from `clock` (the hub's).
 */
export class TwilioStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly created: { messages: CreatedResource[]; calls: CreatedResource[] } = { messages: [], calls: [] };
  private server?: Server;
  private misbehaviour: Misbehaviour | undefined;
  url = '';
  clock: () => number = Date.now;
  /** New messages and calls stay queued (no DateSent / StartTime), as behind Twilio's own rate limit. */
  holdQueued = false;
  /** Called before the created message is answered: what Twilio may do that early (a status callback). */
  onMessageCreated?: (messageSid: string) => Promise<void>;
  /** Called when a message or call has been created, before it is answered: a test may kill the hub right then. */
  onCreated?: (resource: CreatedResource) => Promise<void>;

  misbehave(misbehaviour: Misbehaviour): void {
    this.misbehaviour = { ...misbehaviour };
  }

  behave(): void {
    this.misbehaviour = undefined;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        void this.answer(req.method ?? '', req.url ?? '/', req.headers.authorization, body, res);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async answer(method: string, rawUrl: string, authorization: string | undefined, body: string, res: ServerResponse): Promise<void> {
    const form = Object.fromEntries(new URLSearchParams(body));
    const url = new URL(rawUrl, 'http://x');
    const path = url.pathname;
    const query = Object.fromEntries(url.searchParams);
    this.requests.push({ method, path, query, form, authorization });
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    const refuse = (code: number, message: string) => reply(400, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status: 400 });
    const expected = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
    if (authorization !== expected) return reply(401, { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });

    const account = `/2010-04-01/Accounts/${ACCOUNT_SID}`;
    const resource = path === `${account}/Messages.json` ? 'messages' : path === `${account}/Calls.json` ? 'calls' : undefined;
    if (!resource || (method !== 'POST' && method !== 'GET')) return reply(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    if (method === 'GET') {
      const fault = this.takeMisbehaviour('all');
      if (fault && (await this.misbehaveNow(fault, reply))) return;
      return reply(200, this.list(resource, query));
    }

    const e164 = /^\+[1-9]\d{6,14}$/;
    if (resource === 'calls') {
      if (!form.To) return refuse(21201, 'No called number is specified');
      if (!form.From) return refuse(21213, 'No caller ID is specified');
      if (!form.Url && !form.Twiml) return refuse(21205, 'Url parameter is required.');
      if (!e164.test(form.To)) return refuse(21211, `Invalid 'To' Phone Number: ${form.To}`);
      if (!e164.test(form.From)) return refuse(21212, `Invalid 'From' Phone Number: ${form.From}`);
    } else {
      if (!form.To) return refuse(21604, "A 'To' phone number is required.");
      if (!form.From) return refuse(21603, "A 'From' phone number is required.");
      if (!form.Body) return refuse(21602, 'Message body is required.');
      if (!e164.test(form.To)) return refuse(21211, `The 'To' number ${form.To} is not a valid phone number.`);
      if (!e164.test(form.From)) return refuse(21212, `The 'From' number ${form.From} is not a valid phone number.`);
      if (form.Body.length > 1600) return refuse(21617, 'The concatenated message body exceeds the 1600 character limit.');
    }
    const fault = this.takeMisbehaviour('create');
    if (fault && !fault.afterCreating && (await this.misbehaveNow(fault, reply))) return;

    const now = this.clock();
    const created: CreatedResource = {
      sid: `${resource === 'calls' ? 'CA' : 'SM'}${randomBytes(16).toString('hex')}`,
      to: form.To as string,
      from: form.From as string,
      body: form.Body,
      url: form.Url,
      dateCreated: now,
      dateSent: this.holdQueued ? null : now,
      status: this.holdQueued ? 'queued' : resource === 'calls' ? 'ringing' : 'sent',
    };
    this.created[resource].push(created);
    await this.onCreated?.(created);
    if (resource === 'messages') await this.onMessageCreated?.(created.sid);
    if (fault && (await this.misbehaveNow(fault, reply))) return;
    reply(201, resource === 'calls' ? callJson(created) : messageJson(created));
  }

  private takeMisbehaviour(kind: 'create' | 'all'): Misbehaviour | undefined {
    const fault = this.misbehaviour;
    if (!fault || (kind === 'all' && fault.requests !== 'all')) return undefined;
    if (fault.skip) {
      fault.skip -= 1;
      return undefined;
    }
    if (fault.times !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) this.misbehaviour = undefined;
    }
    return fault;
  }

  /** Stalls, then fails if told to; true when it answered (or the hub gave up and left). */
  private async misbehaveNow(fault: Misbehaviour, reply: (status: number, json: unknown, headers?: Record<string, string>) => void): Promise<boolean> {
    if (fault.stallMs) await new Promise((resolve) => setTimeout(resolve, fault.stallMs));
    if (!fault.status) return false;
    const code = fault.code ?? (fault.status === 429 ? 20429 : 20500);
    reply(fault.status, { code, message: fault.status === 429 ? 'Too Many Requests' : fault.status >= 500 ? 'Internal Server Error' : `Error ${code}`, more_info: `https://www.twilio.com/docs/errors/${code}`, status: fault.status }, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
    return true;
  }

  private list(resource: 'messages' | 'calls', query: Record<string, string>): Record<string, unknown> {
    const after = (name: string) => (query[name] ? Date.parse(query[name] as string) : undefined);
    const sentAfter = after(resource === 'messages' ? 'DateSent>' : 'StartTime>');
    const pageSize = Number(query.PageSize ?? 50);
    const found = this.created[resource]
      .filter((item) => (!query.To || item.to === query.To) && (!query.From || item.from === query.From) && (!query.Status || item.status === query.Status))
      .filter((item) => sentAfter === undefined || (item.dateSent !== null && item.dateSent >= sentAfter))
      .sort((a, b) => b.dateCreated - a.dateCreated)
      .slice(0, pageSize);
    return {
      [resource]: found.map(resource === 'calls' ? callJson : messageJson),
      page: 0,
      page_size: pageSize,
      uri: `/2010-04-01/Accounts/${ACCOUNT_SID}/${resource === 'calls' ? 'Calls' : 'Messages'}.json`,
      first_page_uri: null,
      next_page_uri: null,
      previous_page_uri: null,
      start: 0,
      end: found.length,
    };
  }

  /** The hub's requests to create a message (every attempt, also those that failed). */
  messages(): RecordedRequest[] {
    return this.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/Messages.json'));
  }

  calls(): RecordedRequest[] {
    return this.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/Calls.json'));
  }

  /** The hub's list queries: asking whether a send it lost the answer to went out. */
  lookups(): RecordedRequest[] {
    return this.requests.filter((request) => request.method === 'GET');
  }

  async stop(): Promise<void> {
    const server = this.server;
    server?.closeAllConnections();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const rfc2822 = (at: number | null) => (at === null ? null : new Date(at).toUTCString().replace('GMT', '+0000'));

function messageJson(message: CreatedResource): Record<string, unknown> {
  return {
    sid: message.sid,
    account_sid: ACCOUNT_SID,
    to: message.to,
    from: message.from,
    body: message.body,
    status: message.status,
    num_segments: '1',
    direction: 'outbound-api',
    api_version: '2010-04-01',
    date_created: rfc2822(message.dateCreated),
    date_sent: rfc2822(message.dateSent),
    error_code: null,
    error_message: null,
    uri: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${message.sid}.json`,
  };
}

function callJson(call: CreatedResource): Record<string, unknown> {
  return {
    sid: call.sid,
    account_sid: ACCOUNT_SID,
    to: call.to,
    from: call.from,
    status: call.status,
    direction: 'outbound-api',
    api_version: '2010-04-01',
    date_created: rfc2822(call.dateCreated),
    start_time: rfc2822(call.dateSent),
    uri: `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${call.sid}.json`,
  };
}
