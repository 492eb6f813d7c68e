import { createHash } from 'node:crypto';
import { compile } from 'html-to-text';
import { searchPhoneNumbersInText } from 'libphonenumber-js';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { isAddressAsName } from '../../core/customer-name';
import { MAX_ATTACHMENT_BYTES, MAX_CLAIMS, type ClaimedIdentity, type InboundAttachment, type InboundContact } from '../../core/contact';
import { classifyMail, rawHeader } from './auto-mail';
import { forwardedFor, type MailAddress } from './forwarded';
import { MAIL_LIMITS, storable, storableLabel, storableMessageId } from './mail-limits';
import { newText } from './quoted-text';

/** The hub's own addresses and domains: for loop guards and for colleagues' forwards. */
export interface OwnMail {
  addresses: ReadonlySet<string>;
  domains: ReadonlySet<string>;
}

/** One email read from the mailbox: either a contact for a thread, or a report about mail we sent. */
export type InboundEmail =
  | { kind: 'contact'; contact: InboundContact }
  | { kind: 'bounce'; bouncedMessageIds: string[]; status: string | undefined; at: number }
  | { kind: 'ignored'; reason: 'own-address' | 'delivery-notice'; messageId: string | undefined };

/**
 * Parses a raw RFC 5322 message (as fetched over IMAP) into what the hub stores. Text is
 * preferred; an HTML-only mail is converted to text and its HTML is never kept for display.
 * Charsets (ISO-8859-1, Windows-1252, ...) are decoded by mailparser/libmime.
 */
export async function parseEmail(source: Buffer, own: OwnMail, receivedAt: number): Promise<InboundEmail> {
  // Delivery-status parts as attachments: the classification reads their Action fields, and they are no text of a person.
  const mail = await simpleParser(source, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true, keepDeliveryStatus: true });
  const author = firstAddress(mail.from);
  const automatic = classifyMail({ mail, source, own: own.addresses });
  const messageId = mail.messageId ? storableMessageId(angle(mail.messageId)) : undefined;

  if (automatic?.kind === 'own-address' || automatic?.kind === 'delivery-notice') return { kind: 'ignored', reason: automatic.kind, messageId };
  if (automatic?.kind === 'bounce') return { kind: 'bounce', bouncedMessageIds: bouncedMessageIds(mail), status: dsnStatus(mail), at: receivedAt };
  // A web form mails "From: noreply@shop" with the customer in Reply-To: answers go where a mail client would send them.
  const replyTo = firstAddress(mail.replyTo);
  // No sender at all (no From, "From: <>" that is no bounce): still a contact an agent sees, on a
  // thread of its own; with no address, nothing is sent back.
  const sender = replyTo ?? author;

  const subject = storable(mail.subject ?? '', MAIL_LIMITS.labelChars);
  const text = storable(mailText(mail), MAIL_LIMITS.rawTextChars);
  const onBehalfOf = forwardedFor({ subject, text, sender: sender?.address, ownDomains: own.domains });
  const customer = onBehalfOf ?? sender;
  const attachments = (mail.attachments ?? []).map((attachment, index) => toAttachment(attachment, index < MAIL_LIMITS.attachments));
  const body = storable(onBehalfOf ? text : newText(text), MAIL_LIMITS.bodyChars);

  return {
    kind: 'contact',
    contact: {
      channel: 'email',
      providerId: providerId(mail, text),
      from: customer && { kind: 'email', value: customer.address },
      unprovenBecause: unprovenSender({ mail, author, replyTo, onBehalfOf }),
      name: customer?.name,
      // "Bel me op 06 12345678": a claim the agent sees as a possible number, never proof. Only from
      // what she wrote now: quoted history holds our own numbers, a forward the colleague's.
      claimedIdentities: onBehalfOf ? [] : phonesIn(body),
      language: languageOf(mail),
      subject,
      body,
      messageId,
      inReplyTo: replyChain(mail),
      attachments,
      automatic,
      at: receivedAt,
      raw: {
        headers: keptHeaders(mail),
        text,
        ...(onBehalfOf ? { forwardedBy: sender?.address } : {}),
        ...(mail.html && !mail.text ? { htmlOnly: true } : {}),
      },
    },
  };
}

