import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** An emailed offer link works this long: long enough for a reply after a weekend. */
export const OFFER_LINK_VALID_MS = 7 * 24 * 60 * 60_000;

export type OfferTokenCheck = { ok: true; threadId: number } | { ok: false; reason: 'invalid' | 'expired' };

/**
 * Signed links to the callback booking page (`/callbacks/offer?token=...`), e.g. in the
 * acknowledgement email. The token names the thread and when it expires, signed with HMAC-SHA256:
 * unguessable, unforgeable, and not tied to one hub process when CALLBACK_LINK_SECRET is shared.
 */
export class OfferLinks {
  private readonly secret: Buffer;

  constructor(private readonly options: { secret: string | undefined; publicUrl: string }) {
    // Without a configured secret the links still work, but only until this process restarts.
    this.secret = options.secret ? Buffer.from(options.secret, 'utf8') : randomBytes(32);
  }

  get ephemeral(): boolean {
    return !this.options.secret;
  }

  linkFor(threadId: number, now: number): string {
    const payload = Buffer.from(JSON.stringify({ t: threadId, e: now + OFFER_LINK_VALID_MS })).toString('base64url');
    return `${this.options.publicUrl}/callbacks/offer?token=${payload}.${this.sign(payload)}`;
  }

  check(token: string, now: number): OfferTokenCheck {
    const [payload, signature] = token.split('.');
    if (!payload || !signature) return { ok: false, reason: 'invalid' };
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { t?: unknown; e?: unknown };
    if (typeof claims.t !== 'number' || typeof claims.e !== 'number') return { ok: false, reason: 'invalid' };
    return claims.e < now ? { ok: false, reason: 'expired' } : { ok: true, threadId: claims.t };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}
