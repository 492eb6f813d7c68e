import type { ParsedMail } from 'mailparser';

/**
 * Mail no person wrote to us, which must never be acknowledged (RFC 3834 §2, and the habits of
 * Exchange, Gmail and list servers): answering it starts mail loops and spams lists.
 * - bounce: a delivery report, or the null sender `<>` / MAILER-DAEMON
 * - auto-reply: `Auto-Submitted` other than "no", `X-Autoreply`, Exchange's `X-Auto-Response-Suppress` on an out-of-office
 * - mailing-list: `List-Id` / `List-Unsubscribe`, `Precedence: list`
 * - bulk: `Precedence: bulk | junk`
 * - own-address: sent from the hub's own address (our mail came back round)
 */
export type AutomaticKind = 'bounce' | 'auto-reply' | 'mailing-list' | 'bulk' | 'own-address';

const BOUNCE_SENDERS = /^(mailer-daemon|postmaster)@/i;
/** Exchange's out-of-office subjects (older servers send them without Auto-Submitted). */
const EXCHANGE_AUTO_REPLY = /^(automatic reply|automatisch antwoord|out of office|afwezig):/i;

export function automaticKind(mail: ParsedMail, sender: string | undefined, ownAddresses: ReadonlySet<string>): AutomaticKind | undefined {
  const header = (name: string): string => rawHeader(mail, name).toLowerCase();
  if (sender && ownAddresses.has(sender)) return 'own-address';
  const returnPath = header('return-path').replace(/\s/g, '');
  const contentType = header('content-type');
  if (returnPath === '<>' || (sender && BOUNCE_SENDERS.test(sender)) || (contentType.startsWith('multipart/report') && /report-type="?delivery-status/.test(contentType))) {
    return 'bounce';
  }
  const autoSubmitted = header('auto-submitted');
  if ((autoSubmitted && autoSubmitted !== 'no') || header('x-autoreply') || header('x-autorespond') || /\b(all|oof|autoreply)\b/.test(header('x-auto-response-suppress')) || EXCHANGE_AUTO_REPLY.test(mail.subject ?? '')) {
    return 'auto-reply';
  }
  const precedence = header('precedence');
  if (header('list-id') || header('list-unsubscribe') || precedence === 'list') return 'mailing-list';
  if (precedence === 'bulk' || precedence === 'junk') return 'bulk';
  return undefined;
}

/** A header's value as written (unfolded), without mailparser's structuring; '' when absent. */
export function rawHeader(mail: ParsedMail, name: string): string {
  const line = mail.headerLines.find((header) => header.key === name)?.line ?? '';
  return line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
}
