import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isKnownHolidayCountry } from '../core/calendar';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** "09:00-17:00": a range within one day, start before end. */
const timeRange = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, { message: 'expected "HH:MM-HH:MM", e.g. "09:00-17:00"', abort: true })
  .refine((range) => {
    const [start, end] = range.split('-') as [string, string];
    return start < end;
  }, 'the range must end after it starts');

const weeklyHours = z.strictObject(
  Object.fromEntries(WEEKDAYS.map((day) => [day, z.array(timeRange).optional()])) as Record<
    Weekday,
    z.ZodOptional<z.ZodArray<typeof timeRange>>
  >,
);
export type WeeklyHours = z.infer<typeof weeklyHours>;

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'expected an E.164 phone number such as "+31201234567"');

/** "2026-12-31": a calendar date that exists. */
const isoDate = z.iso.date({ message: 'expected a date "YYYY-MM-DD", e.g. "2026-12-31"' });

const dateRange = z
  .strictObject({ from: isoDate, to: isoDate })
  .refine((range) => range.from <= range.to, { message: '"to" must not be before "from"', path: ['to'] });

export const PRIORITIES = ['normal', 'high'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** The SLA's numbers; each level of `sla` may set any of them (see SlaTargets in core/sla.ts for how they combine). */
const slaTargets = {
  acknowledgeSeconds: z.number().int().positive().optional(),
  firstResponseHours: z.number().positive().optional(),
  resolutionHours: z.number().positive().optional(),
  /** A broken promise's new time: this many service hours after it broke. */
  newTimeHours: z.number().positive().optional(),
};
const slaOverride = z.strictObject(slaTargets);
/** The hub-wide `sla` and a team's `sla`: targets, and targets per category and per priority. */
const slaLevel = z.strictObject({
  ...slaTargets,
  byCategory: z.record(z.string(), slaOverride).optional(),
  byPriority: z.partialRecord(z.enum(PRIORITIES), slaOverride).optional(),
});
export type SlaLevel = z.infer<typeof slaLevel>;

const categorySchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  /** Words that put a new thread in this category when its first message contains one ("pakket" matches "pakketje"), case-insensitive. */
  keywords: z.array(z.string().trim().min(2)).default([]),
});

/**
 * "75%": that share of the promise's time (counted in service hours) has passed; "+4h" or
 * "+30m": that many service hours or minutes after the due time.
 */
const escalationStep = z.strictObject({
  at: z.string().regex(/^(\d+(\.\d+)?%|\+\d+(\.\d+)?[hm])$/, 'expected a share such as "75%" or a time after the due time such as "+4h" or "+30m"'),
  notify: z.enum(['owner', 'lead', 'managers']),
});
export type EscalationStep = z.infer<typeof escalationStep>;

const teamSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  slackChannel: z.string().min(1).optional(),
  hours: weeklyHours,
  /** This team's own targets; what it leaves out comes from the hub-wide `sla`. */
  sla: slaLevel.optional(),
});

const agentSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  team: z.string().min(1),
  role: z.enum(['agent', 'lead']).default('agent'),
  language: z.enum(['nl', 'en']).default('nl'),
  phone: e164.optional(),
  email: z.email().optional(),
  slackUserId: z.string().min(1).optional(),
  hours: weeklyHours.optional(),
  /** Known absences (holidays, leave), whole days in the business time zone, both ends included. */
  absent: z.array(dateRange).default([]),
});

