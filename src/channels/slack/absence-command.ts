import { DateTime } from 'luxon';
import { currentAbsences, endAbsence } from '../../absence/absences';
import { declareAbsence } from '../../absence/declare';
import type { AgentConfig } from '../../config/hub-config';
import type { HubContext } from '../../context';
import type { Language } from '../../core/contact';
import { DomainError } from '../../core/errors';

const WORDS = {
  nl: {
    usage: 'Gebruik: `/afwezig 2026-12-21 2027-01-04` (van en tot en met), `/afwezig 2026-12-21` (één dag), `/afwezig stop` (weer aanwezig), `/afwezig` (wat staat er).',
    set: (from: string, to: string) => `Afwezig van ${from} tot en met ${to} vastgelegd. Je klachten en je terugbelafspraken in die tijd gaan bij het begin naar een aanwezige collega; je krijgt geen terugbeltijden en geen nieuwe klachten.`,
    ended: 'Welkom terug: je bent weer aanwezig.',
    nothingToEnd: 'Er stond geen afwezigheid.',
    none: 'Je staat niet als afwezig.',
    listed: (spans: string[]) => `Je bent afwezig: ${spans.join('; ')}.`,
    to: 't/m',
  },
  en: {
    usage: 'Usage: `/afwezig 2026-12-21 2027-01-04` (from and until, inclusive), `/afwezig 2026-12-21` (one day), `/afwezig stop` (back again), `/afwezig` (what is set).',
    set: (from: string, to: string) => `Absent from ${from} until ${to} inclusive. Your complaints and your callbacks in that time go to a present colleague when it begins; you get no callback times and no new complaints.`,
    ended: 'Welcome back: you are present again.',
    nothingToEnd: 'No absence was set.',
    none: 'You are not set as absent.',
    listed: (spans: string[]) => `You are absent: ${spans.join('; ')}.`,
    to: 'until',
  },
} as const;

const BACK = new Set(['stop', 'einde', 'terug', 'end', 'back']);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `/afwezig` for the agent who types it: set an absence ("2026-12-21 2027-01-04", or one day),
 * end it ("stop"), or say what is set (nothing). Answered privately, in the agent's language.
 */
export async function absenceCommand(ctx: HubContext, args: { agent: AgentConfig; text: string }): Promise<string> {
  const language: Language = args.agent.language;
  const words = WORDS[language];
  const { timezone } = ctx.config;
  const now = ctx.clock();
  const day = (date: string) => DateTime.fromISO(date).setLocale(language === 'en' ? 'en-GB' : 'nl-NL').toFormat('cccc d LLLL yyyy');
  const parts = args.text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (parts.length === 0) {
    const absences = await currentAbsences(ctx.db, { agentId: args.agent.id, now, timezone });
    return absences.length === 0 ? `${words.none} ${words.usage}` : words.listed(absences.map((absence) => `${day(absence.from)} ${words.to} ${day(absence.to)}`));
  }
  if (parts.length === 1 && BACK.has(parts[0] as string)) {
    return (await endAbsence(ctx.db, { agentId: args.agent.id, now, timezone })) > 0 ? words.ended : words.nothingToEnd;
  }
  const [from, to = from] = parts as [string, string | undefined];
  if (parts.length > 2 || !DATE.test(from) || !DATE.test(to) || !DateTime.fromISO(from).isValid || !DateTime.fromISO(to).isValid) return words.usage;
  try {
    const absence = await declareAbsence(ctx.db, { agentId: args.agent.id, from, to, by: args.agent.id, now, timezone });
    return words.set(day(absence.from), day(absence.to));
  } catch (error) {
    if (error instanceof DomainError) return `${error.message}. ${words.usage}`;
    throw error;
  }
}
