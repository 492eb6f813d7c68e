import pino from 'pino';
import type { Db } from '../core/db';
import { claimJobs, releaseJob, type ClaimedRow } from './job-store';
import type { JobLogger } from './logger';
import { runClaimedJob, type JobHandler, type JobRunContext } from './run-job';

export type { JobHandler } from './run-job';
export type { JobLogger } from './logger';

export interface JobWorkerOptions {
  db: Db;
  handlers: ReadonlyMap<string, JobHandler>;
  /** Unique per process (e.g. host:pid); it fences this worker's writes to the jobs it holds. */
  workerId: string;
  /** How long a claim lasts without renewal; a dead worker's jobs are re-run after this. Default 30 s. */
  leaseMs?: number;
  /** Wait between polls when nothing was due, and after an error. Default 500 ms. */
  pollMs?: number;
  /** Jobs claimed per poll. Default 10. */
  batchSize?: number;
  clock?: () => number;
  logger?: JobLogger;
}

/**
 * Polls the jobs table and runs what is due, one job at a time: sequential runs keep the
 * SQLite single connection free of overlapping transactions, and throughput comes from more
 * worker processes (PostgreSQL), not from parallelism inside one.
 */
export class JobWorker {
  private readonly ctx: JobRunContext;
  private readonly workerId: string;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly inFlight = new Set<Promise<number>>();

  constructor(options: JobWorkerOptions) {
    this.workerId = options.workerId;
    this.pollMs = options.pollMs ?? 500;
    this.batchSize = options.batchSize ?? 10;
    this.ctx = {
      db: options.db,
      handlers: options.handlers,
      leaseMs: options.leaseMs ?? 30_000,
      clock: options.clock ?? Date.now,
      logger: options.logger ?? pino({ name: 'jobs' }),
    };
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.runLoop();
  }

  /** Stops claiming, hands back claimed jobs not yet started, and waits for the running one. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Claims what is due now, once, and runs it; returns how many jobs ran. */
  runDue(): Promise<number> {
    const run = this.claimAndRun();
    this.inFlight.add(run);
    const forget = () => this.inFlight.delete(run);
    run.then(forget, forget);
    return run;
  }

  private async claimAndRun(): Promise<number> {
    if (this.stopping) return 0;
    const { db, leaseMs, clock } = this.ctx;
    const jobs = await claimJobs(db, { workerId: this.workerId, now: clock(), leaseMs, limit: this.batchSize });
    let ran = 0;
    for (const job of jobs) {
      if (this.stopping) {
        await this.release(jobs.slice(ran));
        break;
      }
      await runClaimedJob(this.ctx, job);
      ran += 1;
    }
    return ran;
  }

  private async release(jobs: ClaimedRow[]): Promise<void> {
    for (const job of jobs) {
      try {
        await releaseJob(this.ctx.db, job);
      } catch (error) {
        // Not fatal: the lease runs out and another worker takes the job.
        this.ctx.logger.warn({ jobId: job.id, err: error }, 'could not release claimed job');
      }
    }
  }

  private async runLoop(): Promise<void> {
    while (!this.stopping) {
      let delay = this.pollMs;
      try {
        // A full batch means more may be waiting: go again at once.
        if ((await this.runDue()) >= this.batchSize) delay = 0;
      } catch (error) {
        // Typically the database is unreachable; keep polling rather than crash the process.
        this.ctx.logger.error({ err: error, workerId: this.workerId }, 'job poll failed');
      }
      if (delay > 0 && !this.stopping) await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
