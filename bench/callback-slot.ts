import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { migrateToLatest, openDb, type Db } from '../src/core/db';
import { ACCOUNT_SID, AUTH_TOKEN, HUB_NUMBER, TwilioStandIn } from '../test/channels/twilio-helpers';
import { startHubProcess, type HubProcess } from '../test/helpers/hub-process';
import { agentsConfig, callsByCallback, seedDueCallbacks } from '../test/helpers/due-callbacks';
import { envInt, fixed, percentile, type BenchContext, type Benchmark, type BenchmarkOutcome } from './harness';

/**
 * Callbacks due in one slot, placed by two hub processes on PostgreSQL through the Twilio
 * stand-in: N callbacks start within one minute (a third at 0, 20 and 40 s), and in the measured
 * phase one hub is SIGKILLed at the first start, holding jobs it had claimed. The figures: the
 * lateness of each call (placed minus promised start), p99 and max, against the same phase without
 * a kill (baseline, same run); calls placed per callback (doubled, lost); and the takeover of the
 * dead hub's claimed jobs (from the kill until another hub holds each). Goal: max lateness < 60 s,
 * takeover < 5 s, 0 doubled, 0 lost.
 *
 * Knobs: BENCH_SLOT_CALLBACKS (150), BENCH_SLOT_CPS (TWILIO_CALLS_PER_SECOND, 10), BENCH_PG_URL.
 */
export const callbackSlotBenchmark: Benchmark = {
  name: 'callback-slot',
  description: 'callbacks due in one minute on 2 hubs (PostgreSQL), one SIGKILLed at the due time: lateness, takeover, doubled, lost',
  run: runCallbackSlotBenchmark,
};

const SLOT_MS = 15 * 60_000;
const STARTS = [0, 20_000, 40_000];

interface Phase {
  lateness: number[];
  doubled: number;
  lost: number;
  /** Per job the dead hub held: ms from the kill until another hub had it (empty without a kill). */
  takeover: number[];
}

async function runCallbackSlotBenchmark({ config, log }: BenchContext): Promise<BenchmarkOutcome> {
  const count = envInt('BENCH_SLOT_CALLBACKS', 150);
  const cps = envInt('BENCH_SLOT_CPS', 10);
  const baseline = await runPhase({ config, log, count, cps, kill: false });
  const killed = await runPhase({ config, log, count, cps, kill: true });
  const figure = (phase: Phase) => ({ p99: percentile(phase.lateness, 0.99) / 1000, max: Math.max(...phase.lateness) / 1000 });
  const [base, dead] = [figure(baseline), figure(killed)];
  const takeoverMax = Math.max(...killed.takeover) / 1000;
  const takeoverP50 = percentile(killed.takeover, 0.5) / 1000;
  log(`callback-slot: lateness p99 ${fixed(dead.p99, 1)} s, max ${fixed(dead.max, 1)} s with a hub killed (baseline ${fixed(base.p99, 1)} / ${fixed(base.max, 1)} s); takeover of ${killed.takeover.length} claimed jobs p50 ${fixed(takeoverP50, 1)} s, max ${fixed(takeoverMax, 1)} s; doubled ${killed.doubled}, lost ${killed.lost}`);
  return {
    table: {
      header: [`callback-slot (${count} due in a minute, ${cps} calls/s, 2 hubs)`, 'no kill', 'one hub SIGKILLed', 'ratio'],
      rows: [
        ['lateness p99 (s)', fixed(base.p99, 1), fixed(dead.p99, 1), fixed(dead.p99 / base.p99, 2)],
        ['lateness max (s)', fixed(base.max, 1), fixed(dead.max, 1), fixed(dead.max / base.max, 2)],
        ['takeover of the dead hub\'s jobs, max (s)', '-', fixed(takeoverMax, 1), '-'],
        ['doubled', String(baseline.doubled), String(killed.doubled), '-'],
        ['lost', String(baseline.lost), String(killed.lost), '-'],
      ],
    },
    tracked: {
      'callback-slot lateness max s (killed)': dead.max,
      'callback-slot lateness p99 s (killed)': dead.p99,
      'callback-slot lateness max ratio killed/baseline': dead.max / base.max,
      'callback-slot takeover max s': takeoverMax,
      'callback-slot doubled': killed.doubled + baseline.doubled,
      'callback-slot lost': killed.lost + baseline.lost,
    },
    data: { count, cps, baseline, killed },
  };
}

