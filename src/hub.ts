import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Express } from 'express';
import pino, { type Logger } from 'pino';
import { BackgroundTasks } from './background-tasks';
import { acknowledgeJob } from './acknowledgements/acknowledge-job';
import { chatRouter, withChatSender } from './channels/chat';
import { ChatStreams } from './channels/chat/chat-streams';
import { mailboxWatcher, withSmtpSender } from './channels/email';
import type { MailboxWatcher } from './channels/email/mailbox-watcher';
import { attachmentRefusedJob } from './acknowledgements/attachment-refused-job';
import { outboxSenders } from './channels/outbox/outbox-sender';
import { slackRouter } from './channels/slack/slack-app';
import { twilioRouter, withTwilioSenders } from './channels/twilio';
import { createTwilioAccount } from './channels/twilio/client';
import { TwilioAgentDialer } from './channels/voice/callback-calls';
import { callSendKind } from './callbacks/call-send';
import { callbackCallJob, callbackNoticeJob, type AgentDialer } from './callbacks/execution';
import { OfferLinks } from './callbacks/offer-link';
import { CALLBACK_CALL_JOB, CALLBACK_CONFIRM_JOB, CALLBACK_REMIND_JOB } from './callbacks/schedule';
import type { HubEnv } from './config/env';
import type { HubConfig } from './config/hub-config';
import type { HubContext } from './context';
import { CHANNELS, type InboundContact, type IngestResult } from './core/contact';
import { migrateToLatest, openDb } from './core/db';
import { contactIngest, type ContactIngest } from './core/group-commit';
import { ACKNOWLEDGE_JOB, ATTACHMENT_REFUSED_JOB } from './core/ingest';
import { promiseJobHandlers, startPromiseWatch } from './promises/jobs';
import { SlaClock } from './core/sla';
import { OUTBOUND_SEND_JOB, type SendKind } from './core/send-ledger';
import { StoreHealth } from './core/store-health';
import { createApp } from './http/app';
import { GracefulClose } from './http/graceful-close';
import { readiness } from './http/readiness';
import { JOBS_PURGE_JOB, jobsPurgeJob, scheduleJobsPurge } from './jobs/purge';
import { JobWorker, type AnyJobHandler } from './jobs/worker';
import { createMetrics } from './metrics';
import { HubSenders } from './outbound/hub-senders';
import { leadWarnings } from './outbound/lead-warning';
import { messageSendKind } from './outbound/message-send';
import { outboundSendJob } from './outbound/send-job';
import type { SendKindHandler } from './outbound/send-kind';
import { slackPoster } from './channels/slack/slack-poster';
import { hostname } from 'node:os';

export interface HubOptions {
  env: HubEnv;
  config: HubConfig;
  logger?: Logger;
  clock?: () => number;
  /** Run scheduled jobs in this process (default true). */
  runJobs?: boolean;
}

