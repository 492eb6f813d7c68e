import { expect } from 'chai';
import { JOBS_PURGE_JOB, scheduleJobsPurge } from '../../src/jobs/purge';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';

const DAY = 86_400_000;
const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const WEDNESDAY_0330 = Date.parse('2026-11-25T03:30:00+01:00');

describe(`jobs: the nightly purge of done jobs (${storeName})`, () => {
  let t: TestHub;
  beforeEach(async () => {
    t = await startHub({ now: TUESDAY_10 });
  });
  afterEach(() => t.stop());

  /** Jobs as the hub leaves them behind, written straight into the table. */
  async function history(rows: { key: string; state: 'done' | 'failed' | 'queued'; runAt: number; finishedAt: number | null }[]): Promise<void> {
    const db = t.hub.ctx.db;
    for (let i = 0; i < rows.length; i += 500) {
      await db('jobs').insert(
        rows.slice(i, i + 500).map((row) => ({
          kind: 'acknowledge',
          payload: '{}',
          dedupe_key: row.key,
          state: row.state,
          run_at: row.runAt,
          attempts: row.state === 'queued' ? 0 : 1,
          max_attempts: 5,
          created_at: row.runAt,
          finished_at: row.finishedAt,
        })),
      );
    }
  }
  const keys = () => t.hub.ctx.db('jobs').whereNot('kind', JOBS_PURGE_JOB).orderBy('dedupe_key').pluck('dedupe_key');
  const purges = () => t.hub.ctx.db('jobs').where('kind', JOBS_PURGE_JOB).orderBy('run_at').select('state', 'run_at as runAt');

  it('deletes done jobs finished over 30 days ago and keeps the rest; asked twice, the next night has one purge', async () => {
    const db = t.hub.ctx.db;
    const config = t.hub.ctx.config;
    await scheduleJobsPurge(db, { timezone: config.timezone, now: TUESDAY_10 });
    await scheduleJobsPurge(db, { timezone: config.timezone, now: TUESDAY_10 + 60_000 }); // a second hub instance starting
    await history([
      { key: 'done-31-days-ago', state: 'done', runAt: WEDNESDAY_0330 - 31 * DAY, finishedAt: WEDNESDAY_0330 - 31 * DAY + 1000 },
      { key: 'done-29-days-ago', state: 'done', runAt: WEDNESDAY_0330 - 29 * DAY, finishedAt: WEDNESDAY_0330 - 29 * DAY + 1000 },
      { key: 'failed-60-days-ago', state: 'failed', runAt: WEDNESDAY_0330 - 60 * DAY, finishedAt: WEDNESDAY_0330 - 60 * DAY + 1000 },
      { key: 'queued-for-next-week', state: 'queued', runAt: WEDNESDAY_0330 + 7 * DAY, finishedAt: null },
    ]);
    expect(await purges()).to.deep.equal([{ state: 'queued', runAt: WEDNESDAY_0330 }]);

    t.setNow(WEDNESDAY_0330);
    expect(await t.hub.worker.runDue()).to.equal(1);
    expect(await keys()).to.deep.equal(['done-29-days-ago', 'failed-60-days-ago', 'queued-for-next-week']);
    expect(await purges()).to.deep.equal([
      { state: 'done', runAt: WEDNESDAY_0330 },
      { state: 'queued', runAt: WEDNESDAY_0330 + DAY },
    ]);
  });

  it('also forgets one-time codes and failed console logins older than a day, which no limit counts any more', async () => {
    const db = t.hub.ctx.db;
    const session = { id: '00000000-0000-4000-8000-000000000001', token_hash: 'x'.repeat(64), language: 'nl', client_hash: 'c'.repeat(64), created_at: TUESDAY_10 - 2 * DAY };
    await db('chat_sessions').insert(session);
    const code = (createdAt: number) => ({ session_id: session.id, kind: 'email', value: 'a@example.nl', code_hash: 'h'.repeat(64), created_at: createdAt, expires_at: createdAt + 15 * 60_000 });
    await db('verification_codes').insert([code(WEDNESDAY_0330 - 2 * DAY), code(WEDNESDAY_0330 - 3_600_000)]);
    await db('console_login_failures').insert([
      { agent_id: 'made-up-1', client: 'c'.repeat(64), at: WEDNESDAY_0330 - 2 * DAY },
      { agent_id: 'anna', client: 'c'.repeat(64), at: WEDNESDAY_0330 - 60_000 },
    ]);
    await scheduleJobsPurge(db, { timezone: t.hub.ctx.config.timezone, now: TUESDAY_10 });
    t.setNow(WEDNESDAY_0330);
    await t.hub.worker.runDue();
    expect(await db('verification_codes').pluck('created_at')).to.deep.equal([WEDNESDAY_0330 - 3_600_000]);
    expect(await db('console_login_failures').pluck('agent_id')).to.deep.equal(['anna']);
  });

  it('is scheduled by a hub that runs jobs, when it starts listening', async () => {
    const running = await startHub({ now: TUESDAY_10, runJobs: true });
    try {
      expect(await running.hub.ctx.db('jobs').where('kind', JOBS_PURGE_JOB).pluck('run_at')).to.deep.equal([WEDNESDAY_0330]);
    } finally {
      await running.stop();
    }
  });

  it('works through a backlog in runs of 20,000, a minute apart, then goes back to nightly', async () => {
    const old = WEDNESDAY_0330 - 200 * DAY;
    await history(Array.from({ length: 20_500 }, (_, i) => ({ key: `old-${i}`, state: 'done' as const, runAt: old + i, finishedAt: old + i + 500 })));
    await scheduleJobsPurge(t.hub.ctx.db, { timezone: t.hub.ctx.config.timezone, now: TUESDAY_10 });

    t.setNow(WEDNESDAY_0330);
    await t.hub.worker.runDue();
    expect((await keys()).length).to.equal(500);
    expect((await purges()).at(-1)).to.deep.equal({ state: 'queued', runAt: WEDNESDAY_0330 + 60_000 });

    t.setNow(WEDNESDAY_0330 + 60_000);
    await t.hub.worker.runDue();
    expect(await keys()).to.deep.equal([]);
    expect((await purges()).at(-1)).to.deep.equal({ state: 'queued', runAt: WEDNESDAY_0330 + DAY });
  });
});
