import type { InboundContact } from '../src/core/contact';
import { migrateToLatest, openDb, type Db } from '../src/core/db';
import { contactIngest } from '../src/core/group-commit';
import type { IngestDeps } from '../src/core/ingest';
import { SlaClock } from '../src/core/sla';
import {
  envInt,
  envIntList,
  fixed,
  msSince,
  percentile,
  prng,
  runPool,
  sizeLabel,
  tempSqlite,
  type BenchContext,
  type Benchmark,
  type BenchmarkOutcome,
} from './harness';
import { seededIsOpen, seededPhone, seededReference, seedThreads } from './seed';

/**
 * Contacts ingested per second as the hub stores them on SQLite (contactIngest: the contacts in
 * flight together share a commit), with few and with many existing threads. The tracked figure
 * is the throughput ratio largest/smallest size: ~1 means ingest cost does not grow with the
 * number of threads.
 *
 * The mix, per contact (the same seeded sequence of kinds for every size):
 *   40% new  - SMS from a phone number never seen: new customer, thread, acknowledgement job
 *   30% known - SMS from a seeded customer's phone: 2/3 customers with an open thread (joins it by
 *              identity), 1/3 customers with only a resolved thread (opens one; each such customer
 *              is used once, so the split stays the same at every size)
 *   20% ref  - SMS quoting a seeded open thread's reference, half from its customer's phone and
 *              half from a new number (joins by reference; the new number is learned)
 *   10% dup  - exact retry of an earlier ingested contact (same provider id)
 *
 * All sizes are seeded first (each its own fresh SQLite file), then measured in interleaved
 * rounds, so background load on a shared machine falls on every size alike.
 */

const KINDS = ['new', 'known', 'ref', 'dup'] as const;
type Kind = (typeof KINDS)[number];

/** Bench "now": a Tuesday morning in Amsterdam; seeded threads lie in the year before it. */
const BASE_TIME = Date.parse('2026-12-01T08:00:00Z');
const FRESH_PHONE_PREFIX = '+3162'; // never seeded (those are +3161...)

export interface IngestPhaseResult {
  contacts: number;
  concurrency: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  roundRates: number[];
}

export interface IngestSizeResult {
  threads: number;
  seedSeconds: number;
  /** Right after seeding. */
  dbMegabytes: number;
  warmup: number;
  sequential: IngestPhaseResult;
  concurrent: IngestPhaseResult;
  /** "kind -> outcome[/matchedBy]" counts over all measured contacts, to check the mix did what it says. */
  outcomes: Record<string, number>;
  resolvedPoolExhausted: number;
  firstError?: string;
}

export const ingestBenchmark: Benchmark = {
  name: 'ingest',
  description: 'contacts/s stored as the hub stores them on SQLite, few vs many existing threads',
  run: runIngestBenchmark,
};

