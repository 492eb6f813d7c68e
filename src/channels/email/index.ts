import type { HubEnv } from '../../config/env';
import type { Channel } from '../../core/contact';
import type { ChannelSender } from '../../core/outbound';
import { SmtpEmailSender } from './smtp-sender';

/** Email goes out over SMTP when SMTP_URL (and MAIL_FROM) are set; otherwise the outbox keeps recording it. */
export function withSmtpSender(senders: Map<Channel, ChannelSender>, env: HubEnv): Map<Channel, ChannelSender> {
  if (env.SMTP_URL && env.MAIL_FROM) senders.set('email', new SmtpEmailSender({ smtpUrl: env.SMTP_URL, from: env.MAIL_FROM }));
  return senders;
}
