import type { Channel } from '../core/contact';
import type { DbOrTrx } from '../core/db';
import { eventData } from '../core/timeline';
import { kindTitle, kindWord, proofWords, viaWord, type AddressWords } from './address-words';

/** One line of the dossier's timeline: a contact, advice, a callback or a thing that happened. */
export interface TimelineEntry {
  at: number;
  channel: Channel | null;
  label: string;
  /** Untrusted text (what the customer wrote or said), rendered escaped. */
  text: string | null;
  /** An inbound contact's sender: `verified` false when the hub has no proof it was the thread's customer. */
  sender: { from: string | null; verified: boolean } | null;
  details: Detail[];
  delivery: string | null;
  attachments: { filename: string; size: string; kept: boolean }[];
  direction: 'inbound' | 'outbound' | 'event';
}

interface Detail {
  name: string;
  value: string;
}

const CHANNEL_WORD: Record<Channel, string> = { voice: 'Telefoon', sms: 'SMS', email: 'E-mail', chat: 'Chat' };

const EVENT_WORD: Record<string, string> = {
  'thread-opened': 'Klacht geopend',
  'thread-linked': 'Gekoppeld aan andere klacht',
  'reference-mistyped': 'Klachtnummer verkeerd getypt',
  'reference-unknown': 'Onbekend klachtnummer genoemd',
  'identity-learned': 'Nieuw adres van de klant',
  'identity-conflict': 'Adres hoort bij een andere klant',
  'identity-proven': 'Adres van de klant bewezen',
  'identity-claimed': 'Mogelijk adres van de klant',
  'identity-rejected': 'Mogelijk adres afgewezen',
  'chat-verified': 'Chat bevestigd met code',
  acknowledged: 'Ontvangstbevestiging verstuurd',
  'acknowledgement-not-sent': 'Geen ontvangstbevestiging mogelijk',
  'acknowledgement-withheld': 'Geen ontvangstbevestiging (automatische mail)',
  'attachment-refused': 'Bijlage te groot',
  'customer-merged': 'Klanten samengevoegd',
  'customer-merge-undone': 'Samenvoeging ongedaan gemaakt',
  resolved: 'Afgehandeld',
  'satisfaction-rated': 'Tevredenheid beoordeeld',
  'sms-opted-out': 'SMS afgemeld (STOP)',
  'sms-opted-in': 'SMS weer aangemeld',
  'sms-suppressed': 'SMS niet verstuurd (afgemeld)',
  'delivery-failed': 'Bericht niet afgeleverd',
  'send-delayed': 'Versturen mislukt, wordt opnieuw geprobeerd',
  'send-late': 'Nog niet verstuurd en te laat: teamleider gemeld',
  'send-failed': 'Niet verstuurd',
  'callback-requested': 'Terugbelverzoek',
  'callback-booked': 'Terugbelafspraak gemaakt',
  'callback-offered': 'Terugbeltijden aangeboden',
  'callback-cancelled': 'Terugbelafspraak geannuleerd',
  'callback-confirmed': 'Terugbelafspraak bevestigd',
  'callback-reminded': 'Herinnering terugbelafspraak',
  'callback-started': 'Terugbellen gestart',
  'callback-due': 'Terugbellen is aan de beurt',
  'callback-retry': 'Klant nam niet op, nieuwe poging',
  'callback-reassigned': 'Terugbellen overgedragen',
  'callback-completed': 'Teruggebeld',
  'callback-missed': 'Terugbellen mislukt',
  'call-transferred': 'Gesprek doorverbonden',
  'call-ended': 'Gesprek beëindigd',
  transferred: 'Overgedragen',
  'handoff-accepted': 'Overdracht aangenomen',
  'sla-escalated': 'Belofte niet gehaald, gemeld aan managers',
  'promise-made': 'Belofte gedaan',
  'promise-kept': 'Belofte nagekomen',
  'promise-broken': 'Belofte niet gehaald, nieuwe tijd',
  'promise-late-told': 'Klant gemeld: later dan beloofd, met de nieuwe tijd',
  'promise-escalated': 'Belofte gemeld',
  'callback-cancel-told': 'Klant gemeld: terugbelafspraak gaat niet door',
  'category-set': 'Categorie en prioriteit ingesteld',
  'absence-reassigned': 'Overgenomen wegens afwezigheid',
  'stuck-raised': 'Blijft liggen: gemeld',
};

/** Mail no person wrote, in words (see src/channels/email/auto-mail.ts for the kinds). */
const AUTOMATIC_WORD: Record<string, string> = {
  'auto-reply': 'afwezigheidsmelding of automatisch antwoord',
  'read-receipt': 'leesbevestiging',
  'feedback-report': 'spam- of misbruikmelding van een mailprovider',
  report: 'automatisch rapport',
  'auto-generated': 'automatisch bericht',
  'mailing-list': 'mailinglijst',
  bulk: 'massamail',
  'no-reply': 'afzender neemt geen antwoord aan',
  'null-sender': 'bericht van een mailserver',
};

/** Events about an address, in words: the raw fields (`proof: agent`, `via: email-text`) mean little to an agent. */
const ADDRESS_EVENT_DETAILS = new Map<string, (data: Record<string, unknown>, words: AddressWords) => Detail[]>([
  ['identity-proven', (data, words) => [address(data), { name: 'Bewijs', value: proofWords({ proof: text(data.proof), by: typeof data.agent === 'string' ? data.agent : null }, words) }]],
  ['identity-claimed', (data) => [{ name: `Mogelijk ${kindWord(text(data.kind))}`, value: text(data.value) }, { name: 'Herkomst', value: viaWord(text(data.via)) }]],
  ['identity-rejected', (data, words) => [address(data), { name: 'Afgewezen door', value: words.agentName(text(data.agent)) }]],
  ['acknowledgement-withheld', (data) => [{ name: 'Soort', value: AUTOMATIC_WORD[text(data.reason)] ?? text(data.reason) }, ...(data.signal ? [{ name: 'Herkend aan', value: text(data.signal) }] : [])]],
  ['chat-verified', (data) => [address(data), { name: 'Verder op klacht', value: text(data.reference) }, ...(data.from ? [{ name: 'Kwam van klacht', value: text(data.from) }] : [])]],
]);

