import type { Channel } from '../core/contact';
import type { DbOrTrx } from '../core/db';

/** One line of the dossier's timeline: a contact, advice, a callback or a thing that happened. */
export interface TimelineEntry {
  at: number;
  channel: Channel | null;
  label: string;
  /** Untrusted text (what the customer wrote or said), rendered escaped. */
  text: string | null;
  details: { name: string; value: string }[];
  delivery: string | null;
  attachments: { filename: string; size: string; kept: boolean }[];
  direction: 'inbound' | 'outbound' | 'event';
}

const CHANNEL_WORD: Record<Channel, string> = { voice: 'Telefoon', sms: 'SMS', email: 'E-mail', chat: 'Chat' };

const EVENT_WORD: Record<string, string> = {
  'thread-opened': 'Klacht geopend',
  'thread-linked': 'Gekoppeld aan andere klacht',
  'reference-mistyped': 'Klachtnummer verkeerd getypt',
  'reference-unknown': 'Onbekend klachtnummer genoemd',
  'identity-learned': 'Nieuw adres van de klant',
  'identity-conflict': 'Adres hoort bij een andere klant',
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
};

/** Everything on the thread, oldest first, in the words an agent reads. */
export async function dossierTimeline(db: DbOrTrx, args: { threadId: number }): Promise<TimelineEntry[]> {
  const contacts: { id: number; channel: Channel; direction: 'inbound' | 'outbound'; at: number; body: string; delivery_status: string | null; delivery_error_code: string | null }[] = await db('contacts')
    .where({ thread_id: args.threadId })
    .select('id', 'channel', 'direction', 'at', 'body', 'delivery_status', 'delivery_error_code');
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
      label: `${CHANNEL_WORD[contact.channel]} ${contact.direction === 'inbound' ? 'van de klant' : 'aan de klant'}`,
      text: contact.body,
      details: [],
      delivery: contact.delivery_status ? `${contact.delivery_status}${contact.delivery_error_code ? ` (${contact.delivery_error_code})` : ''}` : null,
      attachments: attachments
        .filter((attachment) => attachment.contact_id === contact.id)
        .map((attachment) => ({ filename: attachment.filename, size: size(Number(attachment.size)), kept: Boolean(attachment.kept) })),
      direction: contact.direction,
    })),
    ...advice.map((entry) => ({ at: Number(entry.at), channel: null, label: `Advies van ${entry.agent}`, text: entry.text, details: [], delivery: null, attachments: [], direction: 'event' as const })),
    ...events.map((event) => ({
      at: Number(event.at),
      channel: null,
      label: EVENT_WORD[event.kind] ?? event.kind,
      text: null,
      details: details(event.data),
      delivery: null,
      attachments: [],
      direction: 'event' as const,
    })),
  ];
  return entries.sort((a, b) => a.at - b.at);
}

/** Event data as name/value pairs: shown as text, whatever it holds. */
function details(data: string | null): { name: string; value: string }[] {
  if (!data) return [];
  const parsed = JSON.parse(data) as Record<string, unknown>;
  return Object.entries(parsed)
    .filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([name, value]) => ({ name, value: typeof value === 'string' ? value : JSON.stringify(value) }));
}

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}
