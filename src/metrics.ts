import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from './core/db';
import { pendingSends } from './core/send-ledger';

/** What the outbound-send job counts (src/outbound/send-job.ts). */
export interface OutboundMetrics {
  /** Sends that ended: sent, reconciled (found at the provider after a lost answer), withheld, refused, gave-up. */
  outboundSends: Counter<'channel' | 'outcome'>;
  /** Provider calls that failed, transient or permanent. */
  outboundAttemptFailures: Counter<'channel' | 'failure'>;
}

export interface HubMetrics extends OutboundMetrics {
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
  const outboundSends = new Counter({
    name: 'klachtenhub_outbound_sends_total',
    help: 'Messages and calls handed to a provider that ended, by channel and outcome (sent, reconciled, withheld, refused, gave-up)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [registry],
  });
  const outboundAttemptFailures = new Counter({
    name: 'klachtenhub_outbound_attempt_failures_total',
    help: 'Provider calls for a send that failed, by channel and failure (transient: tried again; permanent: the send fails)',
    labelNames: ['channel', 'failure'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'klachtenhub_outbound_pending',
    help: 'Sends not finished yet, by channel and state (queued; sending: a provider call whose answer is still to come or was lost)',
    labelNames: ['channel', 'state'] as const,
    registers: [registry],
    async collect() {
      const rows = await pendingSends(db);
      this.reset();
      for (const row of rows) this.set({ channel: row.channel, state: row.state }, row.n);
    },
  });
  return { registry, contactsIngested, callbackLateness, callbackOutcomes, outboundSends, outboundAttemptFailures };
}
