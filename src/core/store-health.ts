import { isPostgres, isStoreUnavailable, type Db } from './db';

/**
 * A write that failed because of the store is believed over the probe for this long: on a full
 * disk the probe's one small row may still fit in space the store holds, while the webhooks' do not.
 */
const FAULT_MEMORY_MS = 10_000;
/** A store that does not answer the probe in this time is not ready, whatever it answers later. */
const PROBE_TIMEOUT_MS = 2_000;
/** SQLite: how often the WAL is written back into the database and cut back to nothing. */
const CHECKPOINT_EVERY_MS = 60_000;

export type StoreState = { writable: true } | { writable: false; reason: string };

/**
 * Whether the store takes writes, for /readyz: "reachable" is not enough (a full disk answers
 * every read and refuses every write). Watches the store's answers to real writes, and writes a
 * row of its own when asked. On SQLite it also keeps the WAL small: a checkpoint a minute that
 * truncates it, so a WAL that grew while the disk was full gives the space back.
 */
export class StoreHealth {
  private fault: { at: number; reason: string } | undefined;
  private checkpoints: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly clock: () => number,
  ) {
    db.on('query-error', (error: unknown, query: { sql?: unknown }) => {
      if (isWrite(query.sql) && isStoreUnavailable(error)) this.fault = { at: clock(), reason: error instanceof Error ? error.message : String(error) };
    });
  }

  async check(): Promise<StoreState> {
    const now = this.clock();
    if (this.fault && now - this.fault.at < FAULT_MEMORY_MS) return { writable: false, reason: this.fault.reason };
    try {
      await withTimeout(this.db('store_probe').insert({ id: 1, at: now }).onConflict('id').merge(), PROBE_TIMEOUT_MS);
      this.fault = undefined;
      return { writable: true };
    } catch (error) {
      return { writable: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  startMaintenance(): void {
    if (isPostgres(this.db) || this.checkpoints) return;
    this.checkpoints = setInterval(() => {
      this.db.raw('PRAGMA wal_checkpoint(TRUNCATE)').catch(() => undefined); // busy or full: the next minute tries again
    }, CHECKPOINT_EVERY_MS);
    this.checkpoints.unref();
  }

  stopMaintenance(): void {
    clearInterval(this.checkpoints);
    this.checkpoints = undefined;
  }
}

function isWrite(sql: unknown): boolean {
  return typeof sql === 'string' && /^\s*(insert|update|delete|commit|savepoint|release)\b/i.test(sql);
}

function withTimeout<T>(work: PromiseLike<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the store did not answer within ${ms} ms`)), ms);
    Promise.resolve(work).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
