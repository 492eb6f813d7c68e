import type { Db } from '../core/db';
import { extendLease, type ClaimedRow } from './job-store';
import type { JobLogger } from './logger';

/**
 * Keeps a running job's lease alive while its handler works, so a slow but alive worker keeps
 * its job and only a dead one loses it. Renews every third of the lease: two renewals can be
 * slow or fail before the lease runs out.
 *
 * The renewal is a separate statement on `db`, outside the handler's transaction (a write in
 * that transaction would be invisible to other workers until commit). On SQLite the one pooled
 * connection is held by that transaction, so a renewal simply waits until the job ends; nobody
 * can claim the job meanwhile either, for the same reason. Nothing awaits a renewal except
 * stop(), so that wait cannot deadlock.
 */
export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly job: ClaimedRow,
    private readonly leaseMs: number,
    private readonly clock: () => number,
    private readonly logger: JobLogger,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.renew(), Math.max(1, Math.floor(this.leaseMs / 3)));
    this.timer.unref(); // a pending renewal never keeps the process alive on its own
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing;
  }

  private renew(): void {
    if (this.renewing) return; // one at a time: a slow database must not pile up renewals
    const job = this.job;
    this.renewing = extendLease(this.db, job, this.clock() + this.leaseMs)
      .then((kept) => {
        if (!kept && this.timer) this.logger.warn({ jobId: job.id, attempt: job.attempts }, 'job lease was lost while running');
      })
      .catch((error: unknown) => {
        this.logger.warn({ jobId: job.id, err: error }, 'could not extend job lease');
      })
      .finally(() => {
        this.renewing = undefined;
      });
  }
}
