import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { readEnv } from '../src/config/env';
import { startConsoleSession } from '../src/console/sessions';
import { openDb } from '../src/core/db';
import { Hub } from '../src/hub';
import { envInt, fixed, msSince, percentile, tempSqlite, type BenchContext, type Benchmark, type BenchmarkOutcome } from './harness';

/**
 * The console's inbox with BENCH_INBOX_THREADS open threads (SMS, email, chat and calls from
 * different customers, ingested through the hub so every promise exists), on SQLite and on
 * PostgreSQL (BENCH_PG_URL): GET /console timed from request to the last byte over loopback,
 * for the first page, a later page, a channel filter and a name search. The goal is under
 * 200 ms server time; the loopback round trip is in the figure too, so it errs on the slow side.
 *
 * Knobs: BENCH_INBOX_THREADS (10000), BENCH_INBOX_REQUESTS (40 per page kind).
 */

export const consoleInboxBenchmark: Benchmark = {
  name: 'console-inbox',
  description: 'console inbox with 10k open threads: GET /console p50/p99 ms (first page, page 100, channel filter, search)',
  run: runConsoleInboxBenchmark,
};

const PAGES = [
  { name: 'first page', path: '/console' },
  { name: 'page 100', path: '/console?page=100' },
  { name: 'channel filter (email)', path: '/console?channel=email' },
  { name: 'search "klant 77"', path: '/console?q=klant%2077' },
];

async function runConsoleInboxBenchmark({ config, log }: BenchContext): Promise<BenchmarkOutcome> {
  const threads = envInt('BENCH_INBOX_THREADS', 10_000);
  const requests = Math.max(5, envInt('BENCH_INBOX_REQUESTS', 40));
  const results: Record<string, Record<string, { p50Ms: number; p99Ms: number }>> = {};
  const sqlite = tempSqlite('inbox');
  try {
    results.SQLite = await measureStore({ config, log, url: sqlite.url, label: 'SQLite', threads, requests });
  } finally {
    sqlite.remove();
  }
  const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const database = `klachtenhub_bench_${randomBytes(4).toString('hex')}`;
  const admin = openDb({ url: adminUrl });
  try {
    await admin.raw(`create database ${database}`);
    results.PostgreSQL = await measureStore({ config, log, url: `${adminUrl.replace(/\/[^/]*$/, '')}/${database}`, label: 'PostgreSQL', threads, requests });
  } catch (error) {
    log(`console-inbox: PostgreSQL skipped (${(error as Error).message})`);
  } finally {
    await admin.raw(`drop database if exists ${database} with (force)`).catch(() => undefined);
    await admin.destroy();
  }
  const first = (store: string) => results[store]?.['first page']?.p99Ms ?? Number.NaN;
  return {
    table: {
      header: ['console inbox', ...Object.keys(results).flatMap((store) => [`${store} p50 ms`, `${store} p99 ms`])],
      rows: PAGES.map((kind) => [kind.name, ...Object.values(results).flatMap((byPage) => [fixed(byPage[kind.name]?.p50Ms ?? Number.NaN, 1), fixed(byPage[kind.name]?.p99Ms ?? Number.NaN, 1)])]),
    },
    tracked: { consoleInboxP99MsSqlite: first('SQLite'), consoleInboxP99MsPostgres: first('PostgreSQL') },
    data: { threads, requests, results },
  };
}

async function measureStore(args: { config: BenchContext['config']; log: BenchContext['log']; url: string; label: string; threads: number; requests: number }): Promise<Record<string, { p50Ms: number; p99Ms: number }>> {
  const now = Date.now();
  const env = readEnv({ DATABASE_URL: args.url, LOG_LEVEL: 'silent', PORT: '0' });
  const hub = await Hub.create({ env, config: args.config, logger: pino({ level: 'silent' }), clock: () => now, runJobs: false });
  try {
    args.log(`console-inbox: ${args.label}: ingesting ${args.threads} complaints`);
    const channels = ['sms', 'email', 'chat', 'voice'] as const;
    for (let i = 0; i < args.threads; i++) {
      const channel = channels[i % channels.length] as (typeof channels)[number];
      const from = channel === 'email' ? { kind: 'email' as const, value: `klant${i}@example.com` } : channel === 'chat' ? { kind: 'chat' as const, value: `chat-${i}` } : { kind: 'phone' as const, value: `+316${String(20_000_000 + i)}` };
      await hub.ingest({ channel, providerId: `inbox-${i}`, from, name: `Klant ${i}`, body: `Klacht nummer ${i}: levering te laat.`, at: now - (args.threads - i) * 30_000 });
    }
    // A running PostgreSQL has statistics (autovacuum analyzes after bulk inserts); a database
    // filled a second ago has none, and its planner then nests loops over every contact.
    if (args.label === 'PostgreSQL') await hub.ctx.db.raw('analyze');
    const port = await hub.listen(0);
    const { token } = await startConsoleSession(hub.ctx.db, { agentId: args.config.agents[0]?.id ?? 'anna', now });
    const byPage: Record<string, { p50Ms: number; p99Ms: number }> = {};
    for (const kind of PAGES) {
      const timings: number[] = [];
      for (let i = 0; i < args.requests + 3; i++) {
        const start = process.hrtime.bigint();
        const response = await fetch(`http://127.0.0.1:${port}${kind.path}`, { headers: { cookie: `kh_console=${token}` }, redirect: 'manual' });
        const html = await response.text();
        if (response.status !== 200 || !html.includes('class="inbox"')) throw new Error(`${kind.path} answered ${response.status}`);
        if (i >= 3) timings.push(msSince(start));
      }
      byPage[kind.name] = { p50Ms: percentile(timings, 0.5), p99Ms: percentile(timings, 0.99) };
      args.log(`  ${args.label} ${kind.name}: p50 ${fixed(percentile(timings, 0.5), 1)} ms, p99 ${fixed(percentile(timings, 0.99), 1)} ms`);
    }
    return byPage;
  } finally {
    await hub.stop();
  }
}
