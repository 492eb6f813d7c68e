import type { Logger } from 'pino';
import type { InboundContact, IngestResult } from '../../core/contact';
import type { BatchHandler, FetchedMessage } from './mailbox-watcher';
import { parseEmail, type InboundEmail, type OwnMail } from './parse-email';

export interface InboundEmailDeps {
  own: OwnMail;
  ingest(contact: InboundContact): Promise<IngestResult>;
  recordBounce(args: { messageIds: string[]; status: string | undefined; at: number }): Promise<number>;
  clock: () => number;
  logger: Logger;
}

/**
 * Turns fetched messages into stored contacts (or bounces on the mail they report). They are
 * parsed in mailbox order, then all handed to ingest at once, in that order, so one commit can
 * store them and a customer's first mail still opens her thread. A message the parser cannot
 * read is left unread in the mailbox for a person, and logged; a storage failure throws (after
 * the others have settled), so the watcher fetches the batch again after reconnecting.
 */
export function inboundEmailHandler(deps: InboundEmailDeps): BatchHandler {
  return async (messages) => {
    const emails: (InboundEmail | undefined)[] = [];
    for (const message of messages) emails.push(await readEmail(deps, message));
    const outcomes = await Promise.allSettled(emails.map((email, i) => (email ? storeEmail(deps, email, (messages[i] as FetchedMessage).uid) : false)));
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    return outcomes.map((outcome) => outcome.status === 'fulfilled' && outcome.value);
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

async function storeEmail(deps: InboundEmailDeps, email: InboundEmail, uid: number): Promise<true> {
  if (email.kind === 'contact') {
    const result = await deps.ingest(email.contact);
    deps.logger.debug({ uid, reference: result.reference, outcome: result.outcome }, 'email stored');
  } else if (email.kind === 'bounce') {
    const matched = await deps.recordBounce({ messageIds: email.bouncedMessageIds, status: email.status, at: email.at });
    if (matched === 0) deps.logger.info({ uid }, 'delivery report about mail the hub did not send: ignored');
  } else {
    deps.logger.info({ uid, reason: email.reason, messageId: email.messageId }, 'email ignored');
  }
  return true;
}