export const hubConfigSchema = z
  .strictObject({
    timezone: z.string().default('Europe/Amsterdam'),
    /** ISO country whose public holidays close the business, or false for none. */
    holidays: z.union([z.string().min(2), z.literal(false)]).default('NL'),
    slotMinutes: z.number().int().min(5).max(240).default(15),
    /** Team that owns new threads until someone routes them elsewhere. */
    defaultTeam: z.string().min(1).optional(),
    /** Dates the whole company is closed besides the public holidays ("2026-12-31"). */
    closedDays: z.array(isoDate).default([]),
    categories: z.array(categorySchema).default([]),
    sla: slaLevel
      .extend({
        acknowledgeSeconds: z.number().int().positive().default(60),
        firstResponseHours: z.number().positive().default(8),
        resolutionHours: z.number().positive().default(24),
        newTimeHours: z.number().positive().default(4),
      })
      .prefault({}),
    /** Who hears about a promise, and when: before it breaks, and after. Without it, the managers are told when one breaks. */
    escalation: z.array(escalationStep).default([{ at: '100%', notify: 'managers' }]),
    /** Work nobody picks up: a handoff card not accepted within `acceptMinutes`, a thread without agent action for `idleHours` (service time). */
    stuck: z.strictObject({ acceptMinutes: z.number().int().positive().optional(), idleHours: z.number().positive().optional() }).default({}),
    teams: z.array(teamSchema).min(1),
    agents: z.array(agentSchema).default([]),
  })
  .superRefine((config, ctx) => {
    const teamIds = new Set(config.teams.map((team) => team.id));
    config.agents.forEach((agent, index) => {
      if (!teamIds.has(agent.team)) {
        ctx.addIssue({ code: 'custom', path: ['agents', index, 'team'], message: `unknown team "${agent.team}"` });
      }
    });
    if (config.defaultTeam && !teamIds.has(config.defaultTeam)) {
      ctx.addIssue({ code: 'custom', path: ['defaultTeam'], message: `unknown team "${config.defaultTeam}"` });
    }
    for (const [list, key] of [
      [config.teams, 'teams'],
      [config.agents, 'agents'],
    ] as const) {
      const seen = new Set<string>();
      list.forEach((item, index) => {
        if (seen.has(item.id)) ctx.addIssue({ code: 'custom', path: [key, index, 'id'], message: `duplicate id "${item.id}"` });
        seen.add(item.id);
      });
    }
    config.teams.forEach((team, index) => {
      // A team that is never open would make every SLA due time unreachable.
      if (!Object.values(team.hours).some((ranges) => ranges && ranges.length > 0)) {
        ctx.addIssue({ code: 'custom', path: ['teams', index, 'hours'], message: 'the team has no opening hours on any day' });
      }
    });
    const categoryIds = new Set(config.categories.map((category) => category.id));
    const checkCategories = (level: SlaLevel | undefined, path: (string | number)[]) => {
      for (const id of Object.keys(level?.byCategory ?? {})) {
        if (!categoryIds.has(id)) ctx.addIssue({ code: 'custom', path: [...path, 'byCategory', id], message: `unknown category "${id}"` });
      }
    };
    checkCategories(config.sla, ['sla']);
    config.teams.forEach((team, index) => checkCategories(team.sla, ['teams', index, 'sla']));
    const seenCategories = new Set<string>();
    config.categories.forEach((category, index) => {
      if (seenCategories.has(category.id)) ctx.addIssue({ code: 'custom', path: ['categories', index, 'id'], message: `duplicate id "${category.id}"` });
      seenCategories.add(category.id);
    });
    if (config.holidays !== false && !isKnownHolidayCountry(config.holidays)) {
      ctx.addIssue({ code: 'custom', path: ['holidays'], message: `unknown holiday country "${config.holidays}"` });
    }
    if (!isKnownTimeZone(config.timezone)) {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: `unknown time zone "${config.timezone}"` });
    }
  });

export type HubConfig = z.infer<typeof hubConfigSchema>;
export type TeamConfig = HubConfig['teams'][number];
export type AgentConfig = HubConfig['agents'][number];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Parses and validates a configuration; the error names the file and the key path of each problem. */
export function parseHubConfig(raw: unknown, source: string): HubConfig {
  const result = hubConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
    return keys.map((path) => `  ${formatPath(path)}: ${issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message}`).join('\n');
  });
  throw new ConfigError(`invalid configuration in ${source}:\n${problems.join('\n')}`);
}

export function loadHubConfig(path: string): HubConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read configuration file ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`configuration file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseHubConfig(raw, path);
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('');
}
