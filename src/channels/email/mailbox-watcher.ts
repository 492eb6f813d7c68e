import { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import type { QuarantinedMail } from '../../core/mail-quarantine';
import type { MailboxCursor } from '../../core/mailbox-cursor';
import { BatchSettler, MailboxStuck, type FetchedMessage, type MailHandler, type Refusal } from './batch-settler';

export interface ImapSettings {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password: string;
  mailbox: string;
  /** Where mail that cannot be stored is moved, "/" between levels (e.g. "Klachtenhub/Quarantaine"). */
  quarantineMailbox: string;
}

export interface MailboxCursorStore {
  read(mailbox: string): Promise<MailboxCursor | undefined>;
  advance(mailbox: string, cursor: MailboxCursor): Promise<void>;
}

export type MailboxState = 'connecting' | 'catching-up' | 'idle' | 'disconnected' | 'stopped';

/** What /healthz shows of the mailbox. */
export interface MailboxStatus {
  mailbox: string;
  state: MailboxState;
  uidValidity: string | null;
  lastUid: number | null;
  /** Since the last successful connect. */
  reconnectAttempts: number;
  lastError: string | null;
  lastMessageAt: string | null;
  /** Messages that are being tried again, or that keep the mailbox waiting: which, how often, why, since when. */
  stuck: { uids: number[]; attempts: number; error: string; since: string } | null;
  quarantineMailbox: string;
  /** Mails this process moved to the quarantine mailbox. */
  quarantined: number;
}

/** Messages per FETCH, and their summed size: a catch-up of big mails must not hold them all in memory. */
const BATCH_MESSAGES = 50;
const BATCH_BYTES = 32 * 1024 * 1024;
const BACKOFF_MS = { first: 1_000, max: 60_000 };
/** A mail whose storing fails is tried three times, 0.5 s and 1 s apart, then set aside; three set aside in a row stop the mailbox. */
const SETTLING = { tries: 3, pauseMs: 500, maxInARow: 3 };

/**
 * Reads a mailbox over IMAP: on (re)connect a catch-up by UID from the stored cursor, then IDLE
 * until the server says new mail exists. A message counts as handled only after the handler has
 * stored it; then the cursor moves past it and it is flagged \Seen. A crash in between means the
 * message is fetched again and recognised as a duplicate. A message that cannot be stored is
 * recorded and moved to the quarantine mailbox (see BatchSettler), so the mail behind it flows on.
 * A dropped connection is rebuilt with back-off (an ImapFlow instance cannot reconnect).
 */
export class MailboxWatcher {
  private current: MailboxStatus;
  private client?: ImapFlow;
  private running?: Promise<void>;
  private stopped = false;
  private wake?: () => void;
  private newMail = false;
  private readonly settler: BatchSettler;

  constructor(
    private readonly options: {
      settings: ImapSettings;
      cursor: MailboxCursorStore;
      handler: MailHandler;
      /** Keeps the record of a mail set aside (the console lists it); must succeed before the mail is moved. */
      recordQuarantine: (mail: QuarantinedMail) => Promise<void>;
      clock: () => number;
      logger: Logger;
    },
  ) {
    const { settings } = options;
    this.settler = new BatchSettler({ handle: options.handler.handle, ...SETTLING });
    this.current = {
      mailbox: settings.mailbox,
      state: 'disconnected',
      uidValidity: null,
      lastUid: null,
      reconnectAttempts: 0,
      lastError: null,
      lastMessageAt: null,
      stuck: null,
      quarantineMailbox: settings.quarantineMailbox,
      quarantined: 0,
    };
  }

  status(): MailboxStatus {
    return { ...this.current, stuck: this.current.stuck && { ...this.current.stuck, uids: [...this.current.stuck.uids] } };
  }

  start(): void {
    this.stopped = false;
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    this.client?.close();
    await this.running;
    await this.options.handler.close();
    this.current.state = 'stopped';
  }

  private async run(): Promise<void> {
    let backoff = BACKOFF_MS.first;
    while (!this.stopped) {
      try {
        await this.session();
        backoff = BACKOFF_MS.first;
      } catch (error) {
        this.current.lastError = error instanceof Error ? error.message : String(error);
        this.options.logger.warn({ err: this.current.lastError, mailbox: this.current.mailbox }, 'mailbox connection lost');
      }
      if (this.stopped) break;
      this.current.state = 'disconnected';
      this.current.reconnectAttempts++;
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, BACKOFF_MS.max);
    }
  }

  /** One connection, from connect to close. */
  private async session(): Promise<void> {
    const { settings } = this.options;
    const client = new ImapFlow({
      host: settings.host,
      port: settings.port,
      secure: settings.secure,
      auth: { user: settings.user, pass: settings.password },
      logger: false,
      connectionTimeout: 15_000,
      // Servers end an IDLE after 30 minutes (RFC 2177); renewing it earlier keeps the connection known to be alive.
      maxIdleTime: 5 * 60_000,
    });
    this.client = client;
    const closed = new Promise<void>((resolve) => client.once('close', resolve));
    client.on('error', (error: Error) => {
      this.current.lastError = error.message;
    });
    client.on('exists', () => this.notify());
    void closed.then(() => this.notify());
    try {
      this.current.state = 'connecting';
      await client.connect();
      const lock = await client.getMailboxLock(settings.mailbox);
      try {
        this.current.reconnectAttempts = 0;
        this.current.lastError = null;
        do {
          this.newMail = false;
          this.current.state = 'catching-up';
          await this.catchUp(client);
          this.current.state = 'idle';
          if (!this.newMail) {
            // IDLE now, not after imapflow's 15 s auto-idle delay: the server then tells of new mail at once.
            void client.idle().catch(() => undefined);
            await this.waitForMail();
          }
        } while (!this.stopped && client.usable);
      } finally {
        if (client.usable) lock.release();
      }
      if (!this.stopped) throw new Error('the IMAP server closed the connection');
    } finally {
      this.client = undefined;
      if (client.usable) await client.logout().catch(() => client.close());
      else client.close();
    }
  }

  /** Everything after the cursor, in UID order, in batches; the next batch is fetched while this one is stored. */
  private async catchUp(client: ImapFlow): Promise<void> {
    const mailbox = client.mailbox;
    if (!mailbox) throw new Error('no mailbox open');
    const uidValidity = String(mailbox.uidValidity);
    let cursor = await this.options.cursor.read(this.current.mailbox);
    if (cursor && cursor.uidValidity !== uidValidity) {
      // The server renumbered the mailbox: read it all again; stored messages are recognised by their provider id.
      this.options.logger.warn({ mailbox: this.current.mailbox, was: cursor.uidValidity, now: uidValidity }, 'UIDVALIDITY changed: re-scanning the mailbox');
      cursor = undefined;
    }
    let lastUid = cursor?.lastUid ?? 0;
    this.current.uidValidity = uidValidity;
    this.current.lastUid = lastUid;

    const batches = await pendingBatches(client, lastUid);
    // Each batch is read (parsed on another thread) as soon as it is fetched, while the one before it is stored.
    const fetchAndRead = (uids: number[]) =>
      fetchSources(client, uids).then((messages) => {
        this.options.handler.prepare(messages);
        return messages;
      });
    let next = batches[0] && fetchAndRead(batches[0]);
    let flagging: Promise<unknown> | undefined;
    for (let index = 0; next; index++) {
      const messages = await next;
      const following = batches[index + 1];
      next = following && fetchAndRead(following);
      // Should storing fail below, the session ends; the prefetch's own failure is then of no interest.
      next?.catch(() => undefined);
      const stored = await this.settle(client, messages, uidValidity);
      const last = messages.at(-1);
      if (last) {
        lastUid = Math.max(lastUid, last.uid);
        this.current.lastMessageAt = new Date(last.receivedAt).toISOString();
      }
      // \Seen is for the people who read the mailbox; the hub goes by its cursor. So the flags of a
      // batch are set while the next one is stored (a STORE costs a round trip per batch), and a
      // failed STORE still ends the session, one batch later.
      await flagging;
      flagging = stored.length > 0 ? client.messageFlagsAdd(stored, ['\\Seen'], { uid: true }) : undefined;
      flagging?.catch(() => undefined);
      await this.options.cursor.advance(this.current.mailbox, { uidValidity, lastUid });
      this.current.lastUid = lastUid;
      if (this.stopped) break;
    }
    await flagging;
  }

  /** Stores the batch or sets its mail aside; answers the stored UIDs. While it cannot, /healthz says which mail waits and why. */
  private async settle(client: ImapFlow, messages: FetchedMessage[], uidValidity: string): Promise<number[]> {
    try {
      const stored = await this.settler.settle(messages, {
        setAside: (message, refusal, attempts) => this.quarantine(client, { message, refusal, attempts, uidValidity }),
        retrying: (uids, error, attempt) => this.noteStuck(uids, error, attempt),
        pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      });
      this.current.stuck = null;
      return stored;
    } catch (error) {
      const waiting = error instanceof MailboxStuck ? error.uids : messages.map((message) => message.uid);
      this.noteStuck(waiting, error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  /** A retry within a batch counts its attempt; a batch that fails again after a reconnect adds one to what it had. */
  private noteStuck(uids: number[], error: string, attempt?: number): void {
    const previous = this.current.stuck?.uids[0] === uids[0] ? this.current.stuck : null;
    this.current.stuck = {
      uids,
      attempts: attempt ?? (previous?.attempts ?? 0) + 1,
      error,
      since: previous?.since ?? new Date(this.options.clock()).toISOString(),
    };
  }

  /** Records the mail, then moves it to the quarantine mailbox: a crash in between moves it on the next read, recorded once. */
  private async quarantine(client: ImapFlow, args: { message: FetchedMessage; refusal: Refusal; attempts: number; uidValidity: string }): Promise<void> {
    const { message, refusal } = args;
    const movedTo = await quarantineMailboxPath(client, this.options.settings.quarantineMailbox);
    await this.options.recordQuarantine({
      mailbox: this.current.mailbox,
      uidValidity: args.uidValidity,
      uid: message.uid,
      movedTo,
      ...refusal.summary,
      size: message.source.length,
      reason: refusal.reason,
      error: refusal.error,
      attempts: args.attempts,
      at: this.options.clock(),
    });
    await client.messageMove(String(message.uid), movedTo, { uid: true });
    this.current.quarantined++;
    this.options.logger.warn({ mailbox: this.current.mailbox, uid: message.uid, movedTo, reason: refusal.reason, err: refusal.error }, 'mail set aside in the quarantine mailbox');
  }

  private notify(): void {
    this.newMail = true;
    this.wake?.();
  }

  private waitForMail(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}

/** UIDs after `lastUid`, grouped into batches by count and size (sizes come cheaply from one FETCH of metadata). */
async function pendingBatches(client: ImapFlow, lastUid: number): Promise<number[][]> {
  const pending: { uid: number; size: number }[] = [];
  // "n:*" always includes the highest UID, even when it is below n: filter.
  for await (const message of client.fetch(`${lastUid + 1}:*`, { uid: true, size: true }, { uid: true })) {
    if (message.uid > lastUid) pending.push({ uid: message.uid, size: message.size ?? 0 });
  }
  pending.sort((a, b) => a.uid - b.uid);
  const batches: number[][] = [];
  let batch: number[] = [];
  let bytes = 0;
  for (const message of pending) {
    if (batch.length > 0 && (batch.length >= BATCH_MESSAGES || bytes + message.size > BATCH_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(message.uid);
    bytes += message.size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * The quarantine mailbox's path on this server, made when missing: the configured "/" is the
 * server's own hierarchy delimiter (Dovecot's Maildir++ uses ".").
 */
async function quarantineMailboxPath(client: ImapFlow, configured: string): Promise<string> {
  const levels = configured.split('/');
  try {
    return (await client.mailboxCreate(levels)).path;
  } catch (error) {
    // Servers without RFC 5530's ALREADYEXISTS refuse to create what exists in words of their own.
    const existing = (await client.list()).find((mailbox) => mailbox.path.split(mailbox.delimiter || '/').join('/') === levels.join('/'));
    if (existing) return existing.path;
    throw error;
  }
}

async function fetchSources(client: ImapFlow, uids: number[]): Promise<FetchedMessage[]> {
  const messages: FetchedMessage[] = [];
  for await (const message of client.fetch(uids, { uid: true, source: true, internalDate: true }, { uid: true })) {
    if (!message.source) continue;
    const received = message.internalDate ? new Date(message.internalDate).getTime() : Date.now();
    messages.push({ uid: message.uid, source: message.source, receivedAt: received });
  }
  return messages.sort((a, b) => a.uid - b.uid);
}
