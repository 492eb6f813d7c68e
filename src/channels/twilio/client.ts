import twilio from 'twilio';
import type { HubEnv } from '../../config/env';

/** Twilio's REST calls run inside a job's transaction: fail fast rather than hold it for 30 s. */
const REQUEST_TIMEOUT_MS = 5_000;

/**
 * Sends every REST call to `TWILIO_API_URL` instead of Twilio's hosts (api.twilio.com,
 * messaging.twilio.com, ...), keeping path and query: the client has no base-URL option.
 */
class RedirectingRequestClient extends twilio.RequestClient {
  constructor(private readonly base: string) {
    super({ timeout: REQUEST_TIMEOUT_MS });
  }

  override request<TData>(opts: Parameters<twilio.RequestClient['request']>[0] & { data?: TData }) {
    const original = new URL(opts.uri);
    const target = new URL(this.base);
    const basePath = target.pathname.replace(/\/$/, '');
    return super.request<TData>({ ...opts, uri: `${target.origin}${basePath}${original.pathname}${original.search}` });
  }
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
  const httpClient = env.TWILIO_API_URL ? new RedirectingRequestClient(env.TWILIO_API_URL) : new twilio.RequestClient({ timeout: REQUEST_TIMEOUT_MS });
  return { client: twilio(sid, token, { httpClient }), phoneNumber };
}
