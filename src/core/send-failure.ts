import type { SentPart } from './outbound';

/**
 * Why a provider did not take a message or call, in the hub's own terms (each adapter maps its
 * provider's errors onto this). Transient: a 5xx, a 429, a timeout, a lost connection; tried again
 * for as long as the promise the send serves allows. Permanent: an invalid number, a refused
 * address; trying again cannot help, so the send fails at once.
 */
export class SendFailure extends Error {
  override name = 'SendFailure';
  readonly permanent: boolean;
  /** The provider may have acted on it although it answered no (a timeout, a 5xx): ask it before sending again. */
  readonly maybeSent: boolean;
  /** The provider's `Retry-After`. */
  readonly retryAfterMs: number | undefined;
  /** The provider's error code (Twilio's 21211, an SMTP reply code), for the timeline. */
  readonly code: string | undefined;
  /** Parts of the message the provider accepted before it failed (a long SMS is several messages). */
  readonly sent: readonly SentPart[];

  constructor(message: string, options: { permanent: boolean; maybeSent: boolean; retryAfterMs?: number; code?: string; sent?: readonly SentPart[] }) {
    super(message);
    this.permanent = options.permanent;
    this.maybeSent = options.maybeSent;
    this.retryAfterMs = options.retryAfterMs;
    this.code = options.code;
    this.sent = options.sent ?? [];
  }

  /** The same failure, knowing which parts had gone out before it. */
  after(sent: readonly SentPart[]): SendFailure {
    return new SendFailure(this.message, { permanent: this.permanent, maybeSent: this.maybeSent, retryAfterMs: this.retryAfterMs, code: this.code, sent });
  }
}

/** `Retry-After` in seconds or as an HTTP date (RFC 9110), as milliseconds from `now`. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
