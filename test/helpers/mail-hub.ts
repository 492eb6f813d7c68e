import type { ImapFlow } from 'imapflow';
import { connectImap, skipWithoutDovecot, startDovecot, type Mailbox } from './dovecot';
import { startHub, type TestHub } from './hub';
import { startSmtp, type SmtpStandIn } from './smtp';

/** Polls until `check` returns a value (not undefined/false), or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface InboundEmailRow {
  id: number;
  thread_id: number;
  from_value: string | null;
  body: string;
  raw: string;
  verified: boolean | number;
}

/** What a test sees of the hub reading its own folder of a real Dovecot, with a real SMTP server behind it. */
export interface MailHub {
  readonly t: TestHub;
  readonly smtp: SmtpStandIn;
  /** The test's own IMAP connection: it delivers by APPEND and looks at folders. */
  readonly imap: ImapFlow;
  readonly dovecot: Mailbox;
  readonly folder: string;
  /** Appends a message to the hub's folder, as a delivery would; its UID. */
  deliver(source: string | Buffer): Promise<number>;
  /** Waits until the hub has read past `uid` and is idle again. */
  readPast(uid: number, ms?: number): Promise<void>;
  inboundEmails(): Promise<InboundEmailRow[]>;
  /** Runs the due jobs (acknowledgements) and gives what the SMTP server received. */
  sentAfterJobs(): Promise<SmtpStandIn['received']>;
}

/**
 * Registers the hooks of a suite that reads mail through a real Dovecot: one Dovecot per suite,
 * a fresh folder, SMTP stand-in and hub (on the store under test) per test. Skips the suite
 * without Dovecot (see skipWithoutDovecot).
 */
/** `env`: more settings for the hub; a function is read when each test's hub starts (a stand-in's URL known by then). */
export function useMailHub(options: { folderPrefix: string; now: number; env?: Record<string, string> | (() => Record<string, string>) }): MailHub {
  let dovecot: Mailbox | undefined;
  let imap: ImapFlow | undefined;
  let t: TestHub | undefined;
  let smtp: SmtpStandIn | undefined;
  let folder = '';
  let folders = 0;

  before(async function () {
    skipWithoutDovecot(this);
    dovecot = await startDovecot();
    imap = await connectImap(dovecot);
  });
  after(async () => {
    await imap?.logout().catch(() => undefined);
    await dovecot?.stop();
  });
  beforeEach(async () => {
    folder = `${options.folderPrefix}${++folders}`;
    await (imap as ImapFlow).mailboxCreate(folder);
    smtp = await startSmtp();
    t = await startHub({
      now: options.now,
      env: { ...dovecot?.env, IMAP_MAILBOX: folder, SMTP_URL: smtp.url, MAIL_FROM: 'Klantenservice <klachten@example.nl>', ...(typeof options.env === 'function' ? options.env() : options.env) },
    });
  });
  afterEach(async () => {
    await t?.stop();
    await smtp?.close();
  });

  const hub: MailHub = {
    get t() {
      return t as TestHub;
    },
    get smtp() {
      return smtp as SmtpStandIn;
    },
    get imap() {
      return imap as ImapFlow;
    },
    get dovecot() {
      return dovecot as Mailbox;
    },
    get folder() {
      return folder;
    },
    async deliver(source) {
      const appended = await hub.imap.append(folder, source);
      if (!appended) throw new Error('append refused');
      return appended.uid ?? 0;
    },
    async readPast(uid, ms = 10_000) {
      await eventually(async () => {
        const status = hub.t.hub.mailbox?.status();
        return status?.state === 'idle' && (status.lastUid ?? 0) >= uid;
      }, `the hub to read past UID ${uid}`, ms);
    },
    inboundEmails() {
      return hub.t.hub.ctx.db('contacts').where({ channel: 'email', direction: 'inbound' }).orderBy('id').select('id', 'thread_id', 'from_value', 'body', 'raw', 'verified');
    },
    async sentAfterJobs() {
      await hub.t.hub.worker.runDue();
      return hub.smtp.received;
    },
  };
  return hub;
}
