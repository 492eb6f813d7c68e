import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = resolve(__dirname, '..', '..');

/** A hub running as the operator runs it (`src/main.ts` in a process of its own), on a store the test made. */
export interface HubProcess {
  child: ChildProcess;
  port: number;
  base: string;
  /** Everything it wrote (pino lines), for messages in failed assertions and for checks. */
  output(): string;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `src/main.ts` with this environment (LOG_LEVEL info: the port is read from its log) and waits until it listens. */
export async function startHubProcess(env: Record<string, string>): Promise<HubProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', CALLBACK_LINK_SECRET: 'hub-process-test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const deadline = Date.now() + 60_000;
  let port: number | undefined;
  while (!port) {
    port = Number(/"port":(\d+)/.exec(output)?.[1]) || undefined;
    if (child.exitCode !== null) throw new Error(`the hub exited before it listened:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the hub did not listen within a minute:\n${output}`);
    if (!port) await sleep(50);
  }
  return { child, port, base: `http://127.0.0.1:${port}`, output: () => output, exited, kill: (signal) => child.kill(signal) };
}