async function runIngestBenchmark({ config, log }: BenchContext): Promise<BenchmarkOutcome> {
  const sizes = envIntList('BENCH_SIZES', [1_000, 1_000_000]);
  const contacts = envInt('BENCH_CONTACTS', 3_000);
  const warmup = envInt('BENCH_WARMUP', 200);
  const concurrency = Math.max(1, envInt('BENCH_CONCURRENCY', 20));
  const rounds = Math.max(1, Math.min(contacts, envInt('BENCH_ROUNDS', 5)));
  for (const size of sizes) if (size < 10) throw new Error(`BENCH_SIZES: at least 10 threads per size, got ${size}`);
  log(
    `ingest: sizes ${sizes.map(sizeLabel).join(', ')}; per size ${warmup} warm-up contacts, then ${contacts} sequential and ` +
      `${contacts} at concurrency ${concurrency}, interleaved across sizes in ${rounds} rounds`,
  );

  const sla = new SlaClock(config);
  const benches: SizeBench[] = [];
  try {
    for (const size of sizes) benches.push(await prepareSize(size, sla, log));
    for (const bench of benches) await bench.run(warmup, 1, undefined);

    // Rounds alternate the order of sizes (ABBA...), so drifting background load and warm-up
    // effects fall on every size alike instead of biasing the ratio.
    const sequential = benches.map(() => new PhaseStats(1));
    const concurrent = benches.map(() => new PhaseStats(concurrency));
    for (let round = 0; round < rounds; round++) {
      const count = Math.floor(contacts / rounds) + (round < contacts % rounds ? 1 : 0);
      const order = benches.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      const line: string[] = [];
      for (const i of order) {
        const bench = benches[i] as SizeBench;
        const seq = await bench.run(count, 1, sequential[i]);
        const conc = await bench.run(count, concurrency, concurrent[i]);
        (sequential[i] as PhaseStats).roundRates.push(seq);
        (concurrent[i] as PhaseStats).roundRates.push(conc);
        line.push(`${bench.label} seq ${fixed(seq, 0)}/s c${concurrency} ${fixed(conc, 0)}/s`);
      }
      log(`ingest round ${round + 1}/${rounds} (${count} contacts per phase): ${line.join(' | ')}`);
    }

    const results: IngestSizeResult[] = benches.map((bench, i) => {
      const result = bench.result(warmup, (sequential[i] as PhaseStats).summary(), (concurrent[i] as PhaseStats).summary());
      log(formatPhase(bench.label, 'sequential', result.sequential));
      log(formatPhase(bench.label, `concurrency ${concurrency}`, result.concurrent));
      if (result.firstError) log(`ingest ${bench.label}: first error: ${result.firstError}`);
      return result;
    });
    return outcome(results, { contacts, warmup, concurrency, rounds }, log);
  } finally {
    for (const bench of benches) await bench.close();
  }
}

function outcome(
  results: IngestSizeResult[],
  settings: { contacts: number; warmup: number; concurrency: number; rounds: number },
  log: (line: string) => void,
): BenchmarkOutcome {
  const bySize = [...results].sort((a, b) => a.threads - b.threads);
  const small = bySize[0];
  const large = bySize[bySize.length - 1];
  const hasRatio = small !== undefined && large !== undefined && large.threads !== small.threads;
  const ratioLabel = hasRatio ? `${sizeLabel(large.threads)}/${sizeLabel(small.threads)}` : '';
  const ratio = (pick: (r: IngestSizeResult) => number): number => (hasRatio ? pick(large) / pick(small) : Number.NaN);
  // The same ratio per round (the two sizes measured back to back), median over rounds: steadier
  // than the overall ratio when the machine's background load changes during the run.
  const pairedRatio = (phase: (r: IngestSizeResult) => IngestPhaseResult): number =>
    hasRatio ? percentile(phase(large).roundRates.map((rate, round) => rate / (phase(small).roundRates[round] ?? Number.NaN)), 0.5) : Number.NaN;
  const c = settings.concurrency;
  const tracked: Record<string, number> = {};
  if (hasRatio) {
    tracked[`ingest sequential ratio ${ratioLabel}`] = ratio((r) => r.sequential.perSecond);
    tracked[`ingest concurrency-${c} ratio ${ratioLabel}`] = ratio((r) => r.concurrent.perSecond);
    tracked[`ingest sequential ratio ${ratioLabel}, median of rounds`] = pairedRatio((r) => r.sequential);
    tracked[`ingest concurrency-${c} ratio ${ratioLabel}, median of rounds`] = pairedRatio((r) => r.concurrent);
    log(
      `ingest throughput ratio ${ratioLabel}: sequential ${fixed(ratio((r) => r.sequential.perSecond), 3)} ` +
        `(median of rounds ${fixed(pairedRatio((r) => r.sequential), 3)}), concurrency ${c} ${fixed(ratio((r) => r.concurrent.perSecond), 3)} ` +
        `(median of rounds ${fixed(pairedRatio((r) => r.concurrent), 3)})`,
    );
  }
  const row = (metric: string, pick: (r: IngestSizeResult) => number, digits: number, withRatio = false): string[] => [
    metric,
    ...results.map((r) => fixed(pick(r), digits)),
    ...(hasRatio ? [withRatio ? fixed(ratio(pick), 3) : ''] : []),
  ];
  return {
    table: {
      header: ['ingest', ...results.map((r) => `${sizeLabel(r.threads)} threads`), ...(hasRatio ? [`ratio ${ratioLabel}`] : [])],
      rows: [
        row('seed time (s)', (r) => r.seedSeconds, 1),
        row('db size (MB)', (r) => r.dbMegabytes, 0),
        row('sequential contacts/s', (r) => r.sequential.perSecond, 0, true),
        row('sequential p50 (ms)', (r) => r.sequential.p50Ms, 2),
        row('sequential p99 (ms)', (r) => r.sequential.p99Ms, 2),
        row(`concurrency ${c} contacts/s`, (r) => r.concurrent.perSecond, 0, true),
        row(`concurrency ${c} p50 (ms)`, (r) => r.concurrent.p50Ms, 2),
        row(`concurrency ${c} p99 (ms)`, (r) => r.concurrent.p99Ms, 2),
        row('errors', (r) => r.sequential.errors + r.concurrent.errors, 0),
      ],
    },
    tracked,
    data: { ...settings, mix: { new: 0.4, known: 0.3, ref: 0.2, dup: 0.1 }, sizes: results },
  };
}

