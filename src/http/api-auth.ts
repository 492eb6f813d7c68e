import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { HttpError } from './errors';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;

/**
 * Without API_TOKEN, only a request made on this machine for this machine: from a loopback
 * address (the socket's, whatever a proxy says), naming a loopback host (a DNS-rebinding page
 * names its own), and not forwarded (a reverse proxy on the same host connects from loopback too).
 */
function isLocalRequest(req: Request): boolean {
  return LOOPBACK.has(req.socket.remoteAddress ?? '') && LOOPBACK_HOST.test(req.get('host') ?? '') && !req.get('x-forwarded-for') && !req.get('forwarded');
}

/**
 * `Authorization: Bearer $API_TOKEN`. Without a configured token the API answers only local
 * requests (above), so a hub tried out locally is not an open door on the network.
 */
export function apiAuth(apiToken: string | undefined): RequestHandler {
  const expected = apiToken ? Buffer.from(apiToken) : undefined;
  return (req, _res, next) => {
    if (!expected) {
      if (isLocalRequest(req)) return next();
      return next(new HttpError(403, 'forbidden', 'until API_TOKEN is set, the API answers only requests made on this machine to localhost, not forwarded ones'));
    }
    const presented = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    const given = Buffer.from(presented ?? '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return next();
    next(new HttpError(401, 'unauthorized', 'missing or wrong bearer token'));
  };
}
