import type { QuarantineReason } from '../../core/mail-quarantine';
import type { MailSummary } from './mail-summary';

export interface FetchedMessage {
  uid: number;
  source: Buffer;
  receivedAt: number;
}

/** What became of one fetched message. */
export type MessageOutcome =
  | { kind: 'handled' }
  /** Not stored: the parser cannot read it (final), or storing it failed (tried again before it is set aside). */
  | { kind: 'refused'; reason: QuarantineReason; error: string; summary: MailSummary };

/**
 * Handles the messages of one FETCH together, so that their contacts can share a commit, and
 * answers each one's outcome in order. Throws when the store cannot be reached at all: nothing is
 * set aside then, and the batch is fetched again after reconnecting.
 */
export type BatchHandler = (messages: FetchedMessage[]) => Promise<MessageOutcome[]>;

/** What the mailbox watcher hands its mail to. */
export interface MailHandler {
  /** Starts reading a fetched batch ahead (on another thread), while the batch before it is stored. */
  prepare(messages: FetchedMessage[]): void;
  handle: BatchHandler;
  close(): Promise<void>;
}

export type Refusal = Extract<MessageOutcome, { kind: 'refused' }>;

/** The mailbox waits: mail after mail was refused, which says more about the store than about the mail. */
export class MailboxStuck extends Error {
  constructor(
    message: string,
    /** The messages of the batch that are neither stored nor set aside. */
    readonly uids: number[],
  ) {
    super(message);
  }
}

export interface SettlerOptions {
  handle: BatchHandler;
  /** Tries of a message whose storing failed, before it is set aside. */
  tries: number;
  /** Before the n-th try: n × pauseMs (a lock or a moment's contention passes). */
  pauseMs: number;
  /**
   * Mails the store refused, set aside one after another with nothing stored in between, before
   * the mailbox stops instead: one bad mail is set aside, but a store that refuses everything (a
   * revoked privilege, a broken migration) must not empty the mailbox into quarantine.
   */
  maxInARow: number;
}

/**
 * Brings each message of a batch to an end: stored, or set aside for a person (the quarantine
 * mailbox), so that one mail never stops the mail behind it. Unreadable mail is set aside at once;
 * mail the store refused is tried again first.
 */
export class BatchSettler {
  private setAsideInARow = 0;

  constructor(private readonly options: SettlerOptions) {}

  /** The UIDs stored; every other message of the batch has been handed to `setAside`. */
  async settle(
    messages: FetchedMessage[],
    hooks: {
      setAside: (message: FetchedMessage, refusal: Refusal, attempts: number) => Promise<void>;
      /** Between tries: which messages wait, and why. */
      retrying: (uids: number[], error: string, attempt: number) => void;
      pause: (ms: number) => Promise<void>;
    },
  ): Promise<number[]> {
    const stored: number[] = [];
    let pending = messages;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const outcomes = await this.options.handle(pending);
      const again: { message: FetchedMessage; refusal: Refusal }[] = [];
      for (const [index, message] of pending.entries()) {
        const outcome = outcomes[index];
        if (!outcome) throw new Error(`the handler answered ${outcomes.length} outcomes for ${pending.length} messages`);
        if (outcome.kind === 'handled') {
          stored.push(message.uid);
          this.setAsideInARow = 0;
        } else if (outcome.reason === 'unreadable') {
          // The parser's verdict on this mail alone (a wave of broken spam is set aside, mail by mail).
          await hooks.setAside(message, outcome, 1);
        } else if (this.setAsideInARow >= this.options.maxInARow) {
          // The mails before it were refused by the store too: no more tries, and nothing more set aside, until one is stored.
          const waiting = [...again.map((entry) => entry.message.uid), ...pending.slice(index).map((entry) => entry.uid)];
          throw new MailboxStuck(`${this.options.maxInARow} mails in a row could not be stored; the mailbox waits: ${outcome.error}`, waiting);
        } else if (attempt >= this.options.tries) {
          this.setAsideInARow++;
          await hooks.setAside(message, outcome, attempt);
        } else {
          again.push({ message, refusal: outcome });
        }
      }
      pending = again.map(({ message }) => message);
      const first = again[0];
      if (first) {
        hooks.retrying(pending.map((message) => message.uid), first.refusal.error, attempt);
        await hooks.pause(this.options.pauseMs * attempt);
      }
    }
    return stored;
  }
}
