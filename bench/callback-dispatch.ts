import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { migrateToLatest, openDb } from '../src/core/db';
import { ACCOUNT_SID, AUTH_TOKEN, HUB_NUMBER, TwilioStandIn } from '../test/channels/twilio-helpers';
import { startHubProcess, type HubProcess } from '../test/helpers/hub-process';
import { agentsConfig, callsByCallback, seedDueCallbacks } from '../test/helpers/due-callbacks';
import { envInt, fixed, msSince, type BenchContext, type Benchmark, type BenchmarkOutcome } from './harness';

/**
 * Callbacks dispatched per second by two hub processes (`src/main.ts`, as in production) sharing
 * one PostgreSQL database: N callbacks fall due at once, each a `callback-call` job; the hubs
 * claim them (FOR UPDATE SKIP LOCKED) and place each call through the stand-in for Twilio's Calls
 * API, which counts the calls per callback. The figures: callbacks placed per second from the
 * first call to the last, and how many were called twice (doubled) or never (lost). Twilio's own
 * limit (TWILIO_CALLS_PER_SECOND) is set out of the way: this measures the hubs.
 * Goal: at least 100 per second, 0 doubled, 0 lost.
 *
 * Needs PostgreSQL (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/test); a database of
 * its own is created and dropped. Knobs: BENCH_DISPATCH_CALLBACKS (2000), BENCH_DISPATCH_AGENTS (50).
 */
export const callbackDispatchBenchmark: Benchmark = {
  name: 'callback-dispatch',
  description: 'callbacks placed per second by 2 hub processes on one PostgreSQL, doubled and lost counted',
  run: runCallbackDispatchBenchmark,
};

const SLOT_MS = 15 * 60_000;

async function runCallbackDispatchBenchmark({ config, log }: BenchContext): Promise<BenchmarkOutcome> {
  const count = envInt('BENCH_DISPATCH_CALLBACKS', 2_000);
  const agentCount = envInt('BENCH_DISPATCH_AGENTS', 50);
  const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const database = `klachtenhub_bench_${randomBytes(4).toString('hex')}`;
  const admin = openDb({ url: adminUrl });
  await admin.raw(`create database ${database}`);
  const url = `${adminUrl.replace(/\/[^/]*$/, '')}/${database}`;
  const dir = mkdtempSync(join(tmpdir(), 'klachtenhub-bench-dispatch-'));
  const twilio = new TwilioStandIn();
  await twilio.start();
  const hubs: HubProcess[] = [];
  const db = openDb({ url });
  try {
    await migrateToLatest(db);
    const team = agentsConfig(config, { count: agentCount, dir });
    log(`callback-dispatch: seeding ${count} due callbacks over ${agentCount} agents in ${database}`);
    // The hubs run on the real clock: the callbacks fell due an hour ago, on a slot boundary.
    const due = Math.floor((Date.now() - 60 * 60_000) / SLOT_MS) * SLOT_MS;
    const starts = await seedDueCallbacks(db, { count, agents: team.agents, teamId: team.teamId, slotMs: SLOT_MS, createdAt: due, startFor: (i) => due - Math.floor(i / agentCount) * SLOT_MS });

    const env = {
      DATABASE_URL: url,
      HUB_CONFIG: team.file,
      PUBLIC_URL: 'https://hub.example.nl',
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_PHONE_NUMBER: HUB_NUMBER,
      TWILIO_API_URL: twilio.url,
      TWILIO_CALLS_PER_SECOND: '1000',
      STOP_DRAIN_MS: '0',
    };
    const start = process.hrtime.bigint();
    hubs.push(...(await Promise.all([startHubProcess(env), startHubProcess(env)])));
    const deadline = Date.now() + Math.max(60_000, count * 50);
    while (callsByCallback(twilio).size < count && Date.now() < deadline) await sleep(20);
    const withStartUp = msSince(start) / 1000;
    await sleep(500); // a doubled call would come in just after the last one
    const calls = callsByCallback(twilio);
    const perCallback = [...starts.keys()].map((id) => calls.get(id)?.length ?? 0);
    const doubled = perCallback.filter((n) => n > 1).length;
    const lost = perCallback.filter((n) => n === 0).length;
    // From the first call to the last: the hubs' start-up (tsx compiling, migrations checked) is not dispatching.
    const times = twilio.created.calls.map((call) => call.dateCreated);
    const seconds = (Math.max(...times) - Math.min(...times)) / 1000;
    const rate = (count - lost - 1) / seconds;
    log(`callback-dispatch: ${count - lost} placed, first to last call ${fixed(seconds, 2)} s: ${fixed(rate, 0)}/s (${fixed(withStartUp, 1)} s with both hubs starting); doubled ${doubled}, lost ${lost}`);
    return {
      table: {
        header: ['callback-dispatch (2 hubs, PostgreSQL)', 'value'],
        rows: [
          ['callbacks due', String(count)],
          ['placed per second, first to last call', fixed(rate, 0)],
          ['seconds including both hubs starting', fixed(withStartUp, 1)],
          ['doubled', String(doubled)],
          ['lost', String(lost)],
        ],
      },
      tracked: { 'callback-dispatch per second': rate, 'callback-dispatch doubled': doubled, 'callback-dispatch lost': lost },
      data: { count, agents: agentCount, seconds, withStartUp, rate, doubled, lost },
    };
  } finally {
    for (const hub of hubs) hub.kill('SIGTERM');
    await Promise.all(hubs.map((hub) => hub.exited));
    await db.destroy();
    await twilio.stop();
    await admin.raw(`drop database if exists ${database} with (force)`);
    await admin.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
