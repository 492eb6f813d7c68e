import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { DbOrTrx } from '../core/db';
import type { Identity } from '../core/identity';

/** An address a code can be sent to: an email address or a phone number, normalized. */
export type CodeAddress = Identity & { kind: 'email' | 'phone' };

/** SPEC: a code is valid 15 minutes and for 5 tries; at most 3 codes an hour per address and per session. */
export const CODE_RULES = { lifetimeMs: 15 * 60_000, tries: 5, perHour: 3 } as const;
const HOUR = 3_600_000;

export interface StoredCode {
  id: number;
  address: CodeAddress;
  tries: number;
  expiresAt: number;
  proven: boolean;
}

export type IssueOutcome = { outcome: 'issued'; code: string } | { outcome: 'rate_limited'; retryAfterMs: number };

/** wrong_code: `triesLeft` more may be tried; too_many_tries: the code is dead, only a new one helps. */
export type AttemptOutcome = { outcome: 'proven' } | { outcome: 'wrong_code'; triesLeft: number } | { outcome: 'code_expired' } | { outcome: 'too_many_tries' };

/**
 * Stores a new 6-digit code for an address of a chat session, unless the address or the session
 * had 3 codes in the past hour (counted in the store, so every hub instance shares the limit;
 * the caller holds the locks that keep two requests from both counting 2). The code is returned
 * once, to be sent; only its hash is kept.
 */
export async function issueCode(db: DbOrTrx, args: { sessionId: string; address: CodeAddress; now: number }): Promise<IssueOutcome> {
  const since = args.now - HOUR;
  for (const scope of [{ kind: args.address.kind, value: args.address.value }, { session_id: args.sessionId }]) {
    const [row] = await db('verification_codes').where(scope).where('created_at', '>', since).count({ n: '*' }).min({ oldest: 'created_at' });
    // Example: codes at 10:00, 10:20, 10:40 → a fourth at 10:50 is refused until 11:00.
    if (Number(row?.n ?? 0) >= CODE_RULES.perHour) return { outcome: 'rate_limited', retryAfterMs: Number(row?.oldest) + HOUR - args.now };
  }
  const code = String(randomInt(1_000_000)).padStart(6, '0');
  await db('verification_codes').insert({
    session_id: args.sessionId,
    kind: args.address.kind,
    value: args.address.value,
    code_hash: codeHash(args.sessionId, args.address, code),
    created_at: args.now,
    expires_at: args.now + CODE_RULES.lifetimeMs,
  });
  return { outcome: 'issued', code };
}

/** The session's newest code: the only one that counts (asking again makes earlier codes worthless). */
export async function newestCode(db: DbOrTrx, sessionId: string): Promise<StoredCode | undefined> {
  const row: { id: number; kind: CodeAddress['kind']; value: string; tries: number; expires_at: number; proven_at: number | null } | undefined = await db('verification_codes')
    .where({ session_id: sessionId })
    .orderBy('id', 'desc')
    .first('id', 'kind', 'value', 'tries', 'expires_at', 'proven_at');
  return row && { id: row.id, address: { kind: row.kind, value: row.value }, tries: Number(row.tries), expiresAt: Number(row.expires_at), proven: row.proven_at !== null };
}

/**
 * One try of a typed code. Every try is counted before the code is compared, by one conditional
 * update: a hundred guesses sent at once still get five tries between them.
 */
export async function attemptCode(db: DbOrTrx, args: { sessionId: string; stored: StoredCode; typed: string; now: number }): Promise<AttemptOutcome> {
  const { stored } = args;
  if (stored.tries >= CODE_RULES.tries) return { outcome: 'too_many_tries' };
  if (args.now >= stored.expiresAt) return { outcome: 'code_expired' };
  const counted = await db('verification_codes').where({ id: stored.id, proven_at: null }).where('tries', '<', CODE_RULES.tries).increment('tries', 1);
  if (counted === 0) return { outcome: 'too_many_tries' };
  const row: { code_hash: string; tries: number } = await db('verification_codes').where({ id: stored.id }).first('code_hash', 'tries');
  if (!sameHash(row.code_hash, codeHash(args.sessionId, stored.address, args.typed))) return { outcome: 'wrong_code', triesLeft: CODE_RULES.tries - Number(row.tries) };
  await db('verification_codes').where({ id: stored.id }).update({ proven_at: args.now });
  return { outcome: 'proven' };
}

/**
 * The session and the address salt the hash: the same code sent to two people hashes
 * differently. A million codes can still be tried offline; a code lives 15 minutes, and a store
 * that leaks has given away more than a code.
 */
function codeHash(sessionId: string, address: CodeAddress, code: string): string {
  return createHash('sha256').update(`klachtenhub-code:${sessionId}:${address.kind}:${address.value}:${code}`).digest('hex');
}

function sameHash(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}
