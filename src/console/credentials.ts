import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Db } from '../core/db';

/** scrypt with N=2^15, r=8, p=1 (OWASP's minimum is 2^17 for memory-hard; 2^15 keeps a login under ~100 ms on 2 cores). */
const PARAMS = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 };
/** This many wrong passwords for one agent from one client address within `minutes` lock that address out for that agent. */
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
  const row = { password_hash: await hashPassword(args.password), updated_at: args.now };
  await db('agent_credentials').insert({ agent_id: args.agentId, ...row }).onConflict('agent_id').merge(row);
}

export type LoginCheck = { outcome: 'ok' } | { outcome: 'wrong' } | { outcome: 'locked'; until: number };

/**
 * Checks a login. Wrong passwords count per agent and client address: the fifth within 15
 * minutes locks that address out for that agent (also against the right password) until the
 * oldest of the five is 15 minutes old, so a stranger elsewhere cannot lock an agent out. A
 * success clears that address's count. An unknown agent is counted and hashed like a known one,
 * so neither the answer nor its timing tells which agents exist.
 */
export async function checkLogin(db: Db, args: { agentId: string; password: string; client: string; now: number }): Promise<LoginCheck> {
  const window = LOCKOUT.minutes * 60_000;
  const failures = db('console_login_failures').where({ agent_id: args.agentId, client: args.client });
  await failures.clone().where('at', '<=', args.now - window).delete();
  const recent: number[] = (await failures.clone().orderBy('at').select('at')).map((row: { at: number }) => Number(row.at));
  const lockedUntil = (times: number[]) => (times.length >= LOCKOUT.attempts ? (times.at(-LOCKOUT.attempts) as number) + window : undefined);
  const locked = lockedUntil(recent);
  if (locked !== undefined) return { outcome: 'locked', until: locked };

  const row: { password_hash: string } | undefined = await db('agent_credentials').where({ agent_id: args.agentId }).first('password_hash');
  const right = await verifyPassword(args.password, row?.password_hash ?? DUMMY_HASH);
  if (right && row) {
    await failures.clone().delete();
    return { outcome: 'ok' };
  }
  await db('console_login_failures').insert({ agent_id: args.agentId, client: args.client, at: args.now });
  const lock = lockedUntil([...recent, args.now]);
  return lock === undefined ? { outcome: 'wrong' } : { outcome: 'locked', until: lock };
}

/** Lifts every lock-out of an agent (`npm run agent -- unlock <agentId>`). Returns how many failures were forgotten. */
export async function unlockAgent(db: Db, agentId: string): Promise<number> {
  return db('console_login_failures').where({ agent_id: agentId }).delete();
}

const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
