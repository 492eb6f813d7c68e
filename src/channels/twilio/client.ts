import twilio from 'twilio';
import type { HubEnv } from '../../config/env';
import { retryAfterMs, SendFailure } from '../../core/send-failure';

/**
 * Twilio's REST calls give up after this. It must stay below the job lease (src/jobs/worker.ts):
 * a job taken over from a worker that died then never races a call that worker still had open.
 */
export const REQUEST_TIMEOUT_MS = 3_000;

/** A call that reached Twilio and was answered with an error status. */
export class TwilioApiError extends Error {
  override name = 'TwilioApiError';
  constructor(
    readonly status: number,
    /** Twilio's own code, e.g. 21211 (invalid 'To' number), 20429 (too many requests). */
    readonly code: number | undefined,
    message: string,
    readonly retryAfter: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Every REST call of the hub's client: to `TWILIO_API_URL` instead of Twilio's hosts when it is
 * set (keeping path and query: the client has no base-URL option), and an error status turned
 * into a TwilioApiError that keeps what the SDK's own exception drops, the `Retry-After` header.
 */
class HubRequestClient extends twilio.RequestClient {
  constructor(private readonly base: string | undefined) {
    super({ timeout: REQUEST_TIMEOUT_MS });
  }

  override async request<TData>(opts: Parameters<twilio.RequestClient['request']>[0] & { data?: TData }) {
    const response = await super.request<TData>({ ...opts, uri: this.base ? redirect(opts.uri, this.base) : opts.uri });
    if (response.statusCode >= 400) {
      const body = parseBody(response.body);
      const header = (response.headers as Record<string, string | undefined> | undefined)?.['retry-after'];
      throw new TwilioApiError(response.statusCode, body.code, body.message ?? `HTTP ${response.statusCode}`, header);
    }
    return response;
  }
}

function redirect(uri: string, base: string): string {
  const original = new URL(uri);
  const target = new URL(base);
  return `${target.origin}${target.pathname.replace(/\/$/, '')}${original.pathname}${original.search}`;
}

function parseBody(body: unknown): { code?: number; message?: string } {
  try {
    const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { code?: unknown; message?: unknown } | null;
    return { code: typeof parsed?.code === 'number' ? parsed.code : undefined, message: typeof parsed?.message === 'string' ? parsed.message : undefined };
  } catch {
    return {};
  }
}

/** Network errors after which Twilio cannot have acted: the request never reached it. */
const NEVER_ARRIVED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * A Twilio failure in the hub's terms. 429 and 5xx are Twilio's own trouble and pass; 401 and 403
 * are credentials an operator can mend, so they are tried again too. Any other 4xx is about this
 * message (an invalid number, 21211; an unsubscribed one, 21610) and fails at once. A timeout or
 * a connection lost mid-request leaves unknown whether Twilio took it.
 */
export function twilioFailure(error: unknown, now: number): SendFailure {
  if (error instanceof TwilioApiError) {
    const code = error.code === undefined ? String(error.status) : String(error.code);
    const message = `Twilio ${error.status}: ${error.message}`;
    if (error.status === 429) return new SendFailure(message, { permanent: false, maybeSent: false, retryAfterMs: retryAfterMs(error.retryAfter, now), code });
    if (error.status >= 500) return new SendFailure(message, { permanent: false, maybeSent: true, retryAfterMs: retryAfterMs(error.retryAfter, now), code });
    if (error.status === 401 || error.status === 403) return new SendFailure(message, { permanent: false, maybeSent: false, code });
    return new SendFailure(message, { permanent: true, maybeSent: false, code });
  }
  const network = error as { code?: string; message?: string };
  const message = `Twilio unreachable: ${network.code ?? ''} ${network.message ?? String(error)}`.trim();
  return new SendFailure(message, { permanent: false, maybeSent: !NEVER_ARRIVED.has(network.code ?? ''), code: network.code });
}

/**
 * How far Twilio's clock and ours may differ, and the margin before a send started in which a
 * message or call found at Twilio still counts as that send's.
 */
export const CLOCK_SKEW_MS = 60_000;

/** Twilio's date filters take a day (`DateSent>=2026-11-24`): the day the window starts, in UTC. */
export function dayOf(at: number): Date {
  const day = new Date(at);
  day.setUTCHours(0, 0, 0, 0);
  return day;
}

export interface TwilioAccount {
  client: twilio.Twilio;
  /** The hub's number, E.164: sender of every outbound SMS and call. */
  phoneNumber: string;
}

/** One client for the process; undefined when SID, token or number is missing (outbox mode). */
export function createTwilioAccount(env: HubEnv): TwilioAccount | undefined {
  const { TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: token, TWILIO_PHONE_NUMBER: phoneNumber } = env;
  if (!sid || !token || !phoneNumber) return undefined;
  return { client: twilio(sid, token, { httpClient: new HubRequestClient(env.TWILIO_API_URL) }), phoneNumber };
}
