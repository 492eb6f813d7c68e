import { createHmac } from 'node:crypto';
import pino from 'pino';
import { readEnv } from '../src/config/env';
import { Hub } from '../src/hub';
import { HANDOFF_ACTIONS } from '../src/handoff/render-slack';
import { startFakeSlackApi } from '../test/slack/fake-slack-api';
import { envInt, fixed, msSince, percentile, runPool, tempSqlite, type BenchContext, type Benchmark, type BenchmarkOutcome } from './harness';

/**
 * Slack acknowledgement latency: a real hub (SQLite temp file, Bolt's ExpressReceiver on
 * POST /slack/events) receives signed interaction payloads with BENCH_SLACK_CONCURRENCY
 * connections in flight, and each request is timed until its HTTP 200 (the ack) has been read.
 * The Web API calls Bolt makes after the ack (auth.test, chat.update, chat.postEphemeral) go to an
 * in-process stand-in that answers at once, so they cost CPU in the same process as in production.
 *
 * The mix: 2/3 accept-button clicks on different threads (the first click on a thread assigns it
 * and updates the card; later ones get "al aangenomen"), 1/3 `/klacht KL-…` slash commands (the
 * dossier summary is built before the ack, in the ack itself). Slack's limit is 3 s; the tracked
 * figure is the p99.
 *
 * Knobs: BENCH_SLACK_REQUESTS (2000), BENCH_SLACK_CONCURRENCY (20), BENCH_SLACK_THREADS (300).
 */

const SECRET = 'bench-signing-secret-0123456789abcdef';

export interface SlackAckResult {
  requests: number;
  concurrency: number;
  threads: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  byKind: Record<string, { count: number; p50Ms: number; p99Ms: number; maxMs: number }>;
  non200: number;
  firstError?: string;
  /** Web API calls the stand-in received (work Bolt did after the acks). */
  webApiCalls: Record<string, number>;
}

export const slackAckBenchmark: Benchmark = {
  name: 'slack-ack',
  description: 'Slack interaction ack latency (accept clicks + /klacht, 20 connections): p50/p99/max ms',
  run: runSlackAckBenchmark,
};

