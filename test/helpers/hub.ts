import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { readEnv } from '../../src/config/env';
import { loadHubConfig, type HubConfig } from '../../src/config/hub-config';
import { openDb } from '../../src/core/db';
import { Hub } from '../../src/hub';
import { storeUrl } from './db';

export interface TestHub {
  hub: Hub;
  port: number;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** The hub's clock; tests move it with `setNow`. */
  now(): number;
  setNow(at: number): void;
  /** fetch against the hub, with JSON body and bearer token handled. */
  request(method: string, path: string, options?: { body?: unknown; rawBody?: string; token?: string | null; headers?: Record<string, string> }): Promise<TestResponse>;
  stop(): Promise<void>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  json: any;
}

export interface StartHubOptions {
  env?: Record<string, string>;
  config?: HubConfig;
  now?: number;
  /** Run the job loop (default false: tests call hub.worker.runDue()). */
  runJobs?: boolean;
}

/**
 * A hub on a fresh store: its own SQLite file, or on PostgreSQL its own database (Hub.create
 * takes a URL, not a schema, so a database per hub is how it stays isolated).
 */
export async function startHub(options: StartHubOptions = {}): Promise<TestHub> {
  const store = await freshStore();
  let current = options.now ?? Date.parse('2026-11-24T09:00:00Z');
  // No drain: nothing balances load in front of a test's hub.
  const env = readEnv({ DATABASE_URL: store.url, LOG_LEVEL: 'silent', PORT: '0', STOP_DRAIN_MS: '0', ...options.env });
  const config = options.config ?? loadHubConfig(join(__dirname, '..', '..', 'config', 'klachtenhub.json'));
  let hub: Hub;
  try {
    hub = await Hub.create({ env, config, logger: pino({ level: 'silent' }), clock: () => current, runJobs: options.runJobs ?? false });
  } catch (error) {
    await store.drop();
    throw error;
  }
  const port = await hub.listen(0);
  const base = `http://127.0.0.1:${port}`;
  const token = env.API_TOKEN;

  return {
    hub,
    port,
    base,
    now: () => current,
    setNow(at: number) {
      current = at;
    },
    async request(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const bearer = opts.token === undefined ? token : opts.token;
      if (bearer) headers.authorization = `Bearer ${bearer}`;
      let body: string | undefined;
      if (opts.rawBody !== undefined) {
        body = opts.rawBody;
        headers['content-type'] ??= 'application/json';
      } else if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] = 'application/json';
      }
      const response = await fetch(`${base}${path}`, { method, headers, body });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, text, json };
    },
    async stop() {
      try {
        await hub.stop();
      } finally {
        await store.drop();
      }
    },
  };
}

/** An empty store (SQLite file or PostgreSQL database) for a hub, also one run as a child process. */
export async function freshStore(): Promise<{ url: string; drop(): Promise<void> }> {
  if (storeUrl) {
    const name = `kh_t_${randomBytes(6).toString('hex')}`;
    const admin = openDb({ url: storeUrl });
    try {
      await admin.raw(`create database ${name}`);
    } finally {
      await admin.destroy();
    }
    const url = new URL(storeUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      async drop() {
        const cleanup = openDb({ url: storeUrl as string });
        try {
          await cleanup.raw(`drop database if exists ${name} with (force)`);
        } finally {
          await cleanup.destroy();
        }
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'klachtenhub-hub-'));
  return {
    url: `sqlite:${join(dir, 'hub.db')}`,
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
