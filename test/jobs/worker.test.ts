import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { openDb, type Db } from '../../src/core/db';
import { claimJobs } from '../../src/jobs/job-store';
import { LeaseKeeper } from '../../src/jobs/lease';
import { enqueueJob, type ClaimedJob, type JobSpec } from '../../src/jobs/queue';
import { runClaimedJob, type JobRunContext } from '../../src/jobs/run-job';
import { JobWorker, type AnyJobHandler, type JobHandler, type JobLogger, type SteppedJob } from '../../src/jobs/worker';
import { createTestDb, storeName, type TestDb } from '../helpers/db';

interface JobRow {
  id: number;
  state: string;
  run_at: number;
  attempts: number;
  max_attempts: number;
  lease_until: number | null;
  locked_by: string | null;
  last_error: string | null;
  finished_at: number | null;
}

/** Collects log lines instead of printing them, so tests can look at what was logged. */
function recordingLogger(): JobLogger & { lines: { level: string; msg?: string }[] } {
  const lines: { level: string; msg?: string }[] = [];
  return {
    lines,
    info: (_obj, msg) => lines.push({ level: 'info', msg }),
    warn: (_obj, msg) => lines.push({ level: 'warn', msg }),
    error: (_obj, msg) => lines.push({ level: 'error', msg }),
  };
}

