import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import express from 'express';
import pino from 'pino';
import twilio from 'twilio';
import { readEnv } from '../src/config/env';
import { Hub } from '../src/hub';
import { envInt, fixed, msSince, percentile, prng, runPool, tempSqlite, type BenchContext, type Benchmark, type BenchmarkOutcome } from './harness';

/**
 * Signed inbound SMS webhooks per second: the real hub (SQLite temp file, signature check,
 * ingest, TwiML answer; jobs not run) against a bare Express 5 app that parses the form and
 * answers `<Response/>`, both driven by the same in-process load generator (fetch, N requests in
 * flight). The tracked figure is the ratio hub/bare (goal at least 0.5): the median over rounds
 * that alternate bare and hub, so a burst of other work on the machine hits one round of each
 * rather than a whole side. Then the hub's latency
 * at half its measured rate, paced open-loop (latency counted from the scheduled send time, so
 * a stall is not hidden by the generator waiting for it), after one unmeasured second at that rate.
 *
 * Every request has its own MessageSid, from a pool of 500 senders (some of whom get to join
 * their open thread, most open a new one early on). Forms and signatures are computed before
 * the clock starts.
 *
 * Knobs: BENCH_SMS_REQUESTS (3000, per server, split over the rounds), BENCH_SMS_ROUNDS (5),
 * BENCH_SMS_WARMUP (300), BENCH_SMS_CONCURRENCY (20), BENCH_SMS_PACED_SECONDS (8).
 */

const PUBLIC_URL = 'https://hub.example.nl';
const AUTH_TOKEN = 'bench-auth-token-0123456789abcdef';
const PATH = '/twilio/sms';
const SENDERS = 500;

interface PreparedRequest {
  body: string;
  signature: string;
}

interface PhaseResult {
  requests: number;
  latencies: number[];
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export const smsWebhooksBenchmark: Benchmark = {
  name: 'sms-webhooks',
  description: 'signed inbound SMS webhooks/s: hub vs bare Express 5, and hub p99 at half its max rate',
  run: runSmsWebhooksBenchmark,
};

function prepare(count: number, random: () => number): PreparedRequest[] {
  return Array.from({ length: count }, (_, i) => {
    const sender = `+316${String(10_000_000 + Math.floor(random() * SENDERS)).slice(0, 8)}`;
    const form: Record<string, string> = {
      ToCountry: 'NL',
      SmsMessageSid: '',
      NumMedia: '0',
      MessageSid: `SM${randomBytes(16).toString('hex')}`,
      AccountSid: 'ACbenchbenchbenchbenchbenchbench00',
      From: sender,
      To: '+3197010203040',
      Body: `Bericht ${i}: mijn pakket is beschadigd aangekomen`,
      NumSegments: '1',
      ApiVersion: '2010-04-01',
    };
    form.SmsMessageSid = form.MessageSid as string;
    return { body: new URLSearchParams(form).toString(), signature: twilio.getExpectedTwilioSignature(AUTH_TOKEN, PUBLIC_URL + PATH, form) };
  });
}

async function send(base: string, request: PreparedRequest): Promise<boolean> {
  const response = await fetch(base + PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': request.signature },
    body: request.body,
  });
  await response.text();
  return response.status === 200;
}

/** Closed loop: `concurrency` requests in flight, each worker sends the next when one returns. */
async function closedLoop(base: string, requests: PreparedRequest[], concurrency: number): Promise<PhaseResult> {
  const latencies: number[] = [];
  let errors = 0;
  const start = process.hrtime.bigint();
  await runPool(requests.length, concurrency, async (i) => {
    const sent = process.hrtime.bigint();
    if (!(await send(base, requests[i] as PreparedRequest).catch(() => false))) errors++;
    latencies.push(msSince(sent));
  });
  return phaseResult(requests.length, msSince(start) / 1000, latencies, errors);
}

function phaseResult(requests: number, seconds: number, latencies: number[], errors: number): PhaseResult {
  return { requests, latencies, seconds, perSecond: requests / seconds, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), errors };
}

/** A phase for the results file: its figures without every single latency. */
function figures({ latencies: _latencies, ...rest }: PhaseResult): Omit<PhaseResult, 'latencies'> {
  return rest;
}

/** Several rounds, each bare then hub, with fresh requests of the same shape for both. */
async function alternatingRounds(args: {
  bare: string;
  hub: string;
  count: number;
  rounds: number;
  concurrency: number;
  random: () => number;
}): Promise<{ bare: PhaseResult; hub: PhaseResult }[]> {
  const perRound = Math.max(1, Math.round(args.count / args.rounds));
  const results: { bare: PhaseResult; hub: PhaseResult }[] = [];
  for (let round = 0; round < args.rounds; round++) {
    const bare = await closedLoop(args.bare, prepare(perRound, args.random), args.concurrency);
    const hub = await closedLoop(args.hub, prepare(perRound, args.random), args.concurrency);
    results.push({ bare, hub });
  }
  return results;
}

/** The rounds of one server as one phase: total rate, and percentiles over every request. */
function combine(phases: PhaseResult[]): PhaseResult {
  const sum = (pick: (phase: PhaseResult) => number) => phases.reduce((total, phase) => total + pick(phase), 0);
  return phaseResult(sum((phase) => phase.requests), sum((phase) => phase.seconds), phases.flatMap((phase) => phase.latencies), sum((phase) => phase.errors));
}

