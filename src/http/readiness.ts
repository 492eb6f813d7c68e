import { migrationsCurrent, type Db } from '../core/db';
import type { StoreHealth } from '../core/store-health';

/** What /readyz answers: 200 with `ready`, or 503 with why not. */
export type ReadyState = { ready: true; status: 'ready' } | { ready: false; status: 'stopping' | 'store not writable' | 'migrations pending'; reason?: string };

/**
 * Ready means a load balancer may send this hub requests: it is not stopping (503 from the first
 * moment of a stop, while it still serves, so traffic moves away before the server closes), the
 * store takes writes, and every migration has run.
 */
export function readiness(deps: { db: Db; store: StoreHealth; stopping: () => boolean }): () => Promise<ReadyState> {
  return async () => {
    if (deps.stopping()) return { ready: false, status: 'stopping' };
    const store = await deps.store.check();
    if (!store.writable) return { ready: false, status: 'store not writable', reason: store.reason };
    try {
      return (await migrationsCurrent(deps.db)) ? { ready: true, status: 'ready' } : { ready: false, status: 'migrations pending' };
    } catch (error) {
      return { ready: false, status: 'store not writable', reason: error instanceof Error ? error.message : String(error) };
    }
  };
}
