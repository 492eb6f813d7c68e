import type { Logger } from 'pino';
import type { Language } from '../core/contact';
import type { Db } from '../core/db';
import { sendUnrecorded, type OutboundMessage, type Senders } from '../core/outbound';
import { render } from '../views/templates';
import { CODE_RULES, issueCode, type CodeAddress } from './codes';
import { lockAddress, lockSession } from './locks';

export interface VerificationDeps {
  db: Db;
  senders: Senders;
  logger: Logger;
  clock: () => number;
}

/** Why no code went out: the hour's codes are used up, the number texted STOP, or the provider failed. */
export type RefusalReason = 'rate_limited' | 'opted_out' | 'send_failed';

export type SendOutcome = { outcome: 'sent'; to: CodeAddress } | { outcome: 'refused'; to: CodeAddress; reason: RefusalReason; retryAfterMs?: number };

/** Thrown inside the transaction to undo the code's row: a code that was not sent does not count. */
class NotSent extends Error {
  constructor(
    readonly reason: 'opted_out' | 'send_failed',
    readonly failure?: unknown,
  ) {
    super(reason);
  }
}

/**
 * Issues a code for one address of a chat session and sends it, by email or SMS, straight to
 * the channel's sender: a code belongs to no thread, so it is no contact (`deliver` would record
 * one). Stored and sent in one transaction, like every other sender's message.
 */
export async function sendCode(deps: VerificationDeps, args: { sessionId: string; language: Language; address: CodeAddress }): Promise<SendOutcome> {
  const { address } = args;
  const now = deps.clock();
  try {
    return await deps.db.transaction(async (trx): Promise<SendOutcome> => {
      await lockSession(trx, args.sessionId);
      await lockAddress(trx, address);
      const issued = await issueCode(trx, { sessionId: args.sessionId, address, now });
      if (issued.outcome === 'rate_limited') return { outcome: 'refused', to: address, reason: 'rate_limited', retryAfterMs: issued.retryAfterMs };
      const message = codeMessage(args.language, address, issued.code);
      const receipt = await sendUnrecorded(trx, deps.senders, message, now).catch((error: unknown) => {
        throw new NotSent('send_failed', error);
      });
      if (receipt.suppressed) throw new NotSent('opted_out');
      return { outcome: 'sent', to: address };
    });
  } catch (error) {
    if (!(error instanceof NotSent)) throw error;
    if (error.reason === 'send_failed') deps.logger.warn({ err: error.failure, kind: address.kind }, 'verification code could not be sent');
    return { outcome: 'refused', to: address, reason: error.reason };
  }
}

/**
 * The code and how long it works, and nothing the chat user typed: a name in a mail to any
 * address someone types would let strangers write to anyone from our domain.
 */
function codeMessage(language: Language, address: CodeAddress, code: string): OutboundMessage {
  const data = { code, minutes: CODE_RULES.lifetimeMs / 60_000 };
  const text = (name: string) => render(`verification/${name}`, { language, format: 'txt' }, data);
  if (address.kind === 'phone') return { threadId: null, channel: 'sms', to: address.value, body: text('sms'), purpose: 'verification' };
  return { threadId: null, channel: 'email', to: address.value, subject: text('email-subject'), body: text('email'), purpose: 'verification' };
}
