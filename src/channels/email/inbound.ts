import type { Logger } from 'pino';
import type { InboundContact, IngestResult } from '../../core/contact';
import type { MessageHandler } from './mailbox-watcher';
import { parseEmail, type OwnMail } from './parse-email';

export interface InboundEmailDeps {
  own: OwnMail;
  ingest(contact: InboundContact): Promise<IngestResult>;
  recordBounce(args: { messageIds: string[]; status: string | undefined; at: number }): Promise<number>;
  clock: () => number;
  logger: Logger;
}

/**
 * Turns each fetched message into a stored contact (or a bounce on the mail it reports). A
 * message the parser cannot read is left unread in the mailbox for a person, and logged;
 * a storage failure throws, so the watcher retries it after reconnecting.
 */
export function inboundEmailHandler(deps: InboundEmailDeps): MessageHandler {
  return async ({ uid, source, receivedAt }) => {
    // The server's arrival time starts the SLA clock, but never later than now (a server clock ahead of ours).
    const at = Math.min(receivedAt, deps.clock());
    let email;
    try {
      email = await parseEmail(source, deps.own, at);
    } catch (error) {
      deps.logger.error({ uid, err: error instanceof Error ? error.message : String(error) }, 'unreadable email left in the mailbox');
      return false;
    }
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
  };
}
