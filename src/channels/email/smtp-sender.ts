import { randomUUID } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Channel } from '../../core/contact';
import type { DbOrTrx } from '../../core/db';
import type { ChannelSender, OutboundMessage, OutboundPurpose, SendReceipt } from '../../core/outbound';
import { bareAddress } from './address';

/** The send runs inside the caller's transaction (a job's): give up quickly rather than hold it. */
const TIMEOUTS = { connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 10_000 };
/** References grow with every message; mail clients need the first and the newest few. */
const MAX_REFERENCES = 20;

/**
 * RFC 3834: what the hub sends by itself is marked so that auto-responders (out-of-office,
 * another helpdesk) do not answer it. An agent's reply is a person's message and is not marked.
 */
const AUTO_SUBMITTED: Record<OutboundPurpose, string | undefined> = {
  acknowledgement: 'auto-replied',
  callback: 'auto-generated',
  satisfaction: 'auto-generated',
  verification: 'auto-generated',
  reply: undefined,
};

/**
 * Sends email with nodemailer over `SMTP_URL`, from `MAIL_FROM`. Every message gets a Message-ID
 * of our own (stored on the outbound contact, so the customer's reply finds the thread), and
 * In-Reply-To/References to the thread's mail, so the customer's mail client keeps one conversation.
 */
export class SmtpEmailSender implements ChannelSender {
  private readonly transport: Transporter;
  private readonly domain: string;

  constructor(private readonly options: { smtpUrl: string; from: string }) {
    this.transport = nodemailer.createTransport({ url: options.smtpUrl, ...TIMEOUTS });
    this.domain = bareAddress(options.from)?.split('@')[1] ?? 'klachtenhub.invalid';
  }

  async send(db: DbOrTrx, message: OutboundMessage, _now: number): Promise<SendReceipt> {
    const messageId = `<${randomUUID()}@${this.domain}>`;
    const thread = await threadMessageIds(db, message.threadId);
    const autoSubmitted = AUTO_SUBMITTED[message.purpose];
    await this.transport.sendMail({
      from: this.options.from,
      to: message.to,
      subject: message.subject,
      text: message.body,
      html: message.html,
      messageId,
      inReplyTo: thread.lastInbound,
      references: thread.all.length > 0 ? thread.all : undefined,
      headers: autoSubmitted ? { 'Auto-Submitted': autoSubmitted } : undefined,
    });
    return { providerId: messageId, messageId };
  }
}

/** The thread's mail so far, oldest first (the first kept, then the newest), and the customer's newest; none for a message without a thread. */
async function threadMessageIds(db: DbOrTrx, threadId: number | null): Promise<{ all: string[]; lastInbound: string | undefined }> {
  if (threadId === null) return { all: [], lastInbound: undefined };
  const rows: { message_id: string; direction: string }[] = await db('contacts')
    .where({ thread_id: threadId, channel: 'email' satisfies Channel })
    .whereNotNull('message_id')
    .orderBy([{ column: 'at' }, { column: 'id' }])
    .select('message_id', 'direction');
  const ids = rows.map((row) => row.message_id);
  const all = ids.length > MAX_REFERENCES ? [ids[0] as string, ...ids.slice(-(MAX_REFERENCES - 1))] : ids;
  const lastInbound = rows.filter((row) => row.direction === 'inbound').at(-1)?.message_id;
  return { all, lastInbound };
}
