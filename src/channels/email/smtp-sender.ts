import { randomUUID } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { OutboundPurpose, ProviderMessage, ProviderSender, SentPart } from '../../core/outbound';
import { SendFailure } from '../../core/send-failure';
import { bareAddress } from './address';

/** Give up on a server that does not answer; the outbound-send job tries again later. */
const TIMEOUTS = { connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 10_000 };

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
 * Sends email with nodemailer over `SMTP_URL`, from `MAIL_FROM`. Every message has a Message-ID
 * of our own, chosen before the first attempt: the customer's reply finds the thread by it, and a
 * mail sent again after a lost answer is the same mail to her server and mail client, which keep
 * one of it. In-Reply-To/References (chosen with the message) keep her conversation together.
 */
export class SmtpEmailSender implements ProviderSender {
  readonly via = 'provider';
  private readonly transport: Transporter;
  private readonly domain: string;

  constructor(private readonly options: { smtpUrl: string; from: string }) {
    this.transport = nodemailer.createTransport({ url: options.smtpUrl, ...TIMEOUTS });
    this.domain = bareAddress(options.from)?.split('@')[1] ?? 'klachtenhub.invalid';
  }

  assignMessageId(): string {
    return `<${randomUUID()}@${this.domain}>`;
  }

  async send(message: ProviderMessage, alreadySent: readonly SentPart[]): Promise<SentPart[]> {
    if (alreadySent.length > 0) return [...alreadySent];
    const messageId = message.messageId ?? this.assignMessageId();
    const autoSubmitted = AUTO_SUBMITTED[message.purpose];
    try {
      await this.transport.sendMail({
        from: this.options.from,
        to: message.to,
        subject: message.subject,
        text: message.body,
        html: message.html,
        messageId,
        inReplyTo: message.inReplyTo,
        references: message.references,
        headers: autoSubmitted ? { 'Auto-Submitted': autoSubmitted } : undefined,
      });
    } catch (error) {
      throw smtpFailure(error);
    }
    return [{ providerId: messageId, part: 1, parts: 1 }];
  }

  /** SMTP cannot be asked what it delivered: the mail is sent again under its own Message-ID. */
  async findSent(): Promise<null> {
    return null;
  }
}

/** Connection errors after which the server cannot have the mail: it was never reached. */
const NEVER_REACHED = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/;

/**
 * A 5xx reply refuses this mail for good (550: no such mailbox). A 4xx, an unreachable server, a
 * lost connection or a timeout pass. Without a reply the server may have taken the mail (nodemailer
 * reports a connection closed after the data as it does one closed before), which its Message-ID
 * makes harmless to send again.
 */
function smtpFailure(error: unknown): SendFailure {
  const smtp = error as { responseCode?: number; code?: string; message?: string };
  const message = `SMTP: ${smtp.message ?? String(error)}`;
  if (smtp.responseCode !== undefined) return new SendFailure(message, { permanent: smtp.responseCode >= 500, maybeSent: false, code: String(smtp.responseCode) });
  return new SendFailure(message, { permanent: false, maybeSent: !NEVER_REACHED.test(message), code: smtp.code });
}
