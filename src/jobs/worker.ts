import pino from 'pino';
import type { Db } from '../core/db';
import { claimJobs, type ClaimedRow } from './job-store';
import type { JobLogger } from './logger';
import { runClaimedJob, type AnyJobHandler, type JobOutcome, type JobRunContext } from './run-job';

export type { AnyJobHandler, JobHandler, JobSteps, SteppedJob } from './run-job';
export type { JobLogger } from './logger';

/**
 * How long a claim lasts without renewal. A running job renews it every third, so only a dead
 * worker's jobs are taken over: a few seconds after it died. A provider call must end sooner
 * than this (Twilio's client gives up after 3 s), so a job taken over never races a call of the
 * worker that died (see src/outbound/send-job.ts).
 */
export const DEFAULT_LEASE_MS = 4_000;
/** Jobs one process runs at once: callbacks due in the same slot are placed side by side. */
export const DEFAULT_CONCURRENCY = 8;
/** runDue's rounds at most: jobs that enqueue due jobs (a message, then its send) finish in a few. */
const MAX_DRAIN_ROUNDS = 20;

export interface JobWorkerOptions {
  db: Db;
  handlers: ReadonlyMap<string, AnyJobHandler>;
  /** Unique per process (e.g. host:pid); it fences this worker's writes to the jobs it holds. */
  workerId: string;
  /** How long a claim lasts without renewal; a dead worker's jobs are re-run after this. Default 4 s. */
  leaseMs?: number;
  /** Wait between polls when nothing was due, and after an error. Default 500 ms. */
  pollMs?: number;
  /** Jobs run at once. Default 8. */
  concurrency?: number;
  clock?: () => number;
  logger?: JobLogger;
}

/**
 * Polls the jobs table and runs what is due, several jobs at once. A job claims only when a place
 * is free, so nothing claimed waits here while another worker could run it. On SQLite the jobs
 * share the one connection: their transactions take turns, while their provider calls (which
 * happen outside any transaction) overlap.
 */
export class JobWorker {
  private readonly ctx: JobRunContext;
  private readonly workerId: string;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly running = new Map<number, Promise<JobOutcome>>();

  constructor(options: JobWorkerOptions) {
    this.workerId = options.workerId;
    this.pollMs = options.pollMs ?? 500;
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new Error(`concurrency must be a positive integer, got ${this.concurrency}`);
    this.ctx = {
      db: options.db,
      handlers: options.handlers,
      leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
      clock: options.clock ?? Date.now,
      logger: options.logger ?? pino({ name: 'jobs' }),
    };
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.runLoop();
  }

  /** Stops claiming and waits for the running jobs (each bounded by its provider's timeout). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
    await Promise.allSettled([...this.running.values()]);
  }

  /** Runs what is due now, and what those jobs made due, until nothing is; returns how many jobs ran. */
  async runDue(): Promise<number> {
    let ran = 0;
    for (let round = 0; round < MAX_DRAIN_ROUNDS && !this.stopping; round++) {
      const jobs = await this.claim({ limit: this.concurrency });
      if (jobs.length === 0) break;
      await Promise.all(jobs.map((job) => this.run(job)));
      ran += jobs.length;
    }
    return ran;
  }

  /** Runs these jobs (by dedupe key) now if they are due and nobody has them; returns how many ran. */
  async runNow(keys: readonly string[]): Promise<number> {
    if (keys.length === 0 || this.stopping) return 0;
    const jobs = await this.claim({ limit: keys.length, keys });
    await Promise.all(jobs.map((job) => this.run(job)));
    return jobs.length;
  }

  private claim(options: { limit: number; keys?: readonly string[] }): Promise<ClaimedRow[]> {
    const { db, leaseMs, clock } = this.ctx;
    return claimJobs(db, { workerId: this.workerId, now: clock(), leaseMs, running: [...this.running.keys()], ...options });
  }

  private run(job: ClaimedRow): Promise<JobOutcome> {
    const run = runClaimedJob(this.ctx, job).finally(() => {
      this.running.delete(job.id);
      // A place is free, and the job may have made another due (a message's send): claim again.
      this.wake?.();
    });
    this.running.set(job.id, run);
    return run;
  }

  private async runLoop(): Promise<void> {
    while (!this.stopping) {
      const free = this.concurrency - this.running.size;
      let claimed = 0;
      if (free > 0) {
        try {
          const jobs = await this.claim({ limit: free });
          claimed = jobs.length;
          for (const job of jobs) void this.run(job);
        } catch (error) {
          // Typically the database is unreachable; keep polling rather than crash the process.
          this.ctx.logger.error({ err: error, workerId: this.workerId }, 'job poll failed');
        }
      }
      // Every place taken: a finishing job wakes us. A full claim: more may be due, go again at once.
      if (this.stopping || (free > 0 && claimed === free)) continue;
      await this.pause(this.pollMs);
    }
  }

  private pause(ms: number): Promise<void> {
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
