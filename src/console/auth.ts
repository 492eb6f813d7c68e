import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { AgentConfig } from '../config/hub-config';
import type { HubContext } from '../context';
import { HttpError } from '../http/errors';
import { consoleSession } from './sessions';

export const SESSION_COOKIE = 'kh_console';
export const LOGIN_COOKIE = 'kh_login';

/** Who is logged in, for the pages and actions after `requireLogin`. */
export interface ConsoleUser {
  agent: AgentConfig;
  csrfToken: string;
  sessionToken: string;
}

export type ConsoleRequest = Request & { user?: ConsoleUser };

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

export function cookieOptions(ctx: HubContext, maxAgeMs?: number) {
  return { httpOnly: true, sameSite: 'lax' as const, secure: ctx.env.PUBLIC_URL.startsWith('https:'), path: '/console', ...(maxAgeMs ? { maxAge: maxAgeMs } : {}) };
}

/** Without a valid session: pages redirect to the login, form posts are refused. */
export function requireLogin(ctx: HubContext) {
  return async (req: ConsoleRequest, res: Response, next: NextFunction) => {
    const token = readCookie(req, SESSION_COOKIE);
    const session = token ? await consoleSession(ctx.db, { token, now: ctx.clock() }) : undefined;
    const agent = session && ctx.config.agents.find((candidate) => candidate.id === session.agentId);
    if (!token || !session || !agent) {
      if (req.method === 'GET') return res.redirect(303, `/console/login?next=${encodeURIComponent(req.originalUrl)}`);
      return next(new HttpError(401, 'unauthorized', 'log in to the console first'));
    }
    req.user = { agent, csrfToken: session.csrfToken, sessionToken: token };
    next();
  };
}

/** Every form carries the session's CSRF token; a post without it, or with another, is refused. */
export function requireCsrf(req: ConsoleRequest, _res: Response, next: NextFunction): void {
  const sent = typeof req.body?.csrf === 'string' ? req.body.csrf : '';
  if (!req.user || !sameSecret(sent, req.user.csrfToken)) return next(new HttpError(403, 'csrf', 'this form has expired or did not come from the console; reload the page and try again'));
  next();
}

export function requireLead(req: ConsoleRequest, _res: Response, next: NextFunction): void {
  if (req.user?.agent.role !== 'lead') return next(new HttpError(403, 'forbidden', 'this page is for team leads'));
  next();
}

export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function newSecret(): string {
  return randomBytes(24).toString('base64url');
}