/** Latencies and wall time of one phase (sequential or concurrent) of one size, summed over rounds. */
class PhaseStats {
  readonly latencies: number[] = [];
  /** contacts/s of each round, in round order. */
  readonly roundRates: number[] = [];
  seconds = 0;
  errors = 0;

  constructor(readonly concurrency: number) {}

  summary(): IngestPhaseResult {
    const contacts = this.latencies.length;
    return {
      contacts,
      concurrency: this.concurrency,
      seconds: this.seconds,
      perSecond: contacts / this.seconds,
      p50Ms: percentile(this.latencies, 0.5),
      p99Ms: percentile(this.latencies, 0.99),
      maxMs: percentile(this.latencies, 1),
      errors: this.errors,
      roundRates: this.roundRates,
    };
  }
}

interface SizeBench {
  label: string;
  /** Ingests `count` contacts with `inFlight` at a time; adds to `stats` when given. Returns contacts/s. */
  run(count: number, inFlight: number, stats: PhaseStats | undefined): Promise<number>;
  result(warmup: number, sequential: IngestPhaseResult, concurrent: IngestPhaseResult): IngestSizeResult;
  close(): Promise<void>;
}

/** A fresh SQLite database seeded with `size` threads, and the contact stream to ingest into it. */
async function prepareSize(size: number, sla: SlaClock, log: (line: string) => void): Promise<SizeBench> {
  const label = sizeLabel(size);
  const tmp = tempSqlite(label);
  const db: Db = openDb({ url: tmp.url });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await db.destroy();
    tmp.remove();
  };
  try {
    await migrateToLatest(db);
    log(`ingest ${label}: seeding ${size.toLocaleString('en')} threads into ${tmp.file}`);
    const seed = await seedThreads(db, size, BASE_TIME);
    const dbMegabytes = tmp.sizeBytes() / 1e6;
    log(`ingest ${label}: seeded in ${fixed(seed.ms / 1000, 1)} s (${fixed(size / (seed.ms / 1000), 0)} threads/s, ${fixed(dbMegabytes, 0)} MB)`);

    const deps: IngestDeps = { db, sla };
    const ingest = contactIngest(deps).one;
    const stream = new ContactStream(size);
    const outcomes: Record<string, number> = {};
    let firstError: string | undefined;
    const count = (key: string): void => {
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    };

    return {
      label,
      close,
      async run(total, inFlight, stats) {
        const start = process.hrtime.bigint();
        await runPool(total, inFlight, async () => {
          const { kind, contact } = stream.next();
          const t0 = process.hrtime.bigint();
          try {
            const result = await ingest(contact);
            stats?.latencies.push(msSince(t0));
            stream.ingested(contact);
            if (stats) count(`${kind} -> ${result.outcome}${result.matchedBy ? `/${result.matchedBy}` : ''}`);
          } catch (error) {
            // Counted in the rate and latencies too: the work was done, the caller got a 500.
            firstError ??= `${kind}: ${(error as Error).message}`;
            if (stats) {
              stats.latencies.push(msSince(t0));
              stats.errors++;
              count(`${kind} -> error`);
            }
          }
        });
        const seconds = msSince(start) / 1000;
        if (stats) stats.seconds += seconds;
        return total / seconds;
      },
      result: (warmup, sequential, concurrent) => ({
        threads: size,
        seedSeconds: seed.ms / 1000,
        dbMegabytes,
        warmup,
        sequential,
        concurrent,
        outcomes: Object.fromEntries(Object.entries(outcomes).sort(([a], [b]) => a.localeCompare(b))),
        resolvedPoolExhausted: stream.resolvedPoolExhausted,
        firstError,
      }),
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function formatPhase(label: string, name: string, r: IngestPhaseResult): string {
  return (
    `ingest ${label}: ${name}: ${r.contacts} contacts in ${fixed(r.seconds, 2)} s = ${fixed(r.perSecond, 0)} contacts/s, ` +
    `p50 ${fixed(r.p50Ms, 2)} ms, p99 ${fixed(r.p99Ms, 2)} ms, max ${fixed(r.maxMs, 1)} ms` +
    (r.errors ? `, ${r.errors} errors` : '')
  );
}

/** The realistic mix of inbound SMS, decided by a seeded PRNG; `ingested` feeds the duplicates. */
class ContactStream {
  private readonly random = prng(0x6b6c6163);
  private readonly openThreads: number;
  private readonly resolvedCustomers: number;
  private readonly usedResolved = new Set<number>();
  private readonly done: InboundContact[] = [];
  private counter = 0;
  resolvedPoolExhausted = 0;

  constructor(private readonly size: number) {
    this.openThreads = Math.floor(size / 10);
    this.resolvedCustomers = size - this.openThreads;
  }

  ingested(contact: InboundContact): void {
    this.done.push(contact);
  }

  next(): { kind: Kind; contact: InboundContact } {
    const r = this.random();
    const n = ++this.counter;
    const base = { channel: 'sms' as const, providerId: `SMbench${String(n).padStart(8, '0')}`, at: BASE_TIME + n * 1000 };
    if (r < 0.4) {
      return { kind: 'new', contact: { ...base, from: this.freshPhone(), body: `Mijn bestelling ${n} is beschadigd aangekomen.` } };
    }
    if (r < 0.7) {
      const customer = this.random() < 2 / 3 ? this.openCustomer() : this.unusedResolvedCustomer();
      return { kind: 'known', contact: { ...base, from: { kind: 'phone', value: seededPhone(customer) }, body: `Nog steeds niets gehoord over ${n}?` } };
    }
    if (r < 0.9) {
      const thread = this.openCustomer(); // seeded thread i belongs to customer i
      const from = this.random() < 0.5 ? { kind: 'phone' as const, value: seededPhone(thread) } : this.freshPhone();
      return { kind: 'ref', contact: { ...base, from, body: `Over zaak ${seededReference(thread, this.size)}: wanneer hoor ik iets?` } };
    }
    const earlier = this.done[Math.floor(this.random() * this.done.length)];
    if (earlier) return { kind: 'dup', contact: { ...earlier } };
    return { kind: 'new', contact: { ...base, from: this.freshPhone(), body: `Mijn bestelling ${n} is beschadigd aangekomen.` } };
  }

  private freshPhone(): { kind: 'phone'; value: string } {
    return { kind: 'phone', value: `${FRESH_PHONE_PREFIX}${String(this.counter).padStart(7, '0')}` };
  }

  private openCustomer(): number {
    return 10 * (1 + Math.floor(this.random() * this.openThreads));
  }

  /** A customer whose only thread is resolved and who has not written during the bench yet (so opens a thread). */
  private unusedResolvedCustomer(): number {
    if (this.usedResolved.size >= this.resolvedCustomers) {
      this.resolvedPoolExhausted++;
      return 1 + Math.floor(this.random() * this.size);
    }
    for (;;) {
      const i = 1 + Math.floor(this.random() * this.size);
      if (!seededIsOpen(i) && !this.usedResolved.has(i)) {
        this.usedResolved.add(i);
        return i;
      }
    }
  }
}