/** What a send to a provider was for, and why it failed (src/outbound/): the raw fields mean little to an agent. */
const SEND_WHAT: Record<string, string> = { acknowledgement: 'Ontvangstbevestiging', reply: 'Antwoord', callback: 'Bericht over terugbellen', satisfaction: 'Tevredenheidsvraag', 'callback-call': 'Terugbelgesprek' };
const SEND_EVENT = (data: Record<string, unknown>): Detail[] => [
  { name: 'Wat', value: SEND_WHAT[text(data.purpose)] ?? text(data.purpose) },
  { name: 'Aan', value: `${CHANNEL_WORD[text(data.channel) as Channel] ?? text(data.channel)} ${text(data.to)}` },
  { name: 'Reden', value: text(data.error) },
  { name: 'Pogingen', value: String(data.attempts ?? '') },
  ...(data.reason === 'refused' ? [{ name: 'Opnieuw proberen', value: 'heeft geen zin: geweigerd' }] : []),
];
const SEND_EVENT_DETAILS = new Map<string, (data: Record<string, unknown>) => Detail[]>([
  ['send-delayed', SEND_EVENT],
  ['send-late', SEND_EVENT],
  ['send-failed', SEND_EVENT],
]);

/** Everything on the thread, oldest first, in the words an agent reads. */
export async function dossierTimeline(db: DbOrTrx, args: { threadId: number; words: AddressWords }): Promise<TimelineEntry[]> {
  const contacts: { id: number; channel: Channel; direction: 'inbound' | 'outbound'; at: number; body: string; verified: boolean | number; from_kind: string | null; from_value: string | null; automatic: string | null; delivery_status: string | null; delivery_error_code: string | null }[] = await db('contacts')
    .where({ thread_id: args.threadId })
    .select('id', 'channel', 'direction', 'at', 'body', 'verified', 'from_kind', 'from_value', 'automatic', 'delivery_status', 'delivery_error_code');
  const attachments: { contact_id: number; filename: string; size: number; kept: boolean | number }[] = await db('attachments')
    .whereIn('contact_id', contacts.map((contact) => contact.id))
    .orderBy('id')
    .select('contact_id', 'filename', 'size', db.raw('content is not null as kept'));
  const events: { kind: string; at: number; data: string | null }[] = await db('timeline_events').where({ thread_id: args.threadId }).select('kind', 'at', 'data');
  const advice: { agent: string; text: string; at: number }[] = await db('advice').where({ thread_id: args.threadId }).select('agent', 'text', 'at');

  const entries: TimelineEntry[] = [
    ...contacts.map((contact) => ({
      at: Number(contact.at),
      channel: contact.channel,
      // An out-of-office is a note about the customer, not her words.
      label: contact.automatic
        ? `${CHANNEL_WORD[contact.channel]}, automatisch: ${AUTOMATIC_WORD[contact.automatic] ?? contact.automatic}`
        : `${CHANNEL_WORD[contact.channel]} ${contact.direction === 'inbound' ? 'van de klant' : 'aan de klant'}`,
      text: contact.body,
      // A chat's address is its session id: no help to an agent, so a chat contact names no sender.
      sender: contact.direction === 'inbound' ? { from: contact.from_kind === 'chat' ? null : contact.from_value, verified: Boolean(contact.verified) } : null,
      details: [],
      delivery: contact.delivery_status ? `${contact.delivery_status}${contact.delivery_error_code ? ` (${contact.delivery_error_code})` : ''}` : null,
      attachments: attachments
        .filter((attachment) => attachment.contact_id === contact.id)
        .map((attachment) => ({ filename: attachment.filename, size: fileSize(Number(attachment.size)), kept: Boolean(attachment.kept) })),
      direction: contact.direction,
    })),
    ...advice.map((entry) => ({ at: Number(entry.at), channel: null, label: `Advies van ${entry.agent}`, text: entry.text, sender: null, details: [], delivery: null, attachments: [], direction: 'event' as const })),
    ...events.map((event) => ({
      at: Number(event.at),
      channel: null,
      label: EVENT_WORD[event.kind] ?? event.kind,
      text: null,
      sender: null,
      details: ADDRESS_EVENT_DETAILS.get(event.kind)?.(eventData(event.data), args.words) ?? SEND_EVENT_DETAILS.get(event.kind)?.(eventData(event.data)) ?? details(event.data),
      delivery: null,
      attachments: [],
      direction: 'event' as const,
    })),
  ];
  return entries.sort((a, b) => a.at - b.at);
}

/** Event data as name/value pairs: shown as text, whatever it holds. */
function details(data: string | null): Detail[] {
  return Object.entries(eventData(data))
    .filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([name, value]) => ({ name, value: typeof value === 'string' ? value : JSON.stringify(value) }));
}

function address(data: Record<string, unknown>): Detail {
  return { name: kindTitle(text(data.kind)), value: text(data.value) };
}

/** A field of stored event data that should be text; anything else shows as nothing rather than as JSON. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** "1.5 MB", "12 KB": sizes as an agent reads them. */
export function fileSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}
