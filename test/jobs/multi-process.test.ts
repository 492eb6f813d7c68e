import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { enqueueJob } from '../../src/jobs/queue';
import { createTestDb, storeUrl, type TestDb } from '../helpers/db';

const JOBS = 1000;
const FIXTURE = join(__dirname, 'fixtures', 'worker-process.ts');
const REPO_ROOT = resolve(__dirname, '..', '..');

interface Worker {
  id: string;
  child: ChildProcess;
  stderr: string[];
}

/**
 * The exactly-once proof on real PostgreSQL: two worker processes share 1,000 jobs, one is
 * SIGKILLed mid-run, and every job must still have committed its effect exactly once.
 */
describe('jobs: two worker processes, one killed mid-run (PostgreSQL)', function () {
  this.timeout(90_000);
  let t: TestDb | undefined;
  const workers: Worker[] = [];

  before(async function () {
    if (!storeUrl) {
      console.log('      (skipped on SQLite: this test runs in the PostgreSQL pass, DATABASE_URL=postgres://...)');
      this.skip();
    }
    t = await createTestDb();
    await t.db.schema.createTable('job_effects', (table) => {
      table.integer('job_id').primary(); // a second committed run of a job would fail here
      table.text('worker').notNullable();
    });
    await t.db.schema.createTable('job_runs', (table) => {
      table.integer('job_id').notNullable(); // no key: counts every committed run
      table.text('worker').notNullable();
    });
  });

  after(async () => {
    for (const { child } of workers) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const stoppedInTime = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!stoppedInTime) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    await t?.destroy();
  });

  function startWorker(db: TestDb, id: string): Worker {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      cwd: REPO_ROOT,
      env: { ...process.env, JOBS_TEST_DB_URL: db.url, JOBS_TEST_DB_SCHEMA: db.schema, JOBS_TEST_WORKER_ID: id },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const worker: Worker = { id, child, stderr: [] };
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => worker.stderr.push(chunk));
    workers.push(worker);
    return worker;
  }

  function ready(worker: Worker): Promise<void> {
    return new Promise((resolve, reject) => {
      worker.child.once('message', () => resolve());
      worker.child.once('exit', (code, signal) => reject(new Error(`${worker.id} exited (${code ?? signal}) before it was ready: ${worker.stderr.join('')}`)));
    });
  }

  it(`runs each of ${JOBS} jobs exactly once although a worker is SIGKILLed mid-run`, async () => {
    if (!t) throw new Error('no test database');
    const db = t.db;
    const victim = startWorker(t, 'victim');
    const survivor = startWorker(t, 'survivor');
    await Promise.all([ready(victim), ready(survivor)]);

    // One transaction: both workers see all jobs at the same moment.
    const now = Date.now();
    await db.transaction(async (trx) => {
      for (let i = 0; i < JOBS; i += 1) await enqueueJob(trx, { kind: 'effect', payload: { i }, runAt: now, dedupeKey: `effect:${i}` }, now);
    });

    const count = async (sql: string, ...bindings: (string | number)[]): Promise<number> => {
      const result: { rows: { n: number | string }[] } = await db.raw(sql, bindings);
      return Number(result.rows[0]?.n);
    };
    const done = () => count(`select count(*) as n from jobs where state = 'done'`);

    // Kill the victim about a third of the way, at a moment it holds claimed jobs and has committed some.
    let killed = false;
    for (const deadline = Date.now() + 30_000; !killed && Date.now() < deadline; await sleep(5)) {
      if ((await done()) < JOBS / 3) continue;
      const held = await count(`select count(*) as n from jobs where state = 'running' and locked_by = ?`, victim.id);
      const committed = await count(`select count(*) as n from job_effects where worker = ?`, victim.id);
      if (held >= 2 && committed > 0) {
        victim.child.kill('SIGKILL');
        killed = true;
      }
    }
    expect(killed, `victim never held jobs past a third; stderr: ${victim.stderr.join('')}`).to.equal(true);
    await once(victim.child, 'exit');
    const doneByVictim = await count(`select count(*) as n from job_effects where worker = ?`, victim.id);

    // The survivor takes over the victim's jobs once their leases (1.5 s) run out.
    const deadline = Date.now() + 60_000;
    while ((await done()) < JOBS && Date.now() < deadline) await sleep(50);

    const states: { state: string; n: number | string }[] = await db('jobs').select('state').count({ n: '*' }).groupBy('state');
    expect(Object.fromEntries(states.map((row) => [row.state, Number(row.n)])), `survivor stderr: ${survivor.stderr.join('')}`).to.deep.equal({ done: JOBS });
    expect(await count(`select count(*) as n from job_effects`)).to.equal(JOBS);
    expect(await count(`select count(*) as n from job_runs`), 'committed runs').to.equal(JOBS);
    expect(await count(`select count(distinct job_id) as n from job_runs`), 'distinct jobs run').to.equal(JOBS);
    expect(await count(`select count(*) as n from jobs where last_error is not null`), 'failed attempts').to.equal(0);

    // The victim really was mid-run: it had committed jobs, nothing after its death, and the
    // jobs it held were re-claimed (second attempt) and finished by the survivor.
    expect(doneByVictim).to.be.greaterThan(0);
    expect(await count(`select count(*) as n from job_effects where worker = ?`, victim.id)).to.equal(doneByVictim);
    const reclaimed = await count(`select count(*) as n from jobs where attempts > 1`);
    expect(reclaimed).to.be.greaterThan(0);
    expect(await count(`select count(*) as n from jobs where attempts > 1 and locked_by <> ?`, survivor.id)).to.equal(0);
    expect(await count(`select count(*) as n from job_effects where worker = ?`, survivor.id)).to.equal(JOBS - doneByVictim);
  });
});
