import { teamStats } from '../src/console/team-stats';
import { migrateToLatest, openDb, type Db } from '../src/core/db';
import type { HubConfig } from '../src/config/hub-config';
import { createMetrics } from '../src/metrics';
import { envInt, fixed, msSince, percentile, sizeLabel, tempSqlite, type BenchContext, type Benchmark, type BenchmarkOutcome } from './harness';
import { seedHistory, seedThreads } from './seed';

/**
 * The reads that run beside the webhooks and must not grow with the history: a Prometheus scrape
 * of /metrics, and the team view's figures (`/console/team`, the last 14 days). Timed on SQLite
 * on two stores with the same recent weeks: one holds only those (the baseline), the other a
 * year of BENCH_HISTORY_THREADS threads (10% open) at the same rate per day. Every thread has
 * its finished jobs and acknowledgement, and every tenth a callback. The embedded driver is
 * synchronous, so while such a read runs every webhook waits. The figure per read is the ratio
 * of its p50 time, recent weeks only over a year (1: the history costs nothing).
 *
 * Knobs: BENCH_HISTORY_THREADS (1000000), BENCH_HISTORY_READS (30 per read and store).
 */
export const historyReadsBenchmark: Benchmark = {
  name: 'history-reads',
  description: 'GET /metrics scrape and team-view figures on SQLite: the recent weeks alone vs a year of 1M threads',
  run: runHistoryReadsBenchmark,
};

const YEAR_DAYS = 365;
/** The baseline's span: the team view's fortnight and a few days more. */
const RECENT_DAYS = 21;
const NOW = Date.parse('2026-11-24T09:00:00+01:00');

type Read = (db: Db) => Promise<unknown>;

interface SizeResult {
  label: string;
  threads: number;
  spanDays: number;
  seedSeconds: number;
  reads: Record<string, { p50Ms: number; maxMs: number }>;
}

async function runHistoryReadsBenchmark({ config, log }: BenchContext): Promise<BenchmarkOutcome> {
  const large = envInt('BENCH_HISTORY_THREADS', 1_000_000);
  const count = Math.max(5, envInt('BENCH_HISTORY_READS', 30));
  const reads = historyReads(config);
  const results: SizeResult[] = [];
  const perDay = large / YEAR_DAYS;
  results.push(await measure({ label: 'recent', threads: Math.round(perDay * RECENT_DAYS), spanDays: RECENT_DAYS }, reads, count, log));
  results.push(await measure({ label: 'year', threads: large, spanDays: YEAR_DAYS }, reads, count, log));
  const [small, big] = results as [SizeResult, SizeResult];
  const label = `${RECENT_DAYS}d/${YEAR_DAYS}d`;
  const tracked: Record<string, number> = {};
  const rows: string[][] = [];
  for (const name of Object.keys(reads)) {
    const [a, b] = [small.reads[name], big.reads[name]] as [{ p50Ms: number; maxMs: number }, { p50Ms: number; maxMs: number }];
    const ratio = a.p50Ms / b.p50Ms;
    tracked[`${name} ms with a year of ${sizeLabel(big.threads)} threads`] = b.p50Ms;
    tracked[`${name} ratio ${label}`] = ratio;
    rows.push([`${name} p50 (ms)`, fixed(a.p50Ms, 2), fixed(b.p50Ms, 2), fixed(ratio, 3)], [`${name} max (ms)`, fixed(a.maxMs, 2), fixed(b.maxMs, 2), '']);
    log(`history-reads ${name}: ratio ${label} (p50) ${fixed(ratio, 3)}`);
  }
  return {
    table: { header: ['history reads', ...results.map((r) => `${r.spanDays} days, ${sizeLabel(r.threads)} threads`), `ratio ${label}`], rows },
    tracked,
    data: { reads: count, sizes: results },
  };
}

function historyReads(config: HubConfig): Record<string, Read> {
  return {
    'metrics scrape': (db) => createMetrics(db).registry.metrics(),
    'team view': (db) => teamStats(db, { config, now: NOW }),
  };
}

async function measure(store: { label: string; threads: number; spanDays: number }, reads: Record<string, Read>, count: number, log: (line: string) => void): Promise<SizeResult> {
  const { label, threads, spanDays } = store;
  const tmp = tempSqlite(`history-${label}`);
  const db: Db = openDb({ url: tmp.url });
  try {
    await migrateToLatest(db);
    const seeded = await seedThreads(db, threads, NOW, spanDays);
    const history = await seedHistory(db, threads, NOW, spanDays);
    const seedSeconds = (seeded.ms + history.ms) / 1000;
    log(`history-reads ${label}: seeded ${threads.toLocaleString('en')} threads over ${spanDays} days with their history in ${fixed(seedSeconds, 1)} s`);
    const result: SizeResult = { label, threads, spanDays, seedSeconds, reads: {} };
    for (const [name, read] of Object.entries(reads)) {
      await read(db); // the first run compiles the statements
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        const start = process.hrtime.bigint();
        await read(db);
        times.push(msSince(start));
      }
      result.reads[name] = { p50Ms: percentile(times, 0.5), maxMs: percentile(times, 1) };
      log(`history-reads ${label} ${name}: p50 ${fixed(percentile(times, 0.5), 2)} ms, max ${fixed(percentile(times, 1), 2)} ms over ${count}`);
    }
    return result;
  } finally {
    await db.destroy();
    tmp.remove();
  }
}
