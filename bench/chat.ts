import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createChatSession } from '../src/core/chat';
import { openDb } from '../src/core/db';
import { openSse, type SseStream } from '../test/channels/chat-client';
import { envInt, fixed, msSince, percentile, runPool, tempSqlite, type Benchmark, type BenchmarkOutcome, type BenchContext } from './harness';

/**
 * Web chat under load: the hub runs as its own process (src/main.ts on a SQLite temp file, as
 * operators run it), so its memory is its own. BENCH_CHAT_STREAMS sessions each send a first
 * message (opening their thread); then messages are posted through the chat API with 20 in
 * flight, first with no event stream open and then with every session's stream open, in the same
 * run. Reported: messages/s in both phases and their ratio (what open streams cost), how soon
 * each message reached its session's stream (p50/p99), and the hub's heap and resident memory
 * per open stream.
 *
 * Knobs: BENCH_CHAT_STREAMS (200), BENCH_CHAT_MESSAGES (at most 7 per session and phase: the
 * per-session limit is 20 a minute).
 */

export const chatBenchmark: Benchmark = {
  name: 'chat',
  description: 'web chat: messages/s through the API with and without 200 open event streams, delivery latency, memory per stream',
  run: runChatBenchmark,
};

const REPO_ROOT = resolve(__dirname, '..');
const CONCURRENCY = 20;
const WARMUP_PER_SESSION = 3;

