import type { Logger } from 'pino';
import type { BackgroundTasks } from './background-tasks';
import type { OfferLinks } from './callbacks/offer-link';
import type { HubEnv } from './config/env';
import type { HubConfig } from './config/hub-config';
import type { Db } from './core/db';
import type { Senders } from './core/outbound';
import type { SlaClock } from './core/sla';
import type { HubMetrics } from './metrics';

/** What the parts of a running hub share. Built once in hub.ts. */
export interface HubContext {
  env: HubEnv;
  config: HubConfig;
  db: Db;
  sla: SlaClock;
  senders: Senders;
  metrics: HubMetrics;
  logger: Logger;
  /** Signed links to the callback booking page, for emails. */
  offerLinks: OfferLinks;
  /** What requests left running after their response; the hub's stop waits for it. */
  background: BackgroundTasks;
  /** The hub's one clock (epoch ms), so every "now" below comes from one place. */
  clock: () => number;
}
