import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CALLBACK_CALL_JOB } from '../src/callbacks/schedule';
import { migrateToLatest, openDb, type Db } from '../src/core/db';
import { envInt, fixed, msSince, type BenchContext, type Benchmark, type BenchmarkOutcome } from './harness';

/**
 * Callbacks dispatched per second by two hub processes (`src/main.ts`, as in production) sharing
 * one PostgreSQL database: N callbacks fall due at once, each a `callback-call` job; the hubs
 * claim them (FOR UPDATE SKIP LOCKED) and place each call through a local stand-in for Twilio's
 * Calls API, which counts the calls per callback. The figures: callbacks placed per second from
 * the hubs' start until the last call, and how many were called twice (doubled) or never (lost).
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

const ACCOUNT_SID = `AC${'b'.repeat(32)}`;
const AUTH_TOKEN = 'bench-dispatch-token';
const HUB_NUMBER = '+3197010203040';
const ROOT = resolve(__dirname, '..');
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
  const twilio = await startCallCounter();
  const hubs: ChildProcess[] = [];
  const db = openDb({ url });
  try {
    await migrateToLatest(db);
    const team = config.teams[0];
    if (!team) throw new Error('callback-dispatch bench: the configuration has no team');
    const agents = Array.from({ length: agentCount }, (_, i) => ({ id: `agent${i}`, name: `Agent ${i}`, team: team.id, phone: `+312012${String(i).padStart(5, '0')}` }));
    const configFile = join(dir, 'hub.json');
    writeFileSync(configFile, JSON.stringify({ ...config, agents }));
    log(`callback-dispatch: seeding ${count} due callbacks over ${agentCount} agents in ${database}`);
    // The hubs run on the real clock: the callbacks fell due an hour ago, on a slot boundary.
    const due = Math.floor((Date.now() - 60 * 60_000) / SLOT_MS) * SLOT_MS;
    const ids = await seedDueCallbacks(db, { count, agents: agents.map((agent) => agent.id), teamId: team.id, due });

    const env = {
      ...process.env,
      DATABASE_URL: url,
      HUB_CONFIG: configFile,
      PORT: '0',
      PUBLIC_URL: 'https://hub.example.nl',
      LOG_LEVEL: 'warn',
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_PHONE_NUMBER: HUB_NUMBER,
      TWILIO_API_URL: twilio.url,
    };
    const start = process.hrtime.bigint();
    for (let i = 0; i < 2; i++) hubs.push(spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts')], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] }));
    const deadline = Date.now() + Math.max(60_000, count * 50);
    while (twilio.called() < count && Date.now() < deadline) await sleep(20);
    const withStartUp = msSince(start) / 1000;
    await sleep(500); // a doubled call would come in just after the last one
    const perCallback = ids.map((id) => twilio.callsFor(id));
    const doubled = perCallback.filter((calls) => calls > 1).length;
    const lost = perCallback.filter((calls) => calls === 0).length;
    // From the first call to the last: the hubs' start-up (tsx compiling, migrations checked) is not dispatching.
    const seconds = twilio.span() / 1000;
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
    await Promise.all(hubs.map((hub) => new Promise((done) => (hub.exitCode !== null ? done(null) : hub.once('exit', done)))));
    await db.destroy();
    await twilio.stop();
    await admin.raw(`drop database if exists ${database}`);
    await admin.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Customers with a phone, an open thread each, a booked callback that fell due, and its job. */
async function seedDueCallbacks(db: Db, args: { count: number; agents: string[]; teamId: string; due: number }): Promise<number[]> {
  const ids: number[] = [];
  const { due } = args;
  for (let offset = 0; offset < args.count; offset += 500) {
    const batch = Array.from({ length: Math.min(500, args.count - offset) }, (_, j) => offset + j);
    await db.transaction(async (trx) => {
      const customers: { id: number }[] = await trx('customers').insert(batch.map((i) => ({ name: `Klant ${i}`, language: 'nl', created_at: due })), ['id']);
      await trx('identities').insert(batch.map((i, j) => ({ customer_id: customers[j]?.id, kind: 'phone', value: `+3161${String(i).padStart(7, '0')}`, created_at: due })));
      const threads: { id: number }[] = await trx('threads').insert(
        batch.map((i, j) => ({ reference: `KL-${String(10_000_000 + i).slice(1)}0`, customer_id: customers[j]?.id, status: 'open', summary: 'Pakket beschadigd', language: 'nl', channel: 'sms', team_id: args.teamId, created_at: due, updated_at: due })),
        ['id'],
      );
      // Distinct (agent, start) pairs, as the partial unique index demands: agent i % n, a slot further back per round.
      const callbacks: { id: number }[] = await trx('callbacks').insert(
        batch.map((i, j) => {
          const start = due - Math.floor(i / args.agents.length) * SLOT_MS;
          return { thread_id: threads[j]?.id, team_id: args.teamId, agent_id: args.agents[i % args.agents.length], start, end: start + SLOT_MS, status: 'booked', booked_via: 'api', created_at: due };
        }),
        ['id'],
      );
      await trx('jobs').insert(
        callbacks.map((callback) => ({ kind: CALLBACK_CALL_JOB, payload: JSON.stringify({ callbackId: callback.id, attempt: 1 }), dedupe_key: `${CALLBACK_CALL_JOB}:${callback.id}:1`, state: 'queued', run_at: due, attempts: 0, max_attempts: 2, created_at: due })),
      );
      ids.push(...callbacks.map((callback) => callback.id));
    });
  }
  return ids;
}

/** Twilio's Calls API, as far as the hub uses it: 201 with a CallSid, and a count per callback id (from the TwiML URL). */
async function startCallCounter(): Promise<{ url: string; called: () => number; callsFor: (callbackId: number) => number; span: () => number; stop: () => Promise<void> }> {
  const calls = new Map<number, number>();
  let first = 0;
  let last = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const callbackId = Number(new URL(new URLSearchParams(body).get('Url') ?? 'http://x/', 'http://x').searchParams.get('callback'));
      calls.set(callbackId, (calls.get(callbackId) ?? 0) + 1);
      last = Date.now();
      first ||= last;
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sid: `CA${randomBytes(16).toString('hex')}`, status: 'queued' }));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    called: () => calls.size,
    callsFor: (callbackId) => calls.get(callbackId) ?? 0,
    span: () => last - first,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
