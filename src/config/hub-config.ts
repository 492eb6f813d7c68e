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

const teamSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  slackChannel: z.string().min(1).optional(),
  hours: weeklyHours,
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
});

export const hubConfigSchema = z
  .strictObject({
    timezone: z.string().default('Europe/Amsterdam'),
    /** ISO country whose public holidays close the business, or false for none. */
    holidays: z.union([z.string().min(2), z.literal(false)]).default('NL'),
    slotMinutes: z.number().int().min(5).max(240).default(15),
    /** Team that owns new threads until someone routes them elsewhere. */
    defaultTeam: z.string().min(1).optional(),
    sla: z
      .strictObject({
        acknowledgeSeconds: z.number().int().positive().default(60),
        firstResponseHours: z.number().positive().default(8),
        resolutionHours: z.number().positive().default(24),
      })
      .prefault({}),
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
