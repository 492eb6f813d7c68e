import type { Logger } from 'pino';
import type { InboundContact, IngestResult } from '../../core/contact';
import type { BatchHandler, FetchedMessage } from './mailbox-watcher';
import { parseEmail, type InboundEmail, type OwnMail } from './parse-email';

export interface InboundEmailDeps {
  own: OwnMail;
  /** Stores contacts in the order given; each result in its place. */
  ingestInOrder(contacts: InboundContact[]): Promise<PromiseSettledResult<IngestResult>[]>;
  recordBounce(args: { messageIds: string[]; status: string | undefined; at: number }): Promise<number>;
  clock: () => number;
  logger: Logger;
}

/**
 * Turns fetched messages into stored contacts (or bounces on the mail they report). They are
 * parsed in mailbox order, then the batch's contacts are stored together in that order, so one
 * commit can store them and a customer's first mail still opens her thread. A message the parser
 * cannot read is left unread in the mailbox for a person, and logged; a storage failure throws
 * (after the rest of the batch has settled), so the watcher fetches the batch again after
 * reconnecting.
 */
export function inboundEmailHandler(deps: InboundEmailDeps): BatchHandler {
  return async (messages) => {
    const parsed: { uid: number; email: InboundEmail | undefined }[] = [];
    for (const message of messages) parsed.push({ uid: message.uid, email: await readEmail(deps, message) });
    const complaints = parsed.flatMap(({ uid, email }) => (email?.kind === 'contact' ? [{ uid, contact: email.contact }] : []));
    const [stored, reports] = await Promise.all([
      deps.ingestInOrder(complaints.map(({ contact }) => contact)),
      Promise.allSettled(parsed.map(({ uid, email }) => (email && email.kind !== 'contact' ? handleReport(deps, email, uid) : undefined))),
    ]);
    stored.forEach((result, i) => {
      if (result.status === 'fulfilled') deps.logger.debug({ uid: complaints[i]?.uid, reference: result.value.reference, outcome: result.value.outcome }, 'email stored');
    });
    const failure = [...stored, ...reports].find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
    return parsed.map(({ email }) => email !== undefined);
  };
}

/** The parsed message; undefined when it cannot be read. */
async function readEmail(deps: InboundEmailDeps, { uid, source, receivedAt }: FetchedMessage): Promise<InboundEmail | undefined> {
  // The server's arrival time starts the SLA clock, but never later than now (a server clock ahead of ours).
  const at = Math.min(receivedAt, deps.clock());
  try {
    return await parseEmail(source, deps.own, at);
  } catch (error) {
    deps.logger.error({ uid, err: error instanceof Error ? error.message : String(error) }, 'unreadable email left in the mailbox');
    return undefined;
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
