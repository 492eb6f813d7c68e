import type { Language } from '../core/contact';
import { toIso } from '../core/format-time';
import { escapeMrkdwn } from '../handoff/render-slack';
import { shortTime } from '../handoff/render-common';
import type { PromiseRecord } from '../promises/records';
import { promiseName } from '../promises/words';

/** "2 u 15 min" / "2 h 15 min". */
export function duration(ms: number, language: Language): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  const hours = language === 'en' ? 'h' : 'u';
  if (minutes >= 1440) return `${Math.floor(minutes / 1440)} d ${Math.floor((minutes % 1440) / 60)} ${hours}`;
  return minutes >= 60 ? `${Math.floor(minutes / 60)} ${hours} ${minutes % 60} min` : `${minutes} min`;
}

const WORDS = {
  nl: {
    warning: (args: { name: string; customer: string; reference: string; due: string; left: string }) =>
      `Belofte loopt af: ${args.name} aan ${args.customer} (${args.reference}), uiterlijk ${args.due}: nog ${args.left} servicetijd.`,
    broken: (args: { name: string; customer: string; reference: string; due: string; next: string | null }) =>
      `Belofte niet gehouden: ${args.name} aan ${args.customer} (${args.reference}) was beloofd uiterlijk ${args.due}.${args.next ? ` Nieuwe tijd: ${args.next}.` : ''}`,
    unknownCustomer: 'een onbekende klant',
  },
  en: {
    warning: (args: { name: string; customer: string; reference: string; due: string; left: string }) =>
      `Promise running out: ${args.name} to ${args.customer} (${args.reference}), due ${args.due}: ${args.left} of service time left.`,
    broken: (args: { name: string; customer: string; reference: string; due: string; next: string | null }) =>
      `Promise broken: ${args.name} to ${args.customer} (${args.reference}) was due ${args.due}.${args.next ? ` New time: ${args.next}.` : ''}`,
    unknownCustomer: 'an unknown customer',
  },
} as const;

/**
 * One line on a promise for an agent, a lead or a manager, as Slack mrkdwn (the customer's name
 * escaped): a warning while the first promise of its chain is still open and not yet due, else
 * that it was broken and, when there is one, the new time.
 */
export function escalationLine(args: {
  promise: PromiseRecord;
  /** The newest promise of its chain: itself, or the one that replaced it. */
  latest: PromiseRecord;
  reference: string;
  customer: string | null;
  language: Language;
  timezone: string;
  now: number;
  /** Service time from now to the due time (the team's calendar): what the owner still has to work with. */
  serviceLeft: number;
}): string {
  const { promise, latest, language } = args;
  const words = WORDS[language];
  const when = (at: number) => shortTime(toIso(at, args.timezone), language);
  const common = { name: escapeMrkdwn(promiseName(promise, language)), customer: escapeMrkdwn(args.customer ?? words.unknownCustomer), reference: args.reference, due: when(promise.due) };
  if (latest.id === promise.id && promise.state === 'open' && args.now < promise.due) return words.warning({ ...common, left: duration(args.serviceLeft, language) });
  return words.broken({ ...common, next: latest.id !== promise.id && latest.state === 'open' ? when(latest.due) : null });
}

/** The same line for the outbox, which shows plain text: no bold marks, entities as the characters they stand for. */
export function mrkdwnToPlain(text: string): string {
  return text.replace(/\*/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
