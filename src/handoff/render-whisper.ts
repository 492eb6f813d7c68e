import type { Language } from '../core/contact';
import { addressAs, shorten } from './render-common';
import type { HandoffSummary } from './summary';

/** A whisper is heard before the call connects: a few seconds, so the issue and advice are cut short. */
const ISSUE_CHARS = 160;
const ADVICE_CHARS = 100;
const ADVICE_ENTRIES = 3;

/**
 * What the agent hears before a transferred call connects, in the agent's language, e.g.
 * "Klacht KL-12345674 van Els Jansen over: mijn mobiele telefoon doet het niet. Eerder advies: toestel herstarten."
 * Plain text: the voice channel escapes it for TwiML. Only the newest advice is spoken; the card has it all.
 */
export function whisperText(summary: HandoffSummary, language: Language): string {
  const issue = summary.issue.summary?.trim() ? shorten(summary.issue.summary, ISSUE_CHARS).replace(/[.!?…]+$/, '') : null;
  const advice = summary.priorAdvice.slice(-ADVICE_ENTRIES).map((entry) => shorten(entry.text, ADVICE_CHARS).replace(/[.!?…]+$/, ''));
  if (language === 'en') {
    return [
      `Complaint ${summary.reference} from ${addressAs(summary, 'en')}${issue ? ` about: ${issue}.` : '.'}`,
      advice.length > 0 ? `Prior advice: ${advice.join('; ')}.` : 'No prior advice.',
      summary.note ? `Note: ${shorten(summary.note, ADVICE_CHARS).replace(/[.!?…]+$/, '')}.` : '',
    ]
      .filter(Boolean)
      .join(' ');
  }
  return [
    `Klacht ${summary.reference} van ${addressAs(summary, 'nl')}${issue ? ` over: ${issue}.` : '.'}`,
    advice.length > 0 ? `Eerder advies: ${advice.join('; ')}.` : 'Nog geen eerder advies.',
    summary.note ? `Notitie: ${shorten(summary.note, ADVICE_CHARS).replace(/[.!?…]+$/, '')}.` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

