import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../core/db';

/** A working day and a bit: an agent logs in once per shift. */
export const SESSION_HOURS = 12;

export interface ConsoleSession {
  agentId: string;
  csrfToken: string;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/** The cookie value is shown once; the store keeps its hash, so a copy of the database logs nobody in. */
export async function startConsoleSession(db: Db, args: { agentId: string; now: number }): Promise<{ token: string; session: ConsoleSession }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  await db('console_sessions').insert({ id_hash: hash(token), agent_id: args.agentId, csrf_token: csrfToken, created_at: args.now, expires_at: args.now + SESSION_HOURS * 3_600_000 });
  return { token, session: { agentId: args.agentId, csrfToken } };
}

export async function consoleSession(db: Db, args: { token: string; now: number }): Promise<ConsoleSession | undefined> {
  const row: { agent_id: string; csrf_token: string } | undefined = await db('console_sessions')
    .where({ id_hash: hash(args.token) })
    .where('expires_at', '>', args.now)
    .first('agent_id', 'csrf_token');
  return row && { agentId: row.agent_id, csrfToken: row.csrf_token };
}

export async function endConsoleSession(db: Db, token: string): Promise<void> {
  await db('console_sessions').where({ id_hash: hash(token) }).delete();
}