/**
 * HTML mail as the words a reader sees: no markup, no scripts, no link targets or image sources
 * (a `javascript:` href is not something an agent should ever be shown to click). Compiled once:
 * html-to-text builds its converter in about 0.5 ms, ten times the cost of a conversion.
 */
const htmlAsText = compile({
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
  ],
});

/** The text part, or the HTML part as text; a huge HTML part is cut before it is converted. */
function mailText(mail: ParsedMail): string {
  if (mail.text) return mail.text.trim();
  return typeof mail.html === 'string' ? htmlAsText(mail.html.slice(0, MAIL_LIMITS.htmlChars)).trim() : '';
}

/** The header lines as received, up to MAIL_LIMITS.headerChars (a 200 KB header block is a spammer's, not a customer's). */
function keptHeaders(mail: ParsedMail): string[] {
  const kept: string[] = [];
  let chars = 0;
  for (const header of mail.headerLines) {
    chars += header.line.length;
    if (chars > MAIL_LIMITS.headerChars) break;
    kept.push(storable(header.line, MAIL_LIMITS.headerChars));
  }
  return kept;
}

/**
 * The same message fetched twice (a retry, a UIDVALIDITY re-scan, two instances) must be one
 * contact; two different messages that share a Message-ID (broken clients reuse them) must not.
 * So the key is Message-ID plus a hash of what the sender wrote, not of the mailbox's copy
 * (whose Received headers differ per delivery).
 */
function providerId(mail: ParsedMail, text: string): string {
  const hash = createHash('sha256')
    .update([mail.messageId ?? '', mail.date?.toISOString() ?? '', mail.from?.text ?? '', mail.subject ?? '', text].join('\n'))
    .digest('base64url')
    .slice(0, 22);
  return `${mail.messageId ? storableMessageId(angle(mail.messageId)) : '<none>'}#${hash}`;
}

/** `keep`: whether its content may be stored (one of the first MAIL_LIMITS.attachments, within the size limit). */
function toAttachment(attachment: ParsedMail['attachments'][number], keep: boolean): InboundAttachment {
  const size = attachment.size ?? attachment.content.length;
  return {
    // A broken part header ("Content-Type: ; name=x.jpg") leaves mailparser without a type or name.
    filename: storableLabel(typeof attachment.filename === 'string' && attachment.filename ? attachment.filename : 'attachment'),
    contentType: storableLabel(typeof attachment.contentType === 'string' && attachment.contentType ? attachment.contentType : 'application/octet-stream'),
    size,
    ...(keep && size <= MAX_ATTACHMENT_BYTES ? { content: attachment.content } : {}),
  };
}

/** A phone number has at least nine digits; most mails have no such run, and scanning costs ~60 µs. */
const DIGIT_RUN = /\d(?:[\s().-]*\d){8}/;

/** At most MAX_CLAIMS numbers from the start of her text: a list digest full of digits is not her giving her number. */
function phonesIn(text: string): ClaimedIdentity[] {
  const start = text.slice(0, MAIL_LIMITS.phoneScanChars);
  if (!DIGIT_RUN.test(start)) return [];
  const phones: ClaimedIdentity[] = [];
  for (const found of searchPhoneNumbersInText(start, 'NL')) {
    if (phones.length === MAX_CLAIMS) break;
    phones.push({ kind: 'phone', value: found.number.number, via: 'email-text' });
  }
  return phones;
}

/**
 * Mail proves its sender because what the hub sends there reaches only its owner. Not when the
 * receiving server's own Authentication-Results (the topmost: a sender can add more below it)
 * says DMARC failed, and not for a Reply-To other than the author: a web form relays whatever
 * was typed into it. A colleague's forward names the customer in its text; the colleague is ours.
 */
