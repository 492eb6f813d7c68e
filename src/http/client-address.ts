import { createHash } from 'node:crypto';
import type { Request } from 'express';

/**
 * Who a request comes from, for limits and lock-outs: the client's address as the trusted proxy
 * reports it (`TRUST_PROXY`), else the socket's. Kept as a hash: the store needs to count, not
 * to know the address. `purpose` keeps one count's keys from matching another's.
 */
export function clientKey(req: Request, purpose: string): string {
  return createHash('sha256').update(`klachtenhub-${purpose}:${req.ip ?? req.socket.remoteAddress ?? ''}`).digest('hex');
}
