import type { Logger } from 'pino';
import type { InboundContact, IngestResult } from '../../core/contact';
import { isStoreUnavailable } from '../../core/db';
import type { QuarantineReason } from '../../core/mail-quarantine';
import type { FetchedMessage, MailHandler, MessageOutcome } from './batch-settler';
import { summaryFromHeaders } from './mail-summary';
import type { InboundEmail } from './parse-email';
import { ParserUnavailable } from './parse-pool';

export interface InboundEmailDeps {
  /** Reads a message: parseEmail, on a worker thread of a ParsePool in the hub. */
  parse(source: Buffer, receivedAt: number): Promise<InboundEmail>;
  /** Ends the parsing threads. */
  closeParser(): Promise<void>;
  /** Stores contacts in the order given; each result in its place. */
  ingestInOrder(contacts: InboundContact[]): Promise<PromiseSettledResult<IngestResult>[]>;
  recordBounce(args: { messageIds: string[]; status: string | undefined; at: number }): Promise<number>;
  clock: () => number;
  logger: Logger;
}

type Read = { message: FetchedMessage; email: InboundEmail } | { message: FetchedMessage; unreadable: string };

/**
 * Turns fetched messages into stored contacts (or bounces on the mail they report). They are
 * parsed in mailbox order, then the batch's contacts are stored together in that order, so one
 * commit can store them and a customer's first mail still opens her thread. Each message gets its
 * outcome: a message the parser cannot read, or whose storing failed, is refused (and set aside
 * by the watcher after its tries). When the store cannot be reached at all, or no parser can be
 * started, nothing is refused: this throws, and the watcher fetches the batch again later.
 */
export function inboundEmailHandler(deps: InboundEmailDeps): MailHandler {
  // Each fetched message's parse, started by prepare() and awaited by handle(); the same message
  // tried again is not parsed again.
  const reading = new WeakMap<FetchedMessage, Promise<Read>>();
  const read = (message: FetchedMessage): Promise<Read> => {
    let started = reading.get(message);
    if (!started) {
      started = readEmail(deps, message);
      reading.set(message, started);
    }
    return started;
  };
  return {
    prepare: (messages) => {
      // Awaited by handle(); a rejection (no parser at all) is reported there, not as unhandled.
      for (const message of messages) read(message).catch(() => undefined);
    },
    handle: async (messages) => store(deps, await Promise.all(messages.map(read))),
    close: () => deps.closeParser(),
  };
}

/** Stores the batch's contacts together, in mailbox order, and records its bounces; each message's outcome in its place. */
async function store(deps: InboundEmailDeps, read: Read[]): Promise<MessageOutcome[]> {
  const complaints = read.flatMap((entry) => ('email' in entry && entry.email.kind === 'contact' ? [entry.email.contact] : []));
  const [stored, reports] = await Promise.all([
    deps.ingestInOrder(complaints),
    Promise.allSettled(read.map((entry) => ('email' in entry && entry.email.kind !== 'contact' ? handleReport(deps, entry.email, entry.message.uid) : undefined))),
  ]);
  const unavailable = [...stored, ...reports].find((result) => result.status === 'rejected' && isStoreUnavailable(result.reason));
  if (unavailable?.status === 'rejected') throw unavailable.reason;

  for (const result of stored) {
    if (result.status === 'fulfilled') deps.logger.debug({ reference: result.value.reference, outcome: result.value.outcome }, 'email stored');
  }
  let complaint = 0;
  return read.map((entry, index): MessageOutcome => {
    if (!('email' in entry)) return refused('unreadable', entry.unreadable, entry.message);
    const result = entry.email.kind === 'contact' ? stored[complaint++] : reports[index];
    return result?.status === 'rejected' ? refused('not-stored', errorText(result.reason), entry.message) : { kind: 'handled' };
  });
}

function refused(reason: QuarantineReason, error: string, message: FetchedMessage): MessageOutcome {
  return { kind: 'refused', reason, error, summary: summaryFromHeaders(message.source) };
}

async function readEmail(deps: InboundEmailDeps, message: FetchedMessage): Promise<Read> {
  // The server's arrival time starts the SLA clock, but never later than now (a server clock ahead of ours).
  const at = Math.min(message.receivedAt, deps.clock());
  try {
    return { message, email: await deps.parse(message.source, at) };
  } catch (error) {
    // Without a parser no mail is unreadable: the batch waits, like for a store that cannot be reached.
    if (error instanceof ParserUnavailable) throw error;
    return { message, unreadable: errorText(error) };
  }
}

/** A bounce marks the mail it reports; our own mail and mail without a sender are only logged. */
async function handleReport(deps: InboundEmailDeps, email: Exclude<InboundEmail, { kind: 'contact' }>, uid: number): Promise<void> {
  if (email.kind === 'bounce') {
    const matched = await deps.recordBounce({ messageIds: email.bouncedMessageIds, status: email.status, at: email.at });
    if (matched === 0) deps.logger.info({ uid }, 'delivery report about mail the hub did not send: ignored');
  } else {
    deps.logger.info({ uid, reason: email.reason, messageId: email.messageId }, 'email ignored');
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