/** A running hub: storage migrated, HTTP app built, job worker ready. */
export class Hub {
  readonly app: Express;
  readonly worker: JobWorker;
  /** The complaints mailbox's reader, when IMAP is configured. */
  readonly mailbox?: MailboxWatcher;
  /** The web chat's open event streams in this process. */
  readonly chatStreams: ChatStreams;
  private server?: GracefulClose;
  private readonly contacts: ContactIngest;
  private readonly store: StoreHealth;
  /** Set from the first moment of a stop: /readyz says 503 from then on. */
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly ctx: HubContext,
    private readonly runJobs: boolean,
    dialer: AgentDialer | undefined,
    senders: HubSenders,
  ) {
    this.contacts = contactIngest(ctx);
    this.store = new StoreHealth(ctx.db, ctx.clock);
    this.mailbox = mailboxWatcher(ctx, (contacts) => this.ingestInOrder(contacts));
    this.chatStreams = new ChatStreams({ db: ctx.db, logger: ctx.logger });
    this.app = createApp(ctx, {
      channels: [
        { path: '/twilio', router: twilioRouter(ctx, (contact) => this.ingest(contact)) },
        // Bolt reads the raw body itself to check the signature: no body parser may run before it.
        { path: '/slack', router: slackRouter(ctx) },
        { path: '/chat', router: chatRouter(ctx, this.chatStreams, (contact) => this.ingest(contact)) },
      ],
      health: () => (this.mailbox ? { mailbox: this.mailbox.status() } : {}),
      ready: readiness({ db: ctx.db, store: this.store, stopping: () => this.stopping !== undefined }),
    });
    const sendKinds: SendKindHandler[] = [messageSendKind(ctx.senders), ...(dialer ? [callSendKind(ctx, dialer)] : [])];
    const sendJob = outboundSendJob({
      kinds: new Map<SendKind, SendKindHandler>(sendKinds.map((kind) => [kind.kind, kind])),
      clock: ctx.clock,
      logger: ctx.logger,
      metrics: ctx.metrics,
      warnLeads: leadWarnings({ db: ctx.db, config: ctx.config, poster: slackPoster(ctx.env), clock: ctx.clock, logger: ctx.logger }),
    });
    const handlers = new Map<string, AnyJobHandler>([
      [ACKNOWLEDGE_JOB, acknowledgeJob(ctx)],
      [ATTACHMENT_REFUSED_JOB, attachmentRefusedJob(ctx)],
      [CALLBACK_CONFIRM_JOB, callbackNoticeJob(ctx, 'confirmation')],
      [CALLBACK_REMIND_JOB, callbackNoticeJob(ctx, 'reminder')],
      [CALLBACK_CALL_JOB, callbackCallJob(ctx, dialer)],
      [JOBS_PURGE_JOB, jobsPurgeJob(ctx)],
      [OUTBOUND_SEND_JOB, sendJob],
      ...promiseJobHandlers(ctx),
    ]);
    this.worker = new JobWorker({ db: ctx.db, handlers, workerId: `${hostname()}:${process.pid}`, concurrency: ctx.env.JOB_CONCURRENCY, clock: ctx.clock, logger: ctx.logger });
    senders.runWith(this.worker);
  }

  static async create(options: HubOptions): Promise<Hub> {
    const logger = options.logger ?? pino({ level: options.env.LOG_LEVEL });
    const db = openDb({ url: options.env.DATABASE_URL });
    try {
      await migrateToLatest(db);
    } catch (error) {
      await db.destroy();
      throw error;
    }
    const config = options.env.HUB_TIMEZONE ? { ...options.config, timezone: options.env.HUB_TIMEZONE } : options.config;
    const twilioAccount = createTwilioAccount(options.env);
    const clock = options.clock ?? Date.now;
    const senders = new HubSenders(withChatSender(withTwilioSenders(withSmtpSender(outboxSenders(CHANNELS), options.env), twilioAccount, { publicUrl: options.env.PUBLIC_URL, clock })));
    const ctx: HubContext = {
      env: options.env,
      config,
      db,
      sla: new SlaClock(config),
      senders,
      metrics: createMetrics(db),
      offerLinks: new OfferLinks({ secret: options.env.CALLBACK_LINK_SECRET, publicUrl: options.env.PUBLIC_URL }),
      logger,
      background: new BackgroundTasks(),
      clock,
    };
    if (ctx.offerLinks.ephemeral) logger.warn('CALLBACK_LINK_SECRET is unset: emailed callback links work only until this process restarts, and only on this instance');
    // One Twilio client for the process: SMS out and the callback calls. Without an account, SMS go to the outbox and callbacks are started from Slack.
    const dialer = twilioAccount && new TwilioAgentDialer({ account: twilioAccount, publicUrl: options.env.PUBLIC_URL, clock });
    return new Hub(ctx, options.runJobs ?? true, dialer, senders);
  }

  /** The channels' way in: every inbound contact passes here. */
  async ingest(contact: InboundContact): Promise<IngestResult> {
    const result = await this.contacts.one(contact);
    this.countIngested(contact, result);
    return result;
  }

  /** Contacts that arrived together (a fetch of mail), stored in their order. */
  async ingestInOrder(contacts: InboundContact[]): Promise<PromiseSettledResult<IngestResult>[]> {
    const results = await this.contacts.inOrder(contacts);
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') this.countIngested(contacts[i] as InboundContact, result.value);
    });
    return results;
  }

  private countIngested(contact: InboundContact, result: IngestResult): void {
    this.ctx.metrics.contactsIngested.inc({ channel: contact.channel, outcome: result.outcome });
  }

  async listen(port = this.ctx.env.PORT): Promise<number> {
    if (this.runJobs) await scheduleJobsPurge(this.ctx.db, { timezone: this.ctx.config.timezone, now: this.ctx.clock() });
    await startPromiseWatch(this.ctx, { runJobs: this.runJobs });
    const server = this.app.listen(port);
    this.server = new GracefulClose(server);
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    if (this.runJobs) this.worker.start();
    this.mailbox?.start();
    this.store.startMaintenance();
    return (server.address() as AddressInfo).port;
  }

  /**
   * Stops without losing or cutting off anything, in bounded time:
   * 1. /readyz says 503 at once, while the hub goes on serving for STOP_DRAIN_MS, so a load
   *    balancer moves traffic away before anything closes;
   * 2. the mailbox reader disconnects, chat streams end, the job worker finishes its running jobs
   *    (each bounded by its provider's timeout);
   * 3. the server stops listening and finishes every request it accepted (none is reset);
   * 4. the work those requests left running finishes; then the store closes.
   * Steps 2-4 share STOP_TIMEOUT_MS: a step still hanging then (an IMAP server that never answers)
   * is left behind, and what it held is safe in the store or taken over by another instance.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopInOrder();
    return this.stopping;
  }

  private async stopInOrder(): Promise<void> {
    const { env, logger } = this.ctx;
    await sleep(env.STOP_DRAIN_MS);
    const deadline = Date.now() + env.STOP_TIMEOUT_MS;
    const step = async (name: string, work: Promise<void> | undefined) => {
      if (!work) return;
      const timeUp = new AbortController();
      const done = work.then(
        () => true,
        (error: unknown) => {
          logger.error({ step: name, err: error }, 'stopping: a step failed; going on');
          return true;
        },
      );
      const late = sleep(Math.max(0, deadline - Date.now()), false, { signal: timeUp.signal }).catch(() => true);
      const finished = await Promise.race([done, late]);
      timeUp.abort();
      if (!finished) logger.warn({ step: name }, 'stopping: a step did not finish in time; going on');
    };
    await step('mailbox', this.mailbox?.stop());
    this.chatStreams.stop();
    await step('jobs', this.worker.stop());
    await this.server?.close(deadline);
    // No request is left to start any; what the last ones started still needs the store.
    await step('background work', this.ctx.background.settled());
    this.store.stopMaintenance();
    await this.ctx.db.destroy();
  }
}
