import type { ParsedMail } from 'mailparser';

/**
 * Mail no person wrote to us. None of it is ever acknowledged (RFC 3834 §2: answering a machine
 * starts mail loops and spams lists), and each kind has its own place:
 * - own-address: our own mail came back round; ignored.
 * - bounce: a delivery failure (RFC 3464 report, or a server's plain-text one); marks our mail undelivered.
 * - delivery-notice: a report that delivery is only delayed, or succeeded; logged.
 * - read-receipt (RFC 8098 MDN), feedback-report (RFC 5965 ARF, an abuse or spam complaint),
 *   report (any other RFC 6522 report), auto-reply (out-of-office, vacation), auto-generated
 *   (RFC 3834 notifications), mailing-list, bulk, no-reply (a sender that takes no answers),
 *   null-sender (Return-Path <>: a machine's notice): stored on their thread for an agent, or
 *   on a thread of their own marked acknowledgement-withheld.
 */
export type AutomaticKind =
  | 'own-address'
  | 'bounce'
  | 'delivery-notice'
  | 'read-receipt'
  | 'feedback-report'
  | 'report'
  | 'auto-reply'
  | 'auto-generated'
  | 'mailing-list'
  | 'bulk'
  | 'no-reply'
  | 'null-sender';

/** What the mail is, and the signal that said so (shown to the agent: "X-Apple-Action: VACATION"). */
export interface Classification {
  kind: AutomaticKind;
  signal: string;
}

/** What the rules look at, read once from the parsed mail. */
interface Signals {
  header: (name: string) => string;
  /** The author's address (lower case) and display name, when the mail has them. */
  from: { address: string | undefined; name: string };
  /** Where answers would go: the Reply-To, else the author (lower case). */
  answersTo: string | undefined;
  subject: string;
  /** `report-type` of a top-level multipart/report, '' when it has none, undefined for other mail. */
  reportType: string | undefined;
  /** Content types of the parts mailparser kept as attachments (message/delivery-status, …). */
  partTypes: string[];
  /** The Action fields of a delivery-status part (failed, delayed, delivered, relayed, expanded). */
  dsnActions: string[];
  /** The start of the message as received, where a report's enclosed headers are (mailparser folds an inline message/rfc822 into the text). */
  head: string;
  own: ReadonlySet<string>;
}

/** One rule: the signal it found, or undefined. Tried in order; the first that finds one decides. */
type Rule = [AutomaticKind, (mail: Signals) => string | undefined];

/** Machine senders of delivery failures (RFC 5321 §4.5.1, and the habits of real servers). */
const DAEMON = /^(mailer-daemon|postmaster|post_master|mail\.delivery\.system|mdaemon)$/i;
const DAEMON_NAME = /^(mailer-daemon|mail delivery (subsystem|system|service)|postmaster)$/i;
/** Senders that take no answers: noreply@, no-reply@, do-not-reply@, donotreply@, no_reply+x@. */
const NO_REPLY = /^(no|do-?not)[-_.]?reply([-+._].*)?$/i;
/** Mailing-list machinery (RFC 2142, Mailman, majordomo): list-request@, list-bounces@, owner-list@, list-admin@. */
const LIST_ADMIN = /^(owner-.+|.+-(request|bounces?|owner|admin))$/i;
/**
 * Out-of-office subjects of servers that send no header for it (older Exchange, iCloud), in the
 * languages we meet: "Automatic reply:", "Auto reply:", "Automatisch antwoord:", "Out of Office:".
 * Only with the colon: a customer may well write about her "vacation" or an "auto reply".
 */
const AUTO_REPLY_SUBJECT =
  /^\s*(auto(matic)?[ -]?(reply|response|respons)|automatisch antwoord|automatische antwort|r[ée]ponse automatique|out of (the )?office( reply| autoreply)?|afwezig(heidsmelding)?|abwesenheitsnotiz)\s*:/i;

const RULES: Rule[] = [
  ['own-address', (mail) => (mail.from.address && mail.own.has(mail.from.address) ? `From: ${mail.from.address}` : undefined)],
  // A delivery report whose recipients were all delivered, relayed or only delayed is no failure.
  ['delivery-notice', (mail) => (isDsn(mail) && mail.dsnActions.length > 0 && !mail.dsnActions.includes('failed') ? `Action: ${mail.dsnActions.join(', ')}` : undefined)],
  ['bounce', (mail) => (isDsn(mail) ? reportSignal(mail, 'delivery-status') : undefined)],
  ['read-receipt', (mail) => reportOf(mail, 'disposition-notification', 'message/disposition-notification')],
  ['feedback-report', (mail) => reportOf(mail, 'feedback-report', 'message/feedback-report')],
  // Hotmail's junk mail reporting program (JMRP) sends the complained-about mail back without an ARF part.
  ['feedback-report', (mail) => (/^x-hmxmroriginalrecipient:/im.test(mail.head) ? 'an enclosed message with X-HmXmrOriginalRecipient' : undefined)],
  ['bounce', (mail) => daemonSignal(mail)],
  ['report', (mail) => (mail.reportType !== undefined ? `Content-Type: multipart/report; report-type=${mail.reportType || '(none)'}` : undefined)],
  ['auto-reply', (mail) => autoReplySignal(mail)],
  ['auto-generated', (mail) => (/^auto-(generated|notified)/.test(mail.header('auto-submitted')) ? `Auto-Submitted: ${mail.header('auto-submitted')}` : undefined)],
  ['mailing-list', (mail) => listSignal(mail)],
  ['bulk', (mail) => (/^(bulk|junk)$/.test(mail.header('precedence')) ? `Precedence: ${mail.header('precedence')}` : undefined)],
  ['no-reply', (mail) => (mail.answersTo && NO_REPLY.test(localPart(mail.answersTo)) ? `answers to ${mail.answersTo}` : undefined)],
  ['null-sender', (mail) => (mail.header('return-path').replace(/\s/g, '') === '<>' ? 'Return-Path: <>' : undefined)],
];

