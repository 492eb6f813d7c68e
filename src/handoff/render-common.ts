import { DateTime } from 'luxon';
import type { Language } from '../core/contact';
import type { HandoffSummary } from './summary';

/** "di 24 nov 10:00" / "Tue 24 Nov 10:00": dossier times keep the business zone's offset, so no zone is needed here. */
export function shortTime(iso: string, language: Language): string {
  const at = DateTime.fromISO(iso, { setZone: true });
  if (!at.isValid) return iso;
  return at.setLocale(language === 'en' ? 'en-GB' : 'nl-NL').toFormat('ccc d LLL HH:mm');
}

const CHANNEL_NAMES: Record<Language, Record<string, string>> = {
  nl: { voice: 'telefoon', sms: 'sms', email: 'e-mail', chat: 'chat' },
  en: { voice: 'phone', sms: 'SMS', email: 'email', chat: 'chat' },
};

export function channelName(channel: string, language: Language): string {
  return CHANNEL_NAMES[language][channel] ?? channel;
}

/** We store no gender: the full name is the respectful form in both languages. */
export function addressAs(summary: HandoffSummary, language: Language): string {
  return summary.name ?? (language === 'en' ? 'an unknown customer' : 'een onbekende klant');
}

export function issueText(summary: HandoffSummary, language: Language): string {
  const text = summary.issue.summary?.trim() || (language === 'en' ? '(no description yet)' : '(nog geen omschrijving)');
  return summary.issue.category ? `[${summary.issue.category}] ${text}` : text;
}

/** Cuts at a word boundary where one is near, and says so with "…". */
export function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max * 0.6 ? cut.slice(0, space) : cut}…`;
}

export const LABELS = {
  nl: {
    handoff: 'Overdracht',
    customer: 'Klant',
    addresses: 'Adressen',
    notConfirmed: 'niet bevestigd',
    possiblePhone: 'mogelijk telefoonnummer',
    withheld: 'een afgeschermd nummer',
    unverified: (contact: { channel: string; from: string; at: string }) =>
      `Let op: het laatste contact (${contact.channel} van ${contact.from}, ${contact.at}) is niet geverifieerd. Het is niet bewezen dat het van de klant komt.`,
    channels: 'Kanalen',
    issue: 'Klacht',
    advice: 'Eerder advies',
    noAdvice: 'Nog geen advies gegeven.',
    promises: 'Beloofd',
    firstResponse: 'eerste reactie uiterlijk',
    resolution: 'opgelost uiterlijk',
    callback: 'terugbelafspraak',
    agentPromise: (text: string) => `toezegging "${text}" uiterlijk`,
    broken: (count: number) => (count === 1 ? '1 belofte niet gehouden' : `${count} beloftes niet gehouden`),
    noPromises: 'Geen open beloftes.',
    note: 'Notitie bij overdracht',
    from: 'van',
    more: (count: number) => `…en nog ${count}, zie dossier`,
    dossier: 'dossier',
    accept: 'Aannemen',
    addAdvice: 'Advies toevoegen',
    bookCallback: 'Terugbellen plannen',
    resolve: 'Afsluiten',
    unknown: 'onbekend',
  },
  en: {
    handoff: 'Handoff',
    customer: 'Customer',
    addresses: 'Addresses',
    notConfirmed: 'not confirmed',
    possiblePhone: 'possible phone number',
    withheld: 'a withheld number',
    unverified: (contact: { channel: string; from: string; at: string }) =>
      `Caution: the latest contact (${contact.channel} from ${contact.from}, ${contact.at}) is not verified. It is not proven to come from the customer.`,
    channels: 'Channels',
    issue: 'Complaint',
    advice: 'Prior advice',
    noAdvice: 'No advice given yet.',
    promises: 'Promised',
    firstResponse: 'first response by',
    resolution: 'resolved by',
    callback: 'callback',
    agentPromise: (text: string) => `promise "${text}" by`,
    broken: (count: number) => (count === 1 ? '1 promise broken' : `${count} promises broken`),
    noPromises: 'No open promises.',
    note: 'Transfer note',
    from: 'from',
    more: (count: number) => `…and ${count} more, see dossier`,
    dossier: 'dossier',
    accept: 'Accept',
    addAdvice: 'Add advice',
    bookCallback: 'Book callback',
    resolve: 'Resolve',
    unknown: 'unknown',
  },
} as const;

/**
 * The open promises in display form, by due time, e.g. "terugbelafspraak di 24 nov 14:30–14:45",
 * "eerste reactie uiterlijk di 24 nov 17:00", 'toezegging "nieuw pakket" uiterlijk vr 27 nov 17:00',
 * and how many were broken before. Plain text: a Slack rendering escapes it.
 */
export function promiseLines(summary: HandoffSummary, language: Language): string[] {
  const labels = LABELS[language];
  const { callback } = summary.promises;
  const lines = summary.promises.open.map((promise) => {
    if (promise.kind === 'callback' && callback) return `${labels.callback} ${shortTime(callback.start, language)}–${shortTime(callback.end, language).split(' ').pop()}`;
    const what = promise.kind === 'first-response' ? labels.firstResponse : promise.kind === 'resolution' ? labels.resolution : promise.kind === 'agent' ? labels.agentPromise(promise.text ?? '') : labels.callback;
    return `${what} ${shortTime(promise.due, language)}`;
  });
  if (summary.promises.broken > 0) lines.push(labels.broken(summary.promises.broken));
  return lines;
}

export function channelLines(summary: HandoffSummary, language: Language): string[] {
  return summary.channels.map((used) => {
    const first = shortTime(used.first, language);
    const last = shortTime(used.last, language);
    return `${channelName(used.channel, language)} (${used.contacts}×): ${first === last ? first : `${first} – ${last}`}`;
  });
}

/**
 * The customer's addresses, proven ones plain and claims saying what they are:
 * "+31612345678, els@example.nl, +31687654321 (niet bevestigd), +31611112222 (mogelijk telefoonnummer)".
 * A number found in a mail's text may be no phone of hers at all, hence its own word.
 */
export function addressList(summary: HandoffSummary, language: Language): string {
  const labels = LABELS[language];
  const claims = summary.addresses.claims.map(
    (claim) => `${claim.value} (${claim.kind === 'phone' && claim.via === 'email-text' ? labels.possiblePhone : labels.notConfirmed})`,
  );
  return [...summary.addresses.proven.map((address) => address.value), ...claims].join(', ') || labels.unknown;
}

/** The written warning when the latest contact is not verified (card, plain text); null when it is. */
export function unverifiedWarning(summary: HandoffSummary, language: Language): string | null {
  const contact = summary.unverified;
  if (!contact) return null;
  const labels = LABELS[language];
  return labels.unverified({ channel: channelName(contact.channel, language), from: contact.from ?? labels.withheld, at: shortTime(contact.at, language) });
}
