import type { Language } from '../core/contact';
import type { PromiseKind, PromiseState } from './records';

/** What a promise is called, for agents and managers (Slack, console). */
export const PROMISE_KIND_WORDS: Record<Language, Record<PromiseKind, string>> = {
  nl: { acknowledgement: 'ontvangstbevestiging', 'first-response': 'eerste reactie', resolution: 'oplossing', callback: 'terugbelafspraak', agent: 'toezegging' },
  en: { acknowledgement: 'acknowledgement', 'first-response': 'first response', resolution: 'resolution', callback: 'callback', agent: 'promise' },
};

export const PROMISE_STATE_WORDS: Record<Language, Record<PromiseState, string>> = {
  nl: { open: 'open', kept: 'gehouden', broken: 'niet gehouden', cancelled: 'vervallen' },
  en: { open: 'open', kept: 'kept', broken: 'broken', cancelled: 'cancelled' },
};

/** "eerste reactie", or an agent's own in their words: 'toezegging "nieuw pakket"'. */
export function promiseName(promise: { kind: PromiseKind; text?: string | null }, language: Language): string {
  const word = PROMISE_KIND_WORDS[language][promise.kind];
  return promise.kind === 'agent' && promise.text ? `${word} "${promise.text}"` : word;
}