async function runSlackAckBenchmark({ config, log }: BenchContext): Promise<BenchmarkOutcome> {
  const requests = envInt('BENCH_SLACK_REQUESTS', 2_000);
  const concurrency = Math.max(1, envInt('BENCH_SLACK_CONCURRENCY', 20));
  const threadCount = Math.max(1, envInt('BENCH_SLACK_THREADS', 300));
  const warmup = Math.min(100, requests);
  const slack = await startFakeSlackApi();
  const tmp = tempSqlite('slack');
  let hub: Hub | undefined;
  try {
    const env = readEnv({
      DATABASE_URL: tmp.url,
      LOG_LEVEL: 'silent',
      PORT: '0',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_API_URL: slack.url,
    });
    hub = await Hub.create({ env, config, logger: pino({ level: 'silent' }), runJobs: false });
    const port = await hub.listen(0);
    const url = `http://127.0.0.1:${port}/slack/events`;
    const team = config.teams[0];
    const users = config.agents.filter((agent) => agent.slackUserId).map((agent) => agent.slackUserId as string);
    if (!team || users.length === 0) throw new Error('slack-ack bench: the configuration needs a team and an agent with slackUserId');

    log(`slack-ack: ${threadCount} threads, ${warmup} warm-up + ${requests} requests at concurrency ${concurrency} against ${url}`);
    const references: string[] = [];
    const now = Date.now();
    for (let i = 0; i < threadCount; i++) {
      const { reference } = await hub.ingest({
        channel: 'sms',
        providerId: `SMslackbench${i}`,
        from: { kind: 'phone', value: `+3163${String(i).padStart(7, '0')}` },
        body: `Mijn pakket ${i} is niet aangekomen.`,
        at: now,
      });
      references.push(reference);
    }

    const body = (i: number): { kind: 'accept' | 'klacht'; body: string } => {
      const reference = references[i % references.length] as string;
      // Each pass over the threads is by the next agent: the first click on a thread assigns it, later ones are told it is taken.
      const user = users[Math.floor(i / references.length) % users.length] as string;
      if (i % 3 === 2) {
        return {
          kind: 'klacht',
          body: new URLSearchParams({ command: '/klacht', text: reference, user_id: user, team_id: 'T0HUB', channel_id: team.slackChannel ?? 'C0SERVICE', response_url: 'https://hooks.slack.invalid/x', trigger_id: `t${i}` }).toString(),
        };
      }
      const channel = team.slackChannel ?? 'C0SERVICE';
      const ts = `1764000000.${String(i).padStart(6, '0')}`;
      const payload = {
        type: 'block_actions',
        team: { id: 'T0HUB', domain: 'klachtenhub' },
        user: { id: user, username: user.toLowerCase(), team_id: 'T0HUB' },
        api_app_id: 'A0HUB',
        token: 'legacy',
        container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: false },
        trigger_id: `trigger.${i}`,
        channel: { id: channel, name: 'klantenservice' },
        message: { type: 'message', ts, text: 'Overdracht', user: 'U0BOT' },
        response_url: 'https://hooks.slack.invalid/actions/x',
        actions: [{ type: 'button', action_id: HANDOFF_ACTIONS.accept, block_id: 'handoff_actions', value: reference, text: { type: 'plain_text', text: 'Aannemen' }, action_ts: ts }],
      };
      return { kind: 'accept', body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString() };
    };

    const latencies: number[] = [];
    const byKind = new Map<string, number[]>();
    let non200 = 0;
    let firstError: string | undefined;
    const send = async (i: number, measure: boolean): Promise<void> => {
      const request = body(i);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = createHmac('sha256', SECRET).update(`v0:${timestamp}:${request.body}`).digest('hex');
      const t0 = process.hrtime.bigint();
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': `v0=${signature}` },
          body: request.body,
        });
        const text = await response.text();
        if (response.status !== 200) {
          non200++;
          firstError ??= `${request.kind}: HTTP ${response.status} ${text.slice(0, 200)}`;
        }
      } catch (error) {
        non200++;
        firstError ??= `${request.kind}: ${(error as Error).message}`;
      }
      if (!measure) return;
      const ms = msSince(t0);
      latencies.push(ms);
      const list = byKind.get(request.kind) ?? [];
      list.push(ms);
      byKind.set(request.kind, list);
    };

    // Warm-up on its own index range, so the measured clicks are not all second clicks.
    await runPool(warmup, concurrency, (i) => send(requests + i, false));
    const start = process.hrtime.bigint();
    await runPool(requests, concurrency, (i) => send(i, true));
    const seconds = msSince(start) / 1000;
    await settle(() => slack.calls.length);

    const webApiCalls: Record<string, number> = {};
    for (const call of slack.calls) webApiCalls[call.method] = (webApiCalls[call.method] ?? 0) + 1;
    const summary = (samples: number[]) => ({ count: samples.length, p50Ms: percentile(samples, 0.5), p99Ms: percentile(samples, 0.99), maxMs: percentile(samples, 1) });
    const result: SlackAckResult = {
      requests,
      concurrency,
      threads: threadCount,
      seconds,
      perSecond: requests / seconds,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      maxMs: percentile(latencies, 1),
      byKind: Object.fromEntries([...byKind].map(([kind, samples]) => [kind, summary(samples)])),
      non200,
      firstError,
      webApiCalls,
    };
    log(
      `slack-ack: ${requests} requests in ${fixed(seconds, 2)} s = ${fixed(result.perSecond, 0)} req/s; ack p50 ${fixed(result.p50Ms, 2)} ms, ` +
        `p99 ${fixed(result.p99Ms, 2)} ms, max ${fixed(result.maxMs, 1)} ms${non200 ? `; ${non200} not 200 (${firstError})` : ''}`,
    );
    for (const [kind, figures] of Object.entries(result.byKind)) {
      log(`slack-ack ${kind}: ${figures.count} requests, p50 ${fixed(figures.p50Ms, 2)} ms, p99 ${fixed(figures.p99Ms, 2)} ms, max ${fixed(figures.maxMs, 1)} ms`);
    }
    log(`slack-ack: Web API calls after the acks: ${JSON.stringify(webApiCalls)}`);
    const row = (name: string, f: { count: number; p50Ms: number; p99Ms: number; maxMs: number }, rate: string) => [name, String(f.count), fixed(f.p50Ms, 2), fixed(f.p99Ms, 2), fixed(f.maxMs, 1), rate];
    return {
      table: {
        header: [`slack ack (c${concurrency})`, 'requests', 'p50 ms', 'p99 ms', 'max ms', 'req/s'],
        rows: [row('all', summary(latencies), fixed(result.perSecond, 0)), ...Object.entries(result.byKind).map(([kind, f]) => row(kind, f, ''))],
      },
      tracked: { [`slack ack p99 ms (concurrency ${concurrency})`]: result.p99Ms },
      data: result,
    };
  } finally {
    await hub?.stop();
    await slack.close();
    tmp.remove();
  }
}

/** Waits until `count()` has not changed for 300 ms (at most 10 s): Bolt's work after the acks. */
async function settle(count: () => number): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last = -1;
  while (Date.now() < deadline) {
    const current = count();
    if (current === last) return;
    last = current;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
