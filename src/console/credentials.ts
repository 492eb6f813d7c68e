import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Db } from '../core/db';

/** scrypt with N=2^15, r=8, p=1 (OWASP's minimum is 2^17 for memory-hard; 2^15 keeps a login under ~100 ms on 2 cores). */
const PARAMS = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 };
export const MIN_PASSWORD_LENGTH = 10;
/** After this many wrong passwords in a row, the account waits. */
export const LOCKOUT = { attempts: 5, minutes: 15 };

function scrypt(password: string, salt: Buffer, params: { N: number; r: number; p: number; keyLength: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 128 * params.N * params.r * 2 };
  return new Promise((resolve, reject) => scryptCallback(password, salt, params.keyLength, options, (error, key) => (error ? reject(error) : resolve(key))));
}

/** `scrypt$N$r$p$salt$key` (base64): the parameters travel with the hash, so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p), keyLength: expected.length });
  return timingSafeEqual(actual, expected);
}

export async function setPassword(db: Db, args: { agentId: string; password: string; now: number }): Promise<void> {
  const row = { password_hash: await hashPassword(args.password), failed_attempts: 0, locked_until: null, updated_at: args.now };
  await db('agent_credentials').insert({ agent_id: args.agentId, ...row }).onConflict('agent_id').merge(row);
}

export type LoginCheck = { outcome: 'ok' } | { outcome: 'wrong' } | { outcome: 'locked'; until: number };

/**
 * Checks a login. Wrong passwords are counted; the fifth in a row locks the account for 15
 * minutes (also against the right password), and a success resets the count. An unknown agent
 * costs the same hashing as a known one, so timing does not tell which agents exist.
 */
export async function checkLogin(db: Db, args: { agentId: string; password: string; now: number }): Promise<LoginCheck> {
  const row: { password_hash: string; failed_attempts: number; locked_until: number | null } | undefined = await db('agent_credentials')
    .where({ agent_id: args.agentId })
    .first('password_hash', 'failed_attempts', 'locked_until');
  if (!row) {
    await verifyPassword(args.password, DUMMY_HASH);
    return { outcome: 'wrong' };
  }
  if (row.locked_until !== null && Number(row.locked_until) > args.now) return { outcome: 'locked', until: Number(row.locked_until) };
  if (await verifyPassword(args.password, row.password_hash)) {
    await db('agent_credentials').where({ agent_id: args.agentId }).update({ failed_attempts: 0, locked_until: null });
    return { outcome: 'ok' };
  }
  const failed = (row.locked_until !== null ? 0 : row.failed_attempts) + 1;
  const lock = failed >= LOCKOUT.attempts ? args.now + LOCKOUT.minutes * 60_000 : null;
  await db('agent_credentials').where({ agent_id: args.agentId }).update({ failed_attempts: lock ? 0 : failed, locked_until: lock });
  return lock ? { outcome: 'locked', until: lock } : { outcome: 'wrong' };
}

const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
