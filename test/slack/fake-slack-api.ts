import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackApiCall {
  method: string;
  /** Arguments as the WebClient sent them; `blocks` and `view` parsed back from their JSON strings. */
  args: Record<string, any>;
  authorization: string | undefined;
}

/** A stand-in for Slack's Web API (SLACK_API_URL): answers like Slack and records every call. */
export interface FakeSlackApi {
  url: string;
  calls: SlackApiCall[];
  callsTo(method: string): SlackApiCall[];
  /** Resolves once a call to `method` has arrived (Bolt does its work after ack). */
  waitFor(method: string, count?: number): Promise<SlackApiCall[]>;
  /** Make `method` answer `{ok:false, error}` from now on. */
  fail(method: string, error: string): void;
  /** Make `method` take `ms` before it is recorded and answered, like a slow Slack. */
  delay(method: string, ms: number): void;
  close(): Promise<void>;
}

export async function startFakeSlackApi(): Promise<FakeSlackApi> {
  const calls: SlackApiCall[] = [];
  const failures = new Map<string, string>();
  const delays = new Map<string, number>();
  let ts = 1764000000;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', async () => {
      const method = (req.url ?? '').replace(/^\/api\//, '').replace(/^\//, '').split('?')[0] as string;
      await new Promise((resolve) => setTimeout(resolve, delays.get(method) ?? 0));
      const args: Record<string, any> = (req.headers['content-type'] ?? '').includes('json')
        ? JSON.parse(raw || '{}')
        : Object.fromEntries(new URLSearchParams(raw));
      for (const key of ['blocks', 'view']) if (typeof args[key] === 'string') args[key] = JSON.parse(args[key]);
      calls.push({ method, args, authorization: req.headers.authorization });
      const failure = failures.get(method);
      const body = failure ? { ok: false, error: failure } : answer(method, args, `${++ts}.000100`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const callsTo = (method: string) => calls.filter((call) => call.method === method);
  return {
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    callsTo,
    async waitFor(method, count = 1) {
      const deadline = Date.now() + 5_000;
      while (callsTo(method).length < count) {
        if (Date.now() > deadline) throw new Error(`no ${method} call within 5 s; calls: ${calls.map((call) => call.method).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return callsTo(method);
    },
    fail(method, error) {
      failures.set(method, error);
    },
    delay(method, ms) {
      delays.set(method, ms);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function answer(method: string, args: Record<string, any>, ts: string): Record<string, unknown> {
  switch (method) {
    case 'auth.test':
      return { ok: true, url: 'https://klachtenhub.slack.com/', team: 'Klachtenhub', user: 'klachtenhub', team_id: 'T0HUB', user_id: 'U0BOT', bot_id: 'B0BOT' };
    case 'chat.postMessage':
      return { ok: true, channel: args.channel, ts, message: { text: args.text } };
    case 'chat.update':
      return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
    case 'chat.postEphemeral':
      return { ok: true, message_ts: ts };
    case 'views.open':
      return { ok: true, view: { id: 'V0VIEW', ...args.view } };
    default:
      return { ok: true };
  }
}
