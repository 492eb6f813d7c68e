import { DateTime } from 'luxon';
import type { Language } from './contact';

/** A promise a customer can hold us to: "donderdag 26 november 17:00", "Thursday 26 November 17:00". */
export function formatPromise(at: number, options: { timezone: string; language: Language }): string {
  return DateTime.fromMillis(at, { zone: options.timezone }).setLocale(options.language === 'en' ? 'en-GB' : 'nl-NL').toFormat('cccc d LLLL HH:mm');
}

export function toIso(at: number, timezone: string): string {
  return DateTime.fromMillis(at, { zone: timezone }).toISO({ suppressMilliseconds: true }) as string;
}
