import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from './core/db';

export interface HubMetrics {
  registry: Registry;
  contactsIngested: Counter<'channel' | 'outcome'>;
  /** Promised start to the moment the hub placed the call (or the agent started it from Slack). */
  callbackLateness: Histogram;
  callbackOutcomes: Counter<'outcome'>;
}

/** Failed jobs stay counted: each one is a promise nobody kept, for an operator to look at. */
const COUNTED_JOB_STATES = ['queued', 'running', 'failed'];

/** One registry per hub (not prom-client's global), so several hubs in one process stay apart. */
export function createMetrics(db: Db): HubMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'klachtenhub_' });
  const contactsIngested = new Counter({
    name: 'klachtenhub_contacts_ingested_total',
    help: 'Inbound contacts taken in, by channel and whether they joined a thread, opened one or were a retry',
    labelNames: ['channel', 'outcome'] as const,
    registers: [registry],
  });
  // The gauges count the work at hand, never the history: resolved threads and done jobs only
  // grow, and counting them would read the whole table on every scrape (about 0.8 s with a
  // million threads, during which SQLite's synchronous driver holds up every webhook).
  new Gauge({
    name: 'klachtenhub_threads',
    help: 'Complaint threads still open (status="open"); resolved ones are history and not counted',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const open = await db('threads').where({ status: 'open' }).count({ n: '*' }).first();
      this.reset();
      this.set({ status: 'open' }, Number(open?.n ?? 0));
    },
  });
  new Gauge({
    name: 'klachtenhub_jobs',
    help: 'Scheduled jobs waiting, running or failed, by kind and state; done jobs are history and not counted',
    labelNames: ['kind', 'state'] as const,
    registers: [registry],
    async collect() {
      const rows: { kind: string; state: string; n: number }[] = await db('jobs')
        .whereIn('state', COUNTED_JOB_STATES)
        .groupBy('kind', 'state')
        .select('kind', 'state')
        .count({ n: '*' });
      this.reset();
      for (const row of rows) this.set({ kind: row.kind, state: row.state }, Number(row.n));
    },
  });
  const callbackLateness = new Histogram({
    name: 'klachtenhub_callback_lateness_seconds',
    help: 'Callback punctuality: seconds from the promised start to the call being placed (negative is early)',
    buckets: [0, 15, 30, 60, 120, 300, 900],
    registers: [registry],
  });
  const callbackOutcomes = new Counter({
    name: 'klachtenhub_callbacks_total',
    help: 'Callbacks that ended, by outcome (completed, customer-no-answer, agent-unavailable, started-by-agent, ...)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return { registry, contactsIngested, callbackLateness, callbackOutcomes };
}