/** Open loop: one request every 1/rate s whatever the answers do; latency from the scheduled time. */
async function openLoop(base: string, requests: PreparedRequest[], rate: number): Promise<PhaseResult> {
  const latencies: number[] = [];
  let errors = 0;
  const intervalMs = 1000 / rate;
  const start = process.hrtime.bigint();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < requests.length; i++) {
    const due = i * intervalMs;
    const wait = due - msSince(start);
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(
      send(base, requests[i] as PreparedRequest)
        .catch(() => false)
        .then((ok) => {
          if (!ok) errors++;
          latencies.push(msSince(start) - due);
        }),
    );
  }
  await Promise.all(inFlight);
  return phaseResult(requests.length, msSince(start) / 1000, latencies, errors);
}

async function startBare(): Promise<{ base: string; stop: () => Promise<void> }> {
  const app = express();
  app.use(express.urlencoded({ extended: false, limit: '64kb' }));
  app.post(PATH, (_req, res) => {
    res.type('text/xml').status(200).send('<?xml version="1.0" encoding="UTF-8"?><Response/>');
  });
  const server: Server = app.listen(0);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

async function runSmsWebhooksBenchmark({ config, log }: BenchContext): Promise<BenchmarkOutcome> {
  const count = envInt('BENCH_SMS_REQUESTS', 3_000);
  const warmup = envInt('BENCH_SMS_WARMUP', 300);
  const concurrency = Math.max(1, envInt('BENCH_SMS_CONCURRENCY', 20));
  const roundCount = Math.max(1, envInt('BENCH_SMS_ROUNDS', 5));
  const pacedSeconds = Math.max(1, envInt('BENCH_SMS_PACED_SECONDS', 8));
  const random = prng(0x736d7321);
  const store = tempSqlite('sms-webhooks');
  const env = readEnv({ DATABASE_URL: store.url, LOG_LEVEL: 'silent', PORT: '0', PUBLIC_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN });
  const hub = await Hub.create({ env, config, logger: pino({ level: 'silent' }), runJobs: false });
  const bare = await startBare();
  try {
    const hubBase = `http://127.0.0.1:${await hub.listen(0)}`;
    log(`sms-webhooks: ${warmup} warm-up + ${count} measured requests per server at concurrency ${concurrency}, then ${pacedSeconds} s paced at 50% of the hub's rate`);

    await closedLoop(bare.base, prepare(warmup, random), concurrency);
    await closedLoop(hubBase, prepare(warmup, random), concurrency);
    const rounds = await alternatingRounds({ bare: bare.base, hub: hubBase, count, rounds: roundCount, concurrency, random });
    const bareResult = combine(rounds.map((round) => round.bare));
    const hubResult = combine(rounds.map((round) => round.hub));
    const ratios = rounds.map((round) => round.hub.perSecond / round.bare.perSecond);
    const ratio = percentile(ratios, 0.5);
    log(`sms-webhooks bare express: ${fixed(bareResult.perSecond, 0)} req/s, p50 ${fixed(bareResult.p50Ms, 2)} ms, p99 ${fixed(bareResult.p99Ms, 2)} ms, errors ${bareResult.errors}`);
    log(`sms-webhooks hub: ${fixed(hubResult.perSecond, 0)} req/s, p50 ${fixed(hubResult.p50Ms, 2)} ms, p99 ${fixed(hubResult.p99Ms, 2)} ms, errors ${hubResult.errors}`);
    log(`sms-webhooks ratio hub/bare per round: ${ratios.map((r) => fixed(r, 3)).join(', ')}; median ${fixed(ratio, 3)} (goal at least 0.5)`);

    const pacedRate = hubResult.perSecond / 2;
    const pacedCount = Math.max(1, Math.round(pacedRate * pacedSeconds));
    // One unmeasured second at the paced rate first: the rounds at full speed leave their garbage
    // (and the load generator's) to a full collection, which would otherwise land in the first
    // measured second and be counted as the hub's latency at half its rate.
    await openLoop(hubBase, prepare(Math.max(1, Math.round(pacedRate)), random), pacedRate);
    const paced = await openLoop(hubBase, prepare(pacedCount, random), pacedRate);
    log(`sms-webhooks hub paced at ${fixed(pacedRate, 0)} req/s: p50 ${fixed(paced.p50Ms, 2)} ms, p99 ${fixed(paced.p99Ms, 2)} ms, achieved ${fixed(paced.perSecond, 0)} req/s, errors ${paced.errors}`);

    const row = (name: string, r: PhaseResult): string[] => [name, fixed(r.perSecond, 0), fixed(r.p50Ms, 2), fixed(r.p99Ms, 2), String(r.errors)];
    return {
      table: {
        header: ['sms-webhooks', 'req/s', 'p50 (ms)', 'p99 (ms)', 'errors'],
        rows: [
          row(`bare express, c${concurrency}`, bareResult),
          row(`hub, c${concurrency}`, hubResult),
          row(`hub paced at ${fixed(pacedRate, 0)}/s (50%)`, paced),
          [`ratio hub/bare, median of ${roundCount}`, fixed(ratio, 3), '', '', ''],
        ],
      },
      tracked: { 'sms-webhooks ratio hub/bare': ratio, 'sms-webhooks hub p99 ms at 50% rate': paced.p99Ms },
      data: { requests: count, rounds: roundCount, warmup, concurrency, senders: SENDERS, bare: figures(bareResult), hub: figures(hubResult), ratios, paced: { rate: pacedRate, ...figures(paced) }, ratio },
    };
  } finally {
    await bare.stop();
    await hub.stop();
    store.remove();
  }
}