async function runChatBenchmark({ log }: BenchContext): Promise<BenchmarkOutcome> {
  const streamCount = Math.max(1, envInt('BENCH_CHAT_STREAMS', 200));
  // 1 first message + warm-up + two phases must stay under the limit of 20 a minute per session.
  const perSession = Math.min(7, Math.max(1, envInt('BENCH_CHAT_MESSAGES', 7)));
  const store = tempSqlite('chat');
  const hub = await startHubProcess(store.url);
  const db = openDb({ url: store.url });
  const streams: SseStream[] = [];
  try {
    log(`chat: ${streamCount} sessions; first messages open their threads`);
    const credentials = await sessionTokens(db, streamCount);
    await runPool(streamCount, CONCURRENCY, (i) => postMessage(hub.base, credentials[i] as Credential, `Eerste bericht van klant ${i}`));

    // Unmeasured: the hub's code paths warm up before the first measured phase, as before the second.
    await postPhase(hub.base, credentials, WARMUP_PER_SESSION, 'opwarmen');
    const quiet = await postPhase(hub.base, credentials, perSession, 'zonder streams');
    log(`  no streams open: ${fixed(quiet.perSecond, 0)} messages/s`);

    const before = await memory(hub.base);
    // Each stream a customer of her own: the hub caps streams per client address (STREAM_LIMITS).
    for (const [i, credential] of credentials.entries()) {
      streams.push(await openSse(`${hub.base}/chat/sessions/${credential.sessionId}/events`, { authorization: `Bearer ${credential.token}`, 'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }));
    }
    await Promise.all(streams.map((stream) => stream.waitFor(1)));
    await sleep(1_000);
    const after = await memory(hub.base);
    const perStream = { heapKb: (after.heap - before.heap) / streamCount / 1024, rssKb: (after.rss - before.rss) / streamCount / 1024 };
    log(`  ${streamCount} streams open: heap +${fixed(perStream.heapKb, 1)} KB, RSS +${fixed(perStream.rssKb, 1)} KB per stream`);

    const seenBefore = streams.map((stream) => stream.events.length);
    const sentAt = new Map<string, number>();
    const live = await postPhase(hub.base, credentials, perSession, 'met streams', sentAt);
    const expected = credentials.length * perSession;
    const deadline = Date.now() + 10_000;
    const delivered = () => streams.reduce((sum, stream, i) => sum + stream.events.length - (seenBefore[i] ?? 0), 0);
    while (delivered() < expected && Date.now() < deadline) await sleep(20);
    const latencies = streams.flatMap((stream, i) =>
      stream.events.slice(seenBefore[i]).flatMap((event) => {
        const sent = sentAt.get(event.data.text as string);
        return sent === undefined ? [] : [event.receivedAt - sent];
      }),
    );
    const ratio = live.perSecond / quiet.perSecond;
    log(`  ${streamCount} streams open: ${fixed(live.perSecond, 0)} messages/s (ratio ${fixed(ratio, 3)}); ${delivered()} of ${expected} reached their stream, p50 ${fixed(percentile(latencies, 0.5), 0)} ms, p99 ${fixed(percentile(latencies, 0.99), 0)} ms`);
    return {
      table: {
        header: ['chat', 'value'],
        rows: [
          ['messages/s, no streams open', fixed(quiet.perSecond, 0)],
          [`messages/s, ${streamCount} streams open`, fixed(live.perSecond, 0)],
          ['ratio open/none', fixed(ratio, 3)],
          ['delivered to stream p50 / p99 ms', `${fixed(percentile(latencies, 0.5), 0)} / ${fixed(percentile(latencies, 0.99), 0)}`],
          ['heap per open stream KB', fixed(perStream.heapKb, 1)],
          ['RSS per open stream KB', fixed(perStream.rssKb, 1)],
        ],
      },
      tracked: { chatMessagesPerSecondStreamsOpen: live.perSecond, chatStreamsRatio: ratio, chatHeapKbPerStream: perStream.heapKb },
      data: { streams: streamCount, quiet, live, ratio, delivered: delivered(), expected, deliveryP50Ms: percentile(latencies, 0.5), deliveryP99Ms: percentile(latencies, 0.99), perStream, before, after },
    };
  } finally {
    for (const stream of streams) stream.close();
    await db.destroy();
    await hub.stop();
    store.remove();
  }
}

interface Credential {
  sessionId: string;
  token: string;
}

/** Tokens are only ever shown once, so the bench makes its sessions with known tokens through the core. */
async function sessionTokens(db: ReturnType<typeof openDb>, count: number): Promise<Credential[]> {
  const credentials: Credential[] = [];
  for (let i = 0; i < count; i++) {
    const { session, token } = await createChatSession(db, { name: `Klant ${i}`, language: 'nl', clientHash: `bench-token-${i}`, now: Date.now() });
    credentials.push({ sessionId: session.id, token });
  }
  return credentials;
}

async function postPhase(base: string, credentials: Credential[], perSession: number, label: string, sentAt?: Map<string, number>): Promise<{ messages: number; seconds: number; perSecond: number }> {
  const total = credentials.length * perSession;
  const start = process.hrtime.bigint();
  await runPool(total, CONCURRENCY, async (index) => {
    const text = `Bericht ${index} ${label}`;
    sentAt?.set(text, Date.now());
    await postMessage(base, credentials[index % credentials.length] as Credential, text);
  });
  const seconds = msSince(start) / 1000;
  return { messages: total, seconds, perSecond: total / seconds };
}

async function postMessage(base: string, credential: Credential, text: string): Promise<void> {
  const response = await fetch(`${base}/chat/sessions/${credential.sessionId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${credential.token}` },
    body: JSON.stringify({ text }),
  });
  if (response.status !== 201) throw new Error(`chat message answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}

/** The hub process's heap and resident memory, from its own /metrics. */
async function memory(base: string): Promise<{ heap: number; rss: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return { heap: read('klachtenhub_nodejs_heap_size_used_bytes'), rss: read('klachtenhub_process_resident_memory_bytes') };
}

async function startHubProcess(databaseUrl: string): Promise<{ base: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    // Behind a (pretend) proxy on loopback, so each stream counts as its own client.
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'info', CALLBACK_LINK_SECRET: 'bench', TRUST_PROXY: 'loopback' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const listening = /"port":(\d+).*Klachtenhub is listening/.exec(output);
      if (listening?.[1]) resolvePort(Number(listening[1]));
    });
    child.once('exit', (code) => reject(new Error(`the hub exited (${code}) before listening: ${output}`)));
  });
  child.stdout?.resume();
  return {
    base: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
