import type { Language } from '../core/contact';
import { addressAs, channelName, shorten } from './render-common';
import type { HandoffSummary } from './summary';

/** A whisper is heard before the call connects: a few seconds, so the issue and advice are cut short. */
const ISSUE_CHARS = 160;
const ADVICE_CHARS = 100;
const ADVICE_ENTRIES = 3;

/**
 * What the agent hears before a transferred call connects, in the agent's language, e.g.
 * "Klacht KL-12345674 van Els Jansen over: mijn mobiele telefoon doet het niet. Eerder advies: toestel herstarten."
 * Plain text: the voice channel escapes it for TwiML. Only the newest advice is spoken; the card has it all.
 * An unverified latest contact is said first, so the agent does not take the caller for the
 * customer the rest names.
 */
export function whisperText(summary: HandoffSummary, language: Language): string {
  const issue = summary.issue.summary?.trim() ? shorten(summary.issue.summary, ISSUE_CHARS).replace(/[.!?…]+$/, '') : null;
  const advice = summary.priorAdvice.slice(-ADVICE_ENTRIES).map((entry) => shorten(entry.text, ADVICE_CHARS).replace(/[.!?…]+$/, ''));
  const warning = spokenWarning(summary, language);
  if (language === 'en') {
    return [
      warning,
      `Complaint ${summary.reference} from ${addressAs(summary, 'en')}${issue ? ` about: ${issue}.` : '.'}`,
      advice.length > 0 ? `Prior advice: ${advice.join('; ')}.` : 'No prior advice.',
      summary.note ? `Note: ${shorten(summary.note, ADVICE_CHARS).replace(/[.!?…]+$/, '')}.` : '',
    ]
      .filter(Boolean)
      .join(' ');
  }
  return [
    warning,
    `Klacht ${summary.reference} van ${addressAs(summary, 'nl')}${issue ? ` over: ${issue}.` : '.'}`,
    advice.length > 0 ? `Eerder advies: ${advice.join('; ')}.` : 'Nog geen eerder advies.',
    summary.note ? `Notitie: ${shorten(summary.note, ADVICE_CHARS).replace(/[.!?…]+$/, '')}.` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * Short enough to hear: no number read out. "The latest call" is the call being transferred, and
 * still true when the whisper precedes a callback the agent places to her own proven number.
 */
function spokenWarning(summary: HandoffSummary, language: Language): string {
  const contact = summary.unverified;
  if (!contact) return '';
  const en = language === 'en';
  if (contact.channel === 'voice') return en ? 'Caution: the latest call came from a number that is not verified.' : 'Let op: het laatste gesprek kwam van een niet geverifieerd nummer.';
  const channel = channelName(contact.channel, language);
  return en ? `Caution: the latest message, by ${channel}, did not come from a verified address.` : `Let op: het laatste bericht, per ${channel}, kwam niet van een geverifieerd adres.`;
}
