import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { createApp } from './http/app';
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
  private server?: Server;
  private readonly contacts: ContactIngest;

  private constructor(
    readonly ctx: HubContext,
    private readonly runJobs: boolean,
    dialer: AgentDialer | undefined,
    senders: HubSenders,
  ) {
    this.contacts = contactIngest(ctx);
    this.mailbox = mailboxWatcher(ctx, (contacts) => this.ingestInOrder(contacts));
    this.chatStreams = new ChatStreams({ db: ctx.db, logger: ctx.logger });
    this.app = createApp(
      ctx,
      [
        { path: '/twilio', router: twilioRouter(ctx, (contact) => this.ingest(contact)) },
        // Bolt reads the raw body itself to check the signature: no body parser may run before it.
        { path: '/slack', router: slackRouter(ctx) },
        { path: '/chat', router: chatRouter(ctx, this.chatStreams, (contact) => this.ingest(contact)) },
      ],
      () => (this.mailbox ? { mailbox: this.mailbox.status() } : {}),
    );
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
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    if (this.runJobs) this.worker.start();
    this.mailbox?.start();
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await this.mailbox?.stop();
    this.chatStreams.stop();
    await this.worker.stop();
    const server = this.server;
    if (server) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    }
    // No request is left to start any; what the last ones started still needs the store.
    await this.ctx.background.settled();
    await this.ctx.db.destroy();
  }
}
