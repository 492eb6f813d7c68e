import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from './core/db';

export interface HubMetrics {
  registry: Registry;
  contactsIngested: Counter<'channel' | 'outcome'>;
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
  return { registry, contactsIngested };
}
