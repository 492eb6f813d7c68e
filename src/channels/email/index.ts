import type { HubEnv } from '../../config/env';
import type { HubContext } from '../../context';
import type { Channel, InboundContact, IngestResult } from '../../core/contact';
import { recordEmailBounce } from '../../core/delivery';
import { recordQuarantine } from '../../core/mail-quarantine';
import { advanceMailboxCursor, readMailboxCursor } from '../../core/mailbox-cursor';
import type { ChannelSender } from '../../core/outbound';
import { bareAddress } from './address';
import { inboundEmailHandler } from './inbound';
import { MailboxWatcher } from './mailbox-watcher';
import { ParsePool } from './parse-pool';
import type { OwnMail } from './parse-email';
import { SmtpEmailSender } from './smtp-sender';

/** Email goes out over SMTP when SMTP_URL (and MAIL_FROM) are set; otherwise the outbox keeps recording it. */
export function withSmtpSender(senders: Map<Channel, ChannelSender>, env: HubEnv): Map<Channel, ChannelSender> {
  if (env.SMTP_URL && env.MAIL_FROM) senders.set('email', new SmtpEmailSender({ smtpUrl: env.SMTP_URL, from: env.MAIL_FROM }));
  return senders;
}

/** The IMAP reader of the complaints mailbox, when IMAP_HOST is set. */
export function mailboxWatcher(
  ctx: HubContext,
  ingestInOrder: (contacts: InboundContact[]) => Promise<PromiseSettledResult<IngestResult>[]>,
): MailboxWatcher | undefined {
  const { env } = ctx;
  if (!env.IMAP_HOST || !env.IMAP_USER || !env.IMAP_PASSWORD) return undefined;
  const { db, clock } = ctx;
  const parser = new ParsePool({ own: ownMail(env) });
  return new MailboxWatcher({
    settings: {
      host: env.IMAP_HOST,
      port: env.IMAP_PORT ?? (env.IMAP_TLS ? 993 : 143),
      secure: env.IMAP_TLS,
      user: env.IMAP_USER,
      password: env.IMAP_PASSWORD,
      mailbox: env.IMAP_MAILBOX,
      quarantineMailbox: env.IMAP_QUARANTINE_MAILBOX,
    },
    cursor: {
      read: (mailbox) => readMailboxCursor(db, mailbox),
      advance: (mailbox, cursor) => advanceMailboxCursor(db, { mailbox, cursor, at: clock() }),
    },
    handler: inboundEmailHandler({
      parse: (source, receivedAt) => parser.parse(source, receivedAt),
      closeParser: () => parser.close(),
      ingestInOrder,
      recordBounce: (args) => recordEmailBounce(db, args),
      clock,
      logger: ctx.logger,
    }),
    recordQuarantine: (mail) => recordQuarantine(db, mail),
    clock,
    logger: ctx.logger,
  });
}

/** The hub's own addresses (MAIL_FROM, the mailbox's login when it is an address) and their domains. */
function ownMail(env: HubEnv): OwnMail {
  const addresses = [env.MAIL_FROM, env.IMAP_USER].map((value) => bareAddress(value ?? '')).filter((address): address is string => address !== undefined);
  return { addresses: new Set(addresses), domains: new Set(addresses.map((address) => address.split('@')[1] as string)) };
}