describe(`jobs: queue and worker (${storeName})`, () => {
  let t: TestDb;
  let db: Db;
  let now: number;
  const clock = () => now;
  let logger: ReturnType<typeof recordingLogger>;

  beforeEach(async () => {
    t = await createTestDb();
    db = t.db;
    now = Date.UTC(2026, 10, 23, 9, 0, 0);
    logger = recordingLogger();
    // Stands in for the business tables a handler writes to.
    await db.schema.createTable('test_effects', (table) => {
      table.integer('job_id').notNullable();
      table.string('note');
    });
  });

  afterEach(async () => {
    await t.destroy();
  });

  function worker(handlers: Record<string, AnyJobHandler>, options: { workerId?: string; leaseMs?: number; concurrency?: number; clock?: () => number } = {}): JobWorker {
    return new JobWorker({
      db,
      handlers: new Map(Object.entries(handlers)),
      workerId: options.workerId ?? 'w1',
      leaseMs: options.leaseMs ?? 10_000,
      concurrency: options.concurrency,
      pollMs: 10,
      clock: options.clock ?? clock,
      logger,
    });
  }

  function context(handlers: Record<string, AnyJobHandler>): JobRunContext {
    return { db, handlers: new Map(Object.entries(handlers)), leaseMs: 10_000, clock, logger };
  }

  async function enqueue(spec: Partial<JobSpec> = {}): Promise<number> {
    const dedupeKey = spec.dedupeKey ?? `test:${Math.random()}`;
    expect(await enqueueJob(db, { kind: 'effect', payload: { n: 1 }, runAt: now, ...spec, dedupeKey }, now)).to.equal(true);
    const row: { id: number } | undefined = await db('jobs').where({ dedupe_key: dedupeKey }).first('id');
    if (!row) throw new Error('job not inserted');
    return row.id;
  }

  async function job(id: number): Promise<JobRow> {
    const row: JobRow | undefined = await db('jobs').where({ id }).first();
    if (!row) throw new Error(`job ${id} missing`);
    return row;
  }

  async function effectCount(): Promise<number> {
    const [row] = await db('test_effects').count({ n: '*' });
    return Number(row?.n);
  }

  const writeEffect: JobHandler = async (claimed, trx) => {
    await trx('test_effects').insert({ job_id: claimed.id, note: claimed.lockedBy });
  };

  it('ignores a second job with the same dedupe key, also inside a transaction that goes on', async () => {
    const spec: JobSpec = { kind: 'effect', payload: { threadId: 7 }, runAt: now, dedupeKey: 'acknowledge:7' };
    expect(await enqueueJob(db, spec, now)).to.equal(true);
    await db.transaction(async (trx) => {
      expect(await enqueueJob(trx, { ...spec, payload: { threadId: 8 } }, now)).to.equal(false);
      // On PostgreSQL a unique violation would have aborted this transaction; the next insert proves it did not.
      expect(await enqueueJob(trx, { ...spec, dedupeKey: 'acknowledge:8' }, now)).to.equal(true);
    });
    // Jobs without a key are never deduplicated.
    expect(await enqueueJob(db, { kind: 'effect', payload: null, runAt: now }, now)).to.equal(true);
    expect(await enqueueJob(db, { kind: 'effect', payload: null, runAt: now }, now)).to.equal(true);

    const rows: { dedupe_key: string | null; payload: string; max_attempts: number }[] = await db('jobs').orderBy('id').select('dedupe_key', 'payload', 'max_attempts');
    expect(rows.map((row) => row.dedupe_key)).to.deep.equal(['acknowledge:7', 'acknowledge:8', null, null]);
    expect(JSON.parse(rows[0]?.payload ?? '')).to.deep.equal({ threadId: 7 });
    expect(rows[0]?.max_attempts).to.equal(5);
  });

  it('runs a due job once, commits its writes and marks it done', async () => {
    const id = await enqueue({ payload: { name: 'Ann' } });
    const seen: ClaimedJob[] = [];
    const w = worker({
      effect: async (claimed, trx) => {
        seen.push(claimed);
        await writeEffect(claimed, trx);
      },
    });

    expect(await w.runDue()).to.equal(1);
    expect(await w.runDue()).to.equal(0);

    expect(seen).to.have.length(1);
    expect(seen[0]).to.deep.include({ id, kind: 'effect', payload: { name: 'Ann' }, attempts: 1, lockedBy: 'w1', runAt: now, leaseUntil: now + 10_000 });
    expect(await effectCount()).to.equal(1);
    expect(await job(id)).to.deep.include({ state: 'done', attempts: 1, finished_at: now, locked_by: 'w1', last_error: null });
  });

  it('does not run a job before its run_at', async () => {
    const id = await enqueue({ runAt: now + 60_000 });
    const w = worker({ effect: writeEffect });

    expect(await w.runDue()).to.equal(0);
    now += 59_999;
    expect(await w.runDue()).to.equal(0);
    expect(await job(id)).to.deep.include({ state: 'queued', attempts: 0 });
    now += 1;
    expect(await w.runDue()).to.equal(1);
    expect((await job(id)).state).to.equal('done');
  });

  it('retries a failing handler with exponential backoff, then fails it after max attempts', async () => {
    const id = await enqueue({ maxAttempts: 3 });
    let calls = 0;
    const w = worker({
      effect: async () => {
        calls += 1;
        throw new Error(`smtp down (${calls})`);
      },
    });

    expect(await w.runDue()).to.equal(1);
    expect(await job(id)).to.deep.include({ state: 'queued', attempts: 1, run_at: now + 2_000, last_error: 'smtp down (1)', locked_by: null, lease_until: null });

    now += 1_999;
    expect(await w.runDue(), 'not before the backoff').to.equal(0);
    now += 1;
    expect(await w.runDue()).to.equal(1);
    expect(await job(id)).to.deep.include({ state: 'queued', attempts: 2, run_at: now + 4_000, last_error: 'smtp down (2)' });

    now += 4_000;
    expect(await w.runDue()).to.equal(1);
    expect(await job(id)).to.deep.include({ state: 'failed', attempts: 3, finished_at: now, last_error: 'smtp down (3)' });

    now += 24 * 3600_000;
    expect(await w.runDue(), 'a failed job stays failed').to.equal(0);
    expect(calls).to.equal(3);
    expect(logger.lines.filter((line) => line.level === 'error').map((line) => line.msg)).to.deep.equal(['job failed for good']);
  });

  it("rolls back the handler's writes when it throws, and commits them with the retry that succeeds", async () => {
    const id = await enqueue();
    const w = worker({
      effect: async (claimed, trx) => {
        await writeEffect(claimed, trx);
        if (claimed.attempts === 1) throw new Error('template missing');
      },
    });

    expect(await w.runDue()).to.equal(1);
    expect(await effectCount()).to.equal(0);
    expect(await job(id)).to.deep.include({ state: 'queued', last_error: 'template missing' });

    now += 2_000;
    expect(await w.runDue()).to.equal(1);
    expect(await effectCount()).to.equal(1);
    expect((await job(id)).state).to.equal('done');
  });

  it('treats a job kind without a handler as a failure with a clear error', async () => {
    const id = await enqueue({ kind: 'send-fax', maxAttempts: 1 });
    expect(await worker({ effect: writeEffect }).runDue()).to.equal(1);
    expect(await job(id)).to.deep.include({ state: 'failed', last_error: 'no handler registered for job kind "send-fax"' });
  });

  it('re-claims a job whose worker died once its lease has expired', async () => {
    const id = await enqueue();
    const [dead] = await claimJobs(db, { workerId: 'dead', now, leaseMs: 1_000, limit: 10 });
    expect(dead?.id).to.equal(id);
    const w = worker({ effect: writeEffect }, { workerId: 'w2' });

    expect(await w.runDue(), 'lease still valid').to.equal(0);
    now += 1_000;
    expect(await w.runDue(), 'lease ends at lease_until').to.equal(0);
    now += 1;
    expect(await w.runDue()).to.equal(1);
    expect(await job(id)).to.deep.include({ state: 'done', attempts: 2, locked_by: 'w2' });
    expect(await effectCount()).to.equal(1);
  });

  it('fails a job instead of re-running it when the worker died on its last attempt', async () => {
    const id = await enqueue({ maxAttempts: 2 });
    const w = worker({ effect: writeEffect });
    await claimJobs(db, { workerId: 'dead-1', now, leaseMs: 1_000, limit: 10 });
    now += 1_001;
    await claimJobs(db, { workerId: 'dead-2', now, leaseMs: 1_000, limit: 10 });
    now += 1_001;

    expect(await w.runDue()).to.equal(1);
    expect(await effectCount()).to.equal(0);
    const row = await job(id);
    expect(row.state).to.equal('failed');
    expect(row.last_error).to.contain('stopped before finishing');
  });

  it('fences a worker whose lease was taken over: it can neither complete nor fail the job', async () => {
    const id = await enqueue();
    const [stale] = await claimJobs(db, { workerId: 'slow', now, leaseMs: 1_000, limit: 10 });
    now += 1_001;
    const [fresh] = await claimJobs(db, { workerId: 'fast', now, leaseMs: 1_000, limit: 10 });
    if (!stale || !fresh) throw new Error('claims failed');
    expect(fresh).to.deep.include({ id, attempts: 2, lockedBy: 'fast' });

    // The stale worker finishes its handler late: its completion matches no row, so its writes roll back.
    expect(await runClaimedJob(context({ effect: writeEffect }), stale)).to.equal('lost');
    expect(await effectCount()).to.equal(0);
    expect(await job(id)).to.deep.include({ state: 'running', attempts: 2, locked_by: 'fast', last_error: null });

    // Nor can a late failure put the job back in the queue under the new owner's feet.
    const failing: JobHandler = async () => {
      throw new Error('late failure');
    };
    expect(await runClaimedJob(context({ effect: failing }), stale)).to.equal('lost');
    expect(await job(id)).to.deep.include({ state: 'running', attempts: 2, locked_by: 'fast', last_error: null });

    expect(await runClaimedJob(context({ effect: writeEffect }), fresh)).to.equal('done');
    expect(await effectCount()).to.equal(1);
    expect(await job(id)).to.deep.include({ state: 'done', locked_by: 'fast' });
  });

  it('renews the lease of a running job, but not of one taken over', async () => {
    const id = await enqueue();
    const [claimed] = await claimJobs(db, { workerId: 'w1', now, leaseMs: 60, limit: 1 });
    if (!claimed) throw new Error('claim failed');

    const keeper = new LeaseKeeper(db, claimed, 60, clock, logger);
    keeper.start();
    now += 50;
    await sleep(100); // several renewal intervals (every 20 ms)
    await keeper.stop();
    expect((await job(id)).lease_until).to.equal(now + 60);

    now += 61;
    const [other] = await claimJobs(db, { workerId: 'w2', now, leaseMs: 60, limit: 1 });
    const stale = new LeaseKeeper(db, claimed, 60, clock, logger);
    stale.start();
    await sleep(50);
    await stale.stop();
    expect(await job(id)).to.deep.include({ locked_by: 'w2', lease_until: other?.leaseUntil });
  });

  it('keeps a slow handler\'s job from being claimed by another worker while it runs', async () => {
    // Real time here: the lease (100 ms) runs out during the 300 ms handler unless it is renewed.
    now = Date.now();
    await enqueue();
    const handler: JobHandler = async (claimed, trx) => {
      await sleep(300);
      await writeEffect(claimed, trx);
    };
    const slow = worker({ effect: handler }, { workerId: 'slow', leaseMs: 100, clock: Date.now });
    const other = worker({ effect: handler }, { workerId: 'other', leaseMs: 100, clock: Date.now });

    const running = slow.runDue();
    await sleep(200);
    expect(await other.runDue()).to.equal(0);
    expect(await running).to.equal(1);
    expect(await effectCount()).to.equal(1);
    const [row] = await db('jobs').select('state', 'attempts', 'locked_by');
    expect(row).to.deep.equal({ state: 'done', attempts: 1, locked_by: 'slow' });
  });

  it('start() runs jobs in the background; stop() waits for the jobs running and claims no more', async () => {
    await enqueue({ dedupeKey: 'a' });
    const w = worker({ effect: writeEffect });
    w.start();
    for (let i = 0; i < 200 && (await effectCount()) < 1; i += 1) await sleep(10);
    expect(await effectCount()).to.equal(1);
    await w.stop();

    // Three more jobs and one place: the first handler asks the worker to stop while it runs.
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let stopped: Promise<void> | undefined;
    let stopDone = false;
    const gated = worker(
      {
        effect: async (claimed, trx) => {
          stopped ??= gated.stop().then(() => {
            stopDone = true;
          });
          await gate;
          await writeEffect(claimed, trx);
        },
      },
      { workerId: 'w2', concurrency: 1 },
    );
    for (const key of ['b', 'c', 'd']) await enqueue({ dedupeKey: key });
    gated.start();
    for (let i = 0; i < 200 && !stopped; i += 1) await sleep(10);
    await sleep(20);
    expect(stopDone, 'stop() waits for the running handler').to.equal(false);
    release();
    await stopped;

    expect(await effectCount()).to.equal(2);
    const rows: { dedupe_key: string; state: string; attempts: number; locked_by: string | null }[] = await db('jobs').orderBy('id').select('dedupe_key', 'state', 'attempts', 'locked_by');
    expect(rows).to.deep.equal([
      { dedupe_key: 'a', state: 'done', attempts: 1, locked_by: 'w1' },
      { dedupe_key: 'b', state: 'done', attempts: 1, locked_by: 'w2' },
      { dedupe_key: 'c', state: 'queued', attempts: 0, locked_by: null },
      { dedupe_key: 'd', state: 'queued', attempts: 0, locked_by: null },
    ]);
  });

  it('runs as many jobs at once as its concurrency allows, and no more', async () => {
    for (let i = 0; i < 5; i++) await enqueue();
    let running = 0;
    let most = 0;
    // The wait stands for a provider call, outside any transaction: on SQLite transactions take turns on the one connection.
    const overlapping: SteppedJob = {
      async steps(claimed, run) {
        running += 1;
        most = Math.max(most, running);
        await sleep(30);
        running -= 1;
        await run.complete((trx) => writeEffect(claimed, trx));
      },
    };
    expect(await worker({ effect: overlapping }, { concurrency: 3 }).runDue()).to.equal(5);
    expect(most).to.equal(3);
    expect(await effectCount()).to.equal(5);
  });

  it('never claims again a job it is running itself, although its lease ran out while it waited', async () => {
    const id = await enqueue();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let runs = 0;
    const w = worker({
      effect: {
        async steps(claimed, run) {
          runs += 1;
          await gate;
          await run.complete((trx) => writeEffect(claimed, trx));
        },
      },
    });
    const first = w.runDue();
    await sleep(20);
    now += 60_000; // far past the 10 s lease, as when a renewal waits behind another job's transaction
    expect(await w.runDue(), 'the same worker again').to.equal(0);
    release();
    expect(await first).to.equal(1);
    expect(runs).to.equal(1);
    expect(await job(id)).to.deep.include({ state: 'done', attempts: 1 });
  });

  describe('a stepped job (one that calls a provider between commits)', () => {
    it('commits its steps apart, and its last one with the completion', async () => {
      const id = await enqueue();
      const w = worker({
        effect: {
          async steps(claimed, run) {
            await run.holding((trx) => trx('test_effects').insert({ job_id: claimed.id, note: 'started' }));
            const seen = await db('test_effects').where({ note: 'started' }).first('job_id');
            expect(seen?.job_id, 'the start is committed before the next step').to.equal(claimed.id);
            await run.complete((trx) => trx('test_effects').insert({ job_id: claimed.id, note: 'result' }));
          },
        },
      });
      expect(await w.runDue()).to.equal(1);
      expect((await db('test_effects').orderBy('note', 'desc').select('note')).map((row) => row.note)).to.deep.equal(['started', 'result']);
      expect(await job(id)).to.deep.include({ state: 'done' });
    });

    it("cannot record a start once another worker took the job over, and leaves the job to it", async () => {
      const id = await enqueue();
      const [stale] = await claimJobs(db, { workerId: 'slow', now, leaseMs: 1_000, limit: 1 });
      now += 1_001;
      const [fresh] = await claimJobs(db, { workerId: 'fast', now, leaseMs: 1_000, limit: 1 });
      if (!stale || !fresh) throw new Error('claims failed');
      let calledProvider = false;
      const stepped: SteppedJob = {
        async steps(claimed, run) {
          await run.holding((trx) => trx('test_effects').insert({ job_id: claimed.id, note: 'started' }));
          calledProvider = true;
        },
      };
      expect(await runClaimedJob(context({ effect: stepped }), stale)).to.equal('lost');
      expect(calledProvider).to.equal(false);
      expect(await effectCount()).to.equal(0);
      expect(await job(id)).to.deep.include({ state: 'running', locked_by: 'fast' });
    });

    it('completes by itself when its steps return without completing', async () => {
      const id = await enqueue();
      expect(await worker({ effect: { steps: async () => undefined } }).runDue()).to.equal(1);
      expect((await job(id)).state).to.equal('done');
    });
  });

  it('runNow runs the jobs named by their keys at once, and only those', async () => {
    await enqueue({ dedupeKey: 'reply:1' });
    await enqueue({ dedupeKey: 'other' });
    await enqueue({ dedupeKey: 'later', runAt: now + 60_000 });
    const w = worker({ effect: writeEffect });
    expect(await w.runNow(['reply:1', 'later'])).to.equal(1);
    const states = await db('jobs').orderBy('id').pluck('state');
    expect(states).to.deep.equal(['done', 'queued', 'queued']);
  });

  it('keeps polling when the database fails, logging each error', async () => {
    // A store without the jobs table: every claim fails.
    const dir = mkdtempSync(join(tmpdir(), 'klachtenhub-jobs-'));
    const broken = t.schema ? openDb({ url: t.url, schema: `${t.schema}_missing` }) : openDb({ url: `sqlite:${join(dir, 'empty.db')}` });
    try {
      const w = new JobWorker({ db: broken, handlers: new Map(), workerId: 'w1', pollMs: 5, clock, logger });
      w.start();
      for (let i = 0; i < 200 && logger.lines.length < 3; i += 1) await sleep(10);
      await w.stop();
      expect(logger.lines.length).to.be.at.least(3);
      expect(logger.lines.every((line) => line.level === 'error' && line.msg === 'job poll failed')).to.equal(true);
    } finally {
      await broken.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
