import pino from 'pino';
import { readEnv } from '../src/config/env';
import type { HubConfig } from '../src/config/hub-config';
import { Hub } from '../src/hub';
import type { JobHandler } from '../src/jobs/worker';
import { promiseJobHandlers } from '../src/promises/jobs';
import { PROMISE_WATCH_JOB } from '../src/promises/watch-schedule';
import { envInt, fixed, msSince, percentile, sizeLabel, tempSqlite, type BenchContext, type Benchmark, type BenchmarkOutcome } from './harness';
import { seededPhone, seededReference } from './seed';

/**
 * The promise watch's scan (`promise-watch`, src/promises/watch.ts) on SQLite with 1k and with
 * BENCH_WATCH_OPEN (100k) open threads, each with its acknowledgement kept and its first
 * response and resolution open. Every scan finds the same BENCH_WATCH_DUE promises due (first
 * responses that break: each is renewed, its customer's late notice and the escalation notice
 * asked for, with the SPEC's three escalation steps), and an idle scan finds none; all other
 * promises are watched later. A scan should cost what is due, not what is open: the figure is
 * the ratio of the p50 times, 1k over 100k (1: the open threads cost nothing).
 *
 * Knobs: BENCH_WATCH_OPEN (100000), BENCH_WATCH_DUE (20 per scan), BENCH_WATCH_SCANS (30).
 */
export const promiseWatchBenchmark: Benchmark = {
  name: 'promise-watch',
  description: 'promise watch scan on SQLite: 1k vs 100k open threads, the same promises due per scan',
  run: runPromiseWatchBenchmark,
};

const NOW = Date.parse('2026-11-24T09:00:00+01:00');
const MINUTE = 60_000;
const DAY = 86_400_000;
/** Threads per insert: three promises each stay under SQLite's 500 terms in one compound SELECT. */
const CHUNK = 150;
/** Scans run before the measured ones, on each store: the statements compile and the JIT settles. */
const WARM_UP = 5;
const STEPS = [
  { at: '75%', notify: 'owner' as const },
  { at: '100%', notify: 'lead' as const },
  { at: '+4h', notify: 'managers' as const },
];

interface SizeResult {
  open: number;
  seedSeconds: number;
  dueScan: { p50Ms: number; maxMs: number };
  idleScan: { p50Ms: number; maxMs: number };
}

async function runPromiseWatchBenchmark({ config, log }: BenchContext): Promise<BenchmarkOutcome> {
  const large = envInt('BENCH_WATCH_OPEN', 100_000);
  const due = Math.max(1, envInt('BENCH_WATCH_DUE', 20));
  const scans = Math.max(5, envInt('BENCH_WATCH_SCANS', 30));
  const withSteps: HubConfig = { ...config, escalation: STEPS };
  const small = await measure({ open: 1_000, due, scans, config: withSteps, log });
  const big = await measure({ open: large, due, scans, config: withSteps, log });
  const label = `${sizeLabel(small.open)}/${sizeLabel(big.open)}`;
  const ratio = (pick: (result: SizeResult) => { p50Ms: number }) => pick(small).p50Ms / pick(big).p50Ms;
  const tracked = {
    [`promise-watch scan ms (${due} due) with ${sizeLabel(big.open)} open threads`]: big.dueScan.p50Ms,
    [`promise-watch scan ratio ${label}`]: ratio((result) => result.dueScan),
    [`promise-watch idle scan ratio ${label}`]: ratio((result) => result.idleScan),
  };
  log(`promise-watch: ratio ${label} (p50) ${fixed(ratio((result) => result.dueScan), 3)} with ${due} due, ${fixed(ratio((result) => result.idleScan), 3)} idle`);
  return {
    table: {
      header: ['promise watch', `${sizeLabel(small.open)} open threads`, `${sizeLabel(big.open)} open threads`, `ratio ${label}`],
      rows: [
        [`scan with ${due} due, p50 (ms)`, fixed(small.dueScan.p50Ms, 2), fixed(big.dueScan.p50Ms, 2), fixed(ratio((result) => result.dueScan), 3)],
        [`scan with ${due} due, max (ms)`, fixed(small.dueScan.maxMs, 2), fixed(big.dueScan.maxMs, 2), ''],
        ['idle scan, p50 (ms)', fixed(small.idleScan.p50Ms, 2), fixed(big.idleScan.p50Ms, 2), fixed(ratio((result) => result.idleScan), 3)],
      ],
    },
    tracked,
    data: { due, scans, sizes: [small, big] },
  };
}

