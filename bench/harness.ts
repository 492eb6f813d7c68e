import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubConfig } from '../src/config/hub-config';

/** What bench/run.ts hands every benchmark. */
export interface BenchContext {
  config: HubConfig;
  /** A readable progress/result line. */
  log: (line: string) => void;
}

export interface BenchmarkOutcome {
  /** Summary table for the final print: the first column names the metric. */
  table: { header: string[]; rows: string[][] };
  /** The figures tracked from run to run (e.g. a ratio), by name. */
  tracked: Record<string, number>;
  /** Everything measured, for results/latest.json. */
  data: unknown;
}

export interface Benchmark {
  name: string;
  description: string;
  run(context: BenchContext): Promise<BenchmarkOutcome>;
}

/** Milliseconds since `start` (from process.hrtime.bigint()). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Nearest-rank percentile (p in 0..1) of unsorted samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Runs task(0..count-1) with at most `concurrency` in flight; each worker takes the next index when it finishes one. */
export async function runPool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Small seeded PRNG (mulberry32), so every size sees the same sequence of contact kinds. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const liveTempDirs = new Set<string>();
let interruptHandlerInstalled = false;

/** A fresh temp directory for one SQLite database; remove() deletes it with the -wal/-shm files (Ctrl-C does too). */
export function tempSqlite(label: string): { url: string; file: string; sizeBytes: () => number; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `klachtenhub-bench-${label}-`));
  liveTempDirs.add(dir);
  if (!interruptHandlerInstalled) {
    interruptHandlerInstalled = true;
    process.once('SIGINT', () => {
      for (const live of liveTempDirs) rmSync(live, { recursive: true, force: true });
      process.exit(130);
    });
  }
  const file = join(dir, 'hub.db');
  return {
    url: `sqlite:${file}`,
    file,
    sizeBytes: () => ['', '-wal'].reduce((sum, suffix) => sum + fileSize(file + suffix), 0),
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      liveTempDirs.delete(dir);
    },
  };
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

export function envIntList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return raw.split(',').map((part) => {
    const value = Number(part.trim().replace(/_/g, ''));
    if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a comma-separated list of positive integers, got "${raw}"`);
    return value;
  });
}

/** 1000 -> "1k", 1000000 -> "1M", 20000 -> "20k", 1500 -> "1500". */
export function sizeLabel(n: number): string {
  if (n >= 1_000_000 && n % 1_000_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1_000 && n % 1_000 === 0) return `${n / 1_000}k`;
  return String(n);
}

export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/** Plain-text table, numbers right-aligned. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, c) => Math.max(title.length, ...rows.map((row) => (row[c] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => {
        const width = widths[c] ?? 0;
        return c === 0 ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}
