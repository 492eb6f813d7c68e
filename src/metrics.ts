import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from './core/db';

export interface HubMetrics {
  registry: Registry;
  contactsIngested: Counter<'channel' | 'outcome'>;
  /** Promised start to the moment the hub placed the call (or the agent started it from Slack). */
  callbackLateness: Histogram;
  callbackOutcomes: Counter<'outcome'>;
}

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
  new Gauge({
    name: 'klachtenhub_threads',
    help: 'Complaint threads by status',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const rows: { status: string; n: number }[] = await db('threads').groupBy('status').select('status').count({ n: '*' });
      this.reset();
      for (const row of rows) this.set({ status: row.status }, Number(row.n));
    },
  });
  new Gauge({
    name: 'klachtenhub_jobs',
    help: 'Scheduled jobs by kind and state',
    labelNames: ['kind', 'state'] as const,
    registers: [registry],
    async collect() {
      const rows: { kind: string; state: string; n: number }[] = await db('jobs').groupBy('kind', 'state').select('kind', 'state').count({ n: '*' });
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
