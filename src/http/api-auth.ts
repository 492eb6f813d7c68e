import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './errors';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * `Authorization: Bearer $API_TOKEN`. Without a configured token the API answers only on
 * loopback, so a hub tried out locally is not an open door on the network.
 */
export function apiAuth(apiToken: string | undefined): RequestHandler {
  const expected = apiToken ? Buffer.from(apiToken) : undefined;
  return (req, _res, next) => {
    if (!expected) {
      if (LOOPBACK.has(req.socket.remoteAddress ?? '')) return next();
      return next(new HttpError(403, 'forbidden', 'the API is only open on loopback until API_TOKEN is set'));
    }
    const presented = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    const given = Buffer.from(presented ?? '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return next();
    next(new HttpError(401, 'unauthorized', 'missing or wrong bearer token'));
  };
}
