import { createMetrics } from '../src/metrics';
import { migrateToLatest, openDb, type Db } from '../src/core/db';
import { envInt, fixed, msSince, percentile, sizeLabel, tempSqlite, type BenchContext, type Benchmark, type BenchmarkOutcome } from './harness';
import { seedFinishedJobs, seedThreads } from './seed';

/**
 * One Prometheus scrape of GET /metrics on SQLite, with a small store and with a year of
 * history (BENCH_METRICS_THREADS threads, 10% open, and each one's two finished jobs). The
 * embedded driver is synchronous, so a scrape's queries hold up every webhook while they run:
 * the scrape must cost about the same however much history is stored. The figure is the ratio
 * of the scrape times, small store over large (1 is ideal).
 *
 * Knobs: BENCH_METRICS_THREADS (1000000), BENCH_METRICS_SCRAPES (30 per size).
 */
export const metricsScrapeBenchmark: Benchmark = {
  name: 'metrics-scrape',
  description: 'GET /metrics scrape time on SQLite with 1k vs 1M threads and their finished jobs',
  run: runMetricsScrapeBenchmark,
};

const SMALL = 1_000;
const NOW = Date.parse('2026-11-24T09:00:00+01:00');

interface ScrapeResult {
  threads: number;
  seedSeconds: number;
  p50Ms: number;
  maxMs: number;
}

async function runMetricsScrapeBenchmark({ log }: BenchContext): Promise<BenchmarkOutcome> {
  const large = envInt('BENCH_METRICS_THREADS', 1_000_000);
  const scrapes = Math.max(5, envInt('BENCH_METRICS_SCRAPES', 30));
  const results: ScrapeResult[] = [];
  for (const threads of [SMALL, large]) results.push(await measure(threads, scrapes, log));
  const [small, big] = results as [ScrapeResult, ScrapeResult];
  const ratio = small.p50Ms / big.p50Ms;
  const label = `${sizeLabel(small.threads)}/${sizeLabel(big.threads)}`;
  log(`metrics-scrape ratio ${label} (p50): ${fixed(ratio, 3)}`);
  return {
    table: {
      header: ['metrics scrape', ...results.map((r) => `${sizeLabel(r.threads)} threads`)],
      rows: [
        ['p50 (ms)', ...results.map((r) => fixed(r.p50Ms, 2))],
        ['max (ms)', ...results.map((r) => fixed(r.maxMs, 2))],
        [`ratio ${label}`, '', fixed(ratio, 3)],
      ],
    },
    tracked: { [`metrics scrape ms at ${sizeLabel(big.threads)} threads`]: big.p50Ms, [`metrics scrape ratio ${label}`]: ratio },
    data: { scrapes, sizes: results },
  };
}

async function measure(threads: number, scrapes: number, log: (line: string) => void): Promise<ScrapeResult> {
  const label = sizeLabel(threads);
  const tmp = tempSqlite(`metrics-${label}`);
  const db: Db = openDb({ url: tmp.url });
  try {
    await migrateToLatest(db);
    const seeded = await seedThreads(db, threads, NOW);
    const jobs = await seedFinishedJobs(db, threads, NOW);
    const seedSeconds = (seeded.ms + jobs.ms) / 1000;
    log(`metrics-scrape ${label}: seeded ${threads.toLocaleString('en')} threads and ${(2 * threads).toLocaleString('en')} finished jobs in ${fixed(seedSeconds, 1)} s`);
    const { registry } = createMetrics(db);
    await registry.metrics(); // the first scrape compiles the statements
    const times: number[] = [];
    for (let i = 0; i < scrapes; i++) {
      const start = process.hrtime.bigint();
      await registry.metrics();
      times.push(msSince(start));
    }
    const result = { threads, seedSeconds, p50Ms: percentile(times, 0.5), maxMs: percentile(times, 1) };
    log(`metrics-scrape ${label}: p50 ${fixed(result.p50Ms, 2)} ms, max ${fixed(result.maxMs, 2)} ms over ${scrapes} scrapes`);
    return result;
  } finally {
    await db.destroy();
    tmp.remove();
  }
}