async function measure(args: { open: number; due: number; scans: number; config: HubConfig; log: (line: string) => void }): Promise<SizeResult> {
  const tmp = tempSqlite(`watch-${args.open}`);
  let now = NOW;
  const hub = await Hub.create({ env: readEnv({ DATABASE_URL: tmp.url, LOG_LEVEL: 'silent' }), config: args.config, logger: pino({ level: 'silent' }), clock: () => now, runJobs: false });
  try {
    const seedStart = process.hrtime.bigint();
    await seedOpenThreads(hub, { open: args.open, due: args.due, scans: WARM_UP + args.scans });
    const seedSeconds = msSince(seedStart) / 1000;
    args.log(`promise-watch: seeded ${args.open.toLocaleString('en')} open threads in ${fixed(seedSeconds, 1)} s`);
    const scan = new Map(promiseJobHandlers(hub.ctx)).get(PROMISE_WATCH_JOB) as JobHandler;
    const run = async (): Promise<number> => {
      const start = process.hrtime.bigint();
      await hub.ctx.db.transaction((trx) => scan({ id: 0, kind: PROMISE_WATCH_JOB, payload: null, attempts: 1, runAt: now, leaseUntil: now + MINUTE, lockedBy: 'bench' }, trx));
      return msSince(start);
    };
    // Scan i finds the promises seeded due in minute i; an idle scan half a minute later finds none.
    const dueTimes: number[] = [];
    const idleTimes: number[] = [];
    for (let i = 0; i < WARM_UP + args.scans; i++) {
      now = NOW + (i + 1) * MINUTE;
      const took = await run();
      now += MINUTE / 2;
      const idle = await run();
      if (i < WARM_UP) continue; // compiling the statements, and the JIT
      dueTimes.push(took);
      idleTimes.push(idle);
    }
    const broken = Number((await hub.ctx.db('promises').where({ state: 'broken' }).count({ n: '*' }))[0]?.n);
    if (broken !== (WARM_UP + args.scans) * args.due) throw new Error(`expected ${(WARM_UP + args.scans) * args.due} promises broken, found ${broken}`);
    const stats = (times: number[]) => ({ p50Ms: percentile(times, 0.5), maxMs: percentile(times, 1) });
    args.log(`promise-watch ${sizeLabel(args.open)}: scan with ${args.due} due p50 ${fixed(percentile(dueTimes, 0.5), 2)} ms, idle p50 ${fixed(percentile(idleTimes, 0.5), 2)} ms`);
    return { open: args.open, seedSeconds, dueScan: stats(dueTimes), idleScan: stats(idleTimes) };
  } finally {
    await hub.stop();
    tmp.remove();
  }
}

/**
 * `open` customers with one open SMS thread each, made a day ago: the acknowledgement kept, the
 * first response and resolution open and watched next week, except the first response of
 * scans × due threads, watched in the minute of its scan.
 */
async function seedOpenThreads(hub: Hub, args: { open: number; due: number; scans: number }): Promise<void> {
  const db = hub.ctx.db;
  const madeAt = NOW - DAY;
  const later = NOW + 7 * DAY;
  const rows = <T>(from: number, to: number, row: (i: number) => T) => Array.from({ length: to - from }, (_, k) => row(from + k));
  await db.transaction(async (trx) => {
    for (let from = 1; from <= args.open; from += CHUNK) {
      const to = Math.min(args.open + 1, from + CHUNK);
      await trx('customers').insert(rows(from, to, (i) => ({ id: i, name: `Klant ${i}`, language: 'nl', created_at: madeAt })));
      await trx('identities').insert(rows(from, to, (i) => ({ customer_id: i, kind: 'phone', value: seededPhone(i), created_at: madeAt, proof: 'channel', proven_at: madeAt })));
      await trx('threads').insert(
        rows(from, to, (i) => ({ id: i, reference: seededReference(i, args.open), customer_id: i, status: 'open', summary: 'Pakket kwijt', language: 'nl', channel: 'sms', team_id: 'service', created_at: madeAt, updated_at: madeAt, first_response_due: later, resolution_due: later + DAY })),
      );
      const dueMinute = (i: number) => (i <= args.scans * args.due ? NOW + Math.ceil(i / args.due) * MINUTE : undefined);
      await trx('promises').insert(
        rows(from, to, (i) => [
          { thread_id: i, kind: 'acknowledgement', made_at: madeAt, due: madeAt + MINUTE, state: 'kept', settled_at: madeAt + 2_000, settled_by: 'hub' },
          { thread_id: i, kind: 'first-response', made_at: madeAt, due: dueMinute(i) ?? later, state: 'open', watch_at: dueMinute(i) ?? later, watched_until: (dueMinute(i) ?? later) - 1 },
          { thread_id: i, kind: 'resolution', made_at: madeAt, due: later + DAY, state: 'open', watch_at: later + DAY, watched_until: later + DAY - 1 },
        ]).flat(),
      );
    }
  });
}