/** Undefined for mail a person wrote. `source`: the message as received, `own`: the hub's own addresses. */
export function classifyMail(args: { mail: ParsedMail; source: Buffer; own: ReadonlySet<string> }): Classification | undefined {
  const signals = signalsOf(args);
  for (const [kind, rule] of RULES) {
    const signal = rule(signals);
    if (signal !== undefined) return { kind, signal };
  }
  return undefined;
}

/** A header's value as written (unfolded), without mailparser's structuring; '' when absent. */
export function rawHeader(mail: ParsedMail, name: string): string {
  const line = mail.headerLines.find((header) => header.key === name)?.line ?? '';
  return line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
}

function signalsOf({ mail, source, own }: { mail: ParsedMail; source: Buffer; own: ReadonlySet<string> }): Signals {
  const author = mail.from?.value[0];
  const contentType = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  const parts = mail.attachments ?? [];
  return {
    header: (name) => rawHeader(mail, name).toLowerCase(),
    from: { address: author?.address?.toLowerCase() || undefined, name: author?.name ?? '' },
    answersTo: (mail.replyTo?.value.find((entry) => entry.address)?.address ?? author?.address)?.toLowerCase() || undefined,
    subject: mail.subject ?? '',
    reportType: contentType?.value?.toLowerCase() === 'multipart/report' ? (contentType.params?.['report-type'] ?? '').toLowerCase() : undefined,
    partTypes: parts.map((part) => String(part.contentType ?? '').toLowerCase()),
    dsnActions: parts
      .filter((part) => /^message\/(global-)?delivery-status$/i.test(String(part.contentType ?? '')))
      .flatMap((part) => [...part.content.toString('utf8').matchAll(/^action:\s*([a-z]+)/gim)].map((match) => (match[1] as string).toLowerCase())),
    head: source.subarray(0, HEAD_BYTES).toString('latin1'),
    own,
  };
}

/** Enough of a report to read its enclosed message's headers, not a photo's bytes. */
const HEAD_BYTES = 64 * 1024;

/** RFC 3464: report-type=delivery-status, or a delivery-status part in a report that names no type (or in plain multipart/mixed). */
function isDsn(mail: Signals): boolean {
  return reportOf(mail, 'delivery-status', 'message/delivery-status') !== undefined || mail.partTypes.includes('message/global-delivery-status');
}

function reportOf(mail: Signals, reportType: string, partType: string): string | undefined {
  if (mail.reportType === reportType) return reportSignal(mail, reportType);
  return mail.partTypes.includes(partType) ? `a ${partType} part` : undefined;
}

function reportSignal(mail: Signals, reportType: string): string {
  return mail.reportType === reportType ? `Content-Type: multipart/report; report-type=${reportType}` : `a message/${reportType} part`;
}

/** A bounce from a server that sends no report: MAILER-DAEMON or postmaster as author or return path. */
function daemonSignal(mail: Signals): string | undefined {
  const returnPath = /<([^>]*)>/.exec(mail.header('return-path'))?.[1] ?? '';
  if (returnPath && DAEMON.test(localPart(returnPath))) return `Return-Path: <${returnPath}>`;
  if (mail.from.address && DAEMON.test(localPart(mail.from.address))) return `From: ${mail.from.address}`;
  if (!mail.from.address && DAEMON_NAME.test(mail.from.name.trim())) return `From: ${mail.from.name}`;
  return undefined;
}

function autoReplySignal(mail: Signals): string | undefined {
  const autoSubmitted = mail.header('auto-submitted');
  if (autoSubmitted.startsWith('auto-replied')) return `Auto-Submitted: ${autoSubmitted}`;
  if (mail.header('x-apple-action') === 'vacation') return 'X-Apple-Action: VACATION';
  for (const name of ['x-autoreply', 'x-autorespond', 'x-mail-autoreply']) {
    if (mail.header(name)) return `${name}: ${mail.header(name)}`;
  }
  if (/^auto[-_]?reply$/.test(mail.header('precedence'))) return `Precedence: ${mail.header('precedence')}`;
  // Exchange marks its out-of-office replies so that other servers do not answer them in turn.
  if (/\b(all|oof|autoreply)\b/.test(mail.header('x-auto-response-suppress'))) return `X-Auto-Response-Suppress: ${mail.header('x-auto-response-suppress')}`;
  return AUTO_REPLY_SUBJECT.test(mail.subject) ? `Subject: ${mail.subject}` : undefined;
}

function listSignal(mail: Signals): string | undefined {
  for (const name of ['list-id', 'list-unsubscribe', 'list-post', 'mailing-list', 'x-mailing-list']) {
    if (mail.header(name)) return `${name}: ${mail.header(name)}`;
  }
  if (mail.header('precedence') === 'list') return 'Precedence: list';
  return mail.from.address && LIST_ADMIN.test(localPart(mail.from.address)) ? `From: ${mail.from.address}` : undefined;
}

function localPart(address: string): string {
  return address.slice(0, address.lastIndexOf('@') === -1 ? undefined : address.lastIndexOf('@'));
}
