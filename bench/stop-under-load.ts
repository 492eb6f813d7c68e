import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { AUTH_TOKEN } from '../test/channels/twilio-helpers';
import { startHubProcess } from '../test/helpers/hub-process';
import { webhookLoad, type WebhookLoad } from '../test/helpers/webhook-load';
import { envInt, fixed, tempSqlite, type BenchContext, type Benchmark, type BenchmarkOutcome } from './harness';

/**
 * SIGTERM to a hub process (SQLite) under 20 signed SMS webhooks in flight on kept-alive
 * connections, as in a deploy's restart: how many webhooks were cut off (reset), refused, and
 * answered. The baseline, in the same run: Node's own `server.close()` on a bare Express app that
 * answers the same webhooks (what the hub's stop did before). Then the hub's stop with a drain and
 * a sender that stops on /readyz 503 (a load balancer), the same without the drain, and with the
 * drain but a sender that never looks at /readyz. Goal: 0 resets.
 * Knobs: BENCH_STOP_ROUNDS (3), BENCH_STOP_DRAIN_MS (2000).
 */
export const stopUnderLoadBenchmark: Benchmark = {
  name: 'stop-under-load',
  description: 'SIGTERM under 20 webhooks in flight: resets with and without the drain, with and without a sender that heeds /readyz',
  run: runStopUnderLoadBenchmark,
};

const PUBLIC_URL = 'https://hub.example.nl';

interface Round {
  answered: number;
  resets: number;
  refused: number;
  stopMs: number;
}

async function runStopUnderLoadBenchmark({ log }: BenchContext): Promise<BenchmarkOutcome> {
  const rounds = envInt('BENCH_STOP_ROUNDS', 3);
  const drainMs = envInt('BENCH_STOP_DRAIN_MS', 2_000);
  const ways: { name: string; stop: () => Promise<Round> }[] = [
    { name: "Node's server.close() on bare Express (baseline)", stop: nodeCloseOnce },
    { name: `hub, drain ${drainMs} ms, sender heeds /readyz`, stop: () => stopOnce({ drainMs, heedReadiness: true }) },
    { name: 'hub, no drain, sender heeds /readyz', stop: () => stopOnce({ drainMs: 0, heedReadiness: true }) },
    { name: `hub, drain ${drainMs} ms, sender ignores /readyz`, stop: () => stopOnce({ drainMs, heedReadiness: false }) },
  ];
  const results: { name: string; rounds: Round[] }[] = [];
  for (const way of ways) {
    const measured: Round[] = [];
    for (let round = 0; round < rounds; round++) measured.push(await way.stop());
    const sum = (field: keyof Round) => measured.reduce((total, r) => total + r[field], 0);
    log(`stop-under-load: ${way.name}: ${sum('resets')} reset, ${sum('refused')} refused, ${sum('answered')} answered in ${rounds} stops`);
    results.push({ name: way.name, rounds: measured });
  }
  const resetsOf = (i: number) => (results[i]?.rounds ?? []).reduce((total, round) => total + round.resets, 0);
  return {
    table: {
      header: [`stop-under-load (20 in flight, ${rounds} stops each)`, 'reset', 'refused', 'answered', 'stop ms (max)'],
      rows: results.map(({ name, rounds: measured }) => [
        name,
        String(measured.reduce((total, r) => total + r.resets, 0)),
        String(measured.reduce((total, r) => total + r.refused, 0)),
        String(measured.reduce((total, r) => total + r.answered, 0)),
        fixed(Math.max(...measured.map((r) => r.stopMs)), 0),
      ]),
    },
    tracked: {
      'stop-under-load resets (Node close, baseline)': resetsOf(0),
      'stop-under-load resets (hub, drain, load balancer)': resetsOf(1),
      'stop-under-load resets (hub, no drain)': resetsOf(2),
      'stop-under-load resets (hub, drain, no load balancer)': resetsOf(3),
    },
    data: results,
  };
}

async function stopOnce(way: { drainMs: number; heedReadiness: boolean }): Promise<Round> {
  const store = tempSqlite('stop');
  try {
    const hub = await startHubProcess({ DATABASE_URL: store.url, PUBLIC_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN, STOP_DRAIN_MS: String(way.drainMs) });
    const loading = webhookLoad(hub, { publicUrl: PUBLIC_URL, inFlight: 20, keepAlive: true, heedReadiness: way.heedReadiness });
    await sleep(1_500);
    const signalled = Date.now();
    hub.kill('SIGTERM');
    const load = await loading;
    await hub.exited;
    return roundOf(load, signalled);
  } finally {
    store.remove();
  }
}

/** The baseline: an Express app answering the webhooks, stopped with Node's server.close() (it closes every connection with no request in flight). */
async function nodeCloseOnce(): Promise<Round> {
  const app = express();
  app.post('/twilio/sms', express.urlencoded({ extended: false }), (_req, res) => {
    res.type('text/xml').send('<Response/>');
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((listening) => server.once('listening', listening));
  const exited = new Promise<{ code: number | null; signal: null }>((closed) => server.once('close', () => closed({ code: 0, signal: null })));
  const loading = webhookLoad({ base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, exited }, { publicUrl: PUBLIC_URL, inFlight: 20, keepAlive: true, heedReadiness: false });
  await sleep(1_500);
  const signalled = Date.now();
  server.close();
  return roundOf(await loading, signalled);
}

function roundOf(load: WebhookLoad, signalled: number): Round {
  const refused = load.errors.filter((error) => error === 'ECONNREFUSED').length;
  return { answered: load.answered.length, resets: load.errors.length - refused, refused, stopMs: Date.now() - signalled };
}
