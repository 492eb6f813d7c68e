/**
 * `npm run bench`: runs every benchmark in order, prints a summary table and writes
 * bench/results/latest.json.
 *
 * Knobs (environment):
 *   BENCH_ONLY=ingest          run only the named benchmarks (comma-separated)
 *   BENCH_SIZES=1000,1000000   existing threads per measured database (ingest)
 *   BENCH_CONTACTS=3000        measured contacts per phase (ingest)
 *   BENCH_WARMUP=200           unmeasured contacts before the phases (ingest)
 *   BENCH_CONCURRENCY=20       ingests in flight in the concurrent phase (ingest)
 *   BENCH_ROUNDS=5             rounds the phases are split into, alternating sizes (ingest)
 *   BENCH_CALLBACK_AGENTS=50   agents in the team (callbacks)
 *   BENCH_CALLBACK_RUNS=500    measured slot offers (callbacks)
 *   BENCH_DISPATCH_CALLBACKS=2000  due callbacks placed by 2 hub processes (callback-dispatch, needs PostgreSQL:
 *   BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/test)
 *   BENCH_SLOT_CALLBACKS=150 BENCH_SLOT_CPS=10  callbacks due in one minute, one of 2 hubs killed (callback-slot, PostgreSQL)
 *   BENCH_STOP_ROUNDS=3 BENCH_STOP_DRAIN_MS=2000  SIGTERM under 20 webhooks in flight (stop-under-load)
 *   BENCH_IMAP_MESSAGES=2000   mails in the Dovecot mailbox (email-imap), BENCH_IMAP_ROUNDS=3
 *   BENCH_CHAT_STREAMS=200     open chat event streams (chat), BENCH_CHAT_MESSAGES=7 per session and phase
 *   BENCH_HISTORY_THREADS=1000000  threads of history behind /metrics and the team view (history-reads), BENCH_HISTORY_READS=30
 *   BENCH_INBOX_THREADS=10000  open threads behind the console inbox (console-inbox), BENCH_INBOX_REQUESTS=40
 *   BENCH_WATCH_OPEN=100000   open threads behind the promise watch (promise-watch), BENCH_WATCH_DUE=20 due per scan, BENCH_WATCH_SCANS=30
 * Quick smoke run: BENCH_SIZES=1000,20000 BENCH_CONTACTS=300 npm run bench
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { loadHubConfig } from '../src/config/hub-config';
import { fixed, formatTable, msSince, type Benchmark, type BenchmarkOutcome } from './harness';
import { callbackDispatchBenchmark } from './callback-dispatch';
import { callbackSlotBenchmark } from './callback-slot';
import { callbacksBenchmark } from './callbacks';
import { chatBenchmark } from './chat';
import { consoleInboxBenchmark } from './console-inbox';
import { emailImapBenchmark } from './email-imap';
import { historyReadsBenchmark } from './history-reads';
import { promiseWatchBenchmark } from './promise-watch';
import { ingestBenchmark } from './ingest';
import { slackAckBenchmark } from './slack-ack';
import { smsWebhooksBenchmark } from './sms-webhooks';
import { stopUnderLoadBenchmark } from './stop-under-load';

/** In the order they run. Add new benchmarks here. */
const BENCHMARKS: Benchmark[] = [ingestBenchmark, callbacksBenchmark, callbackDispatchBenchmark, callbackSlotBenchmark, smsWebhooksBenchmark, stopUnderLoadBenchmark, historyReadsBenchmark, promiseWatchBenchmark, slackAckBenchmark, emailImapBenchmark, chatBenchmark, consoleInboxBenchmark];

const ROOT = resolve(__dirname, '..');
const RESULTS_DIR = join(__dirname, 'results');

async function main(): Promise<void> {
  const only = (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = only.filter((name) => !BENCHMARKS.some((bench) => bench.name === name));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown benchmark ${unknown.join(', ')} (known: ${BENCHMARKS.map((b) => b.name).join(', ')})`);
  const selected = only.length > 0 ? BENCHMARKS.filter((bench) => only.includes(bench.name)) : BENCHMARKS;

  const config = loadHubConfig(join(ROOT, 'config/klachtenhub.json'));
  const log = (line: string): void => console.log(line);
  const startedAt = new Date();
  const machine = { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: cpus().length, cpu: cpus()[0]?.model ?? '?', memoryGb: Math.round(totalmem() / 2 ** 30) };
  log(`klachtenhub bench, ${startedAt.toISOString()}, node ${machine.node}, ${machine.cpus} x ${machine.cpu}`);

  const outcomes: { name: string; description: string; seconds: number; outcome: BenchmarkOutcome }[] = [];
  const total = process.hrtime.bigint();
  for (const bench of selected) {
    log(`\n== ${bench.name}: ${bench.description}`);
    const start = process.hrtime.bigint();
    const outcome = await bench.run({ config, log });
    const seconds = msSince(start) / 1000;
    log(`== ${bench.name} done in ${fixed(seconds, 1)} s`);
    outcomes.push({ name: bench.name, description: bench.description, seconds, outcome });
  }

  log('\n=== summary');
  for (const { outcome } of outcomes) log(`\n${formatTable(outcome.table.header, outcome.table.rows)}`);
  const tracked = Object.assign({}, ...outcomes.map(({ outcome }) => outcome.tracked)) as Record<string, number>;
  if (Object.keys(tracked).length > 0) {
    log(`\n${formatTable(['tracked figure', 'value'], Object.entries(tracked).map(([name, value]) => [name, fixed(value, 3)]))}`);
  }
  log(`\ntotal ${fixed(msSince(total) / 1000, 1)} s`);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, 'latest.json');
  const json = {
    startedAt: startedAt.toISOString(),
    machine,
    env: Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('BENCH_'))),
    tracked,
    benchmarks: outcomes.map(({ name, description, seconds, outcome }) => ({ name, description, seconds, tracked: outcome.tracked, results: outcome.data })),
  };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  log(`results written to ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