async function runPhase(args: { config: BenchContext['config']; log: BenchContext['log']; count: number; cps: number; kill: boolean }): Promise<Phase> {
  const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const database = `klachtenhub_bench_${randomBytes(4).toString('hex')}`;
  const admin = openDb({ url: adminUrl });
  await admin.raw(`create database ${database}`);
  const url = `${adminUrl.replace(/\/[^/]*$/, '')}/${database}`;
  const dir = mkdtempSync(join(tmpdir(), 'klachtenhub-bench-slot-'));
  const twilio = new TwilioStandIn();
  await twilio.start();
  const hubs: HubProcess[] = [];
  const db = openDb({ url });
  try {
    await migrateToLatest(db);
    const team = agentsConfig(args.config, { count: Math.ceil(args.count / STARTS.length), dir });
    const env = {
      DATABASE_URL: url,
      HUB_CONFIG: team.file,
      PUBLIC_URL: 'https://hub.example.nl',
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_PHONE_NUMBER: HUB_NUMBER,
      TWILIO_API_URL: twilio.url,
      TWILIO_CALLS_PER_SECOND: String(args.cps),
      STOP_DRAIN_MS: '0',
    };
    hubs.push(...(await Promise.all([startHubProcess(env), startHubProcess(env)])));
    const due = Date.now() + 3_000;
    const perStart = team.agents.length;
    const starts = await seedDueCallbacks(db, { count: args.count, agents: team.agents, teamId: team.teamId, slotMs: SLOT_MS, createdAt: Date.now(), startFor: (i) => due + (STARTS[Math.floor(i / perStart)] ?? 0) });
    args.log(`callback-slot: ${args.count} callbacks due from ${new Date(due).toISOString()} within a minute${args.kill ? '; one hub is killed at the first start' : ''}`);

    let takeover: number[] = [];
    if (args.kill) {
      await sleep(Math.max(0, due - Date.now()));
      const victim = hubs[0] as HubProcess;
      // At the due time, at a moment it holds claimed jobs (their calls are what a dead hub delays).
      const victimId = `${hostname()}:${victim.child.pid}`; // the worker id it claims jobs under
      for (const until = Date.now() + 5_000; Date.now() < until; await sleep(2)) {
        if (await db('jobs').where({ locked_by: victimId, state: 'running' }).first('id')) break;
      }
      victim.kill('SIGKILL');
      const killedAt = Date.now();
      takeover = await takeoverTimes(db, victimId, killedAt);
      args.log(`callback-slot: the killed hub held ${takeover.length} running jobs`);
    }
    const deadline = due + STARTS.at(-1)! + 60_000 + (args.count / args.cps) * 1000;
    while (callsByCallback(twilio).size < args.count && Date.now() < deadline) await sleep(100);
    await sleep(2_000); // a doubled call would come in just after
    const calls = callsByCallback(twilio);
    const lateness = [...starts].flatMap(([id, start]) => (calls.get(id) ? [(calls.get(id)?.[0] as number) - start] : []));
    const perCallback = [...starts.keys()].map((id) => calls.get(id)?.length ?? 0);
    return { lateness, doubled: perCallback.filter((n) => n > 1).length, lost: perCallback.filter((n) => n === 0).length, takeover };
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

/** For each job the dead hub held when it died: how long until another hub claimed it (or it was done). */
async function takeoverTimes(db: Db, victimId: string, killedAt: number): Promise<number[]> {
  const held: number[] = await db('jobs').where({ locked_by: victimId, state: 'running' }).pluck('id');
  const times = new Map<number, number>();
  while (times.size < held.length && Date.now() - killedAt < 60_000) {
    const still = new Set<number>(await db('jobs').whereIn('id', held).where({ locked_by: victimId, state: 'running' }).pluck('id'));
    for (const id of held) if (!still.has(id) && !times.has(id)) times.set(id, Date.now() - killedAt);
    await sleep(50);
  }
  return [...times.values()];
}