function unprovenSender(args: { mail: ParsedMail; author: MailAddress | undefined; replyTo: MailAddress | undefined; onBehalfOf: MailAddress | undefined }): InboundContact['unprovenBecause'] {
  if (/\bdmarc\s*=\s*fail\b/i.test(rawHeader(args.mail, 'authentication-results'))) return 'dmarc-fail';
  if (!args.onBehalfOf && args.replyTo && args.replyTo.address !== args.author?.address) return 'reply-to';
  return undefined;
}

/**
 * In-Reply-To first, then References (which mailparser gives as a string or an array), oldest
 * first. A chain of thousands is cut to the first (the conversation's start) and the newest.
 */
function replyChain(mail: ParsedMail): string[] {
  const references = (typeof mail.references === 'string' ? mail.references.split(/\s+/) : (mail.references ?? [])).filter(Boolean);
  const inReplyTo = (mail.inReplyTo ?? '').split(/\s+/).filter(Boolean).slice(0, MAX_IN_REPLY_TO);
  const room = MAIL_LIMITS.replyChain - inReplyTo.length;
  const kept = references.length <= room ? references : [references[0] as string, ...references.slice(-(room - 1))];
  return [...new Set([...inReplyTo, ...kept].map((id) => storableMessageId(angle(id))))];
}

/** In-Reply-To names the one message answered; a few more is a client's oddity, hundreds an attack. */
const MAX_IN_REPLY_TO = 10;

function angle(id: string): string {
  const trimmed = id.trim();
  return trimmed.startsWith('<') ? trimmed : `<${trimmed}>`;
}

/** The first entry with an address; its display name only when it is one (see isAddressAsName). */
function firstAddress(from: AddressObject | undefined): MailAddress | undefined {
  const entry = from?.value.find((value) => value.address);
  if (!entry?.address) return undefined;
  const address = entry.address.toLowerCase();
  const name = entry.name ? storableLabel(entry.name).trim() : '';
  return name && !isAddressAsName(name, entry.address) ? { address, name } : { address };
}

/** The language the mail declares (Content-Language, as Outlook sets it); otherwise the customer's or Dutch. */
function languageOf(mail: ParsedMail): 'nl' | 'en' | undefined {
  const declared = rawHeader(mail, 'content-language').toLowerCase();
  if (declared.startsWith('en')) return 'en';
  if (declared.startsWith('nl')) return 'nl';
  return undefined;
}

/** A delivery report names the message it is about in its returned headers (RFC 3462 / 3464). */
function bouncedMessageIds(mail: ParsedMail): string[] {
  const ids = new Set(replyChain(mail));
  for (const attachment of mail.attachments ?? []) {
    if (!/^(message\/rfc822|text\/rfc822-headers|message\/rfc822-headers)/i.test(attachment.contentType)) continue;
    const found = /^message-id:\s*(<[^>]+>)/im.exec(attachment.content.toString('utf8'));
    if (found?.[1]) ids.add(found[1]);
  }
  const inText = /^message-id:\s*(<[^>]+>)/im.exec(mail.text ?? '');
  if (inText?.[1]) ids.add(inText[1]);
  return [...ids];
}

/** The enhanced status code of a delivery report, e.g. "5.1.1" (mailbox unknown). */
function dsnStatus(mail: ParsedMail): string | undefined {
  for (const attachment of mail.attachments ?? []) {
    if (!/^message\/delivery-status/i.test(attachment.contentType)) continue;
    const status = /^status:\s*([245]\.\d{1,3}\.\d{1,3})/im.exec(attachment.content.toString('utf8'));
    if (status?.[1]) return status[1];
  }
  return /\b([45]\.\d\.\d{1,3})\b/.exec(mail.text ?? '')?.[1];
}
