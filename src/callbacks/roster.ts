import type { HubConfig, WeeklyHours } from '../config/hub-config';
import { BusinessCalendar } from '../core/calendar';

/**
 * Callback booking rules that are not (yet) in the configuration file; see README "Callbacks".
 * A customer can book from 30 minutes ahead (rounded up to the next slot boundary: at 10:07 with
 * 15-minute slots the first offer is 10:45) up to 14 days ahead.
 */
export const CALLBACK_RULES = { minNoticeMinutes: 30, horizonDays: 14 } as const;

export interface RosterAgent {
  agentId: string;
  name: string;
  calendar: BusinessCalendar;
}

/**
 * Each team's agents with their working calendars: the agent's own hours, or the team's.
 * Agents with the same hours share one calendar, so its cache of built days is shared too.
 */
export class CallbackRoster {
  private readonly teams = new Map<string, RosterAgent[]>();

  constructor(readonly config: HubConfig) {
    const calendars = new Map<string, BusinessCalendar>();
    const calendarFor = (hours: WeeklyHours): BusinessCalendar => {
      const key = JSON.stringify(hours);
      let calendar = calendars.get(key);
      if (!calendar) {
        calendar = new BusinessCalendar({ timezone: config.timezone, holidays: config.holidays, hours });
        calendars.set(key, calendar);
      }
      return calendar;
    };
    for (const team of config.teams) {
      const agents = config.agents
        .filter((agent) => agent.team === team.id)
        .map((agent) => ({ agentId: agent.id, name: agent.name, calendar: calendarFor(agent.hours ?? team.hours) }));
      this.teams.set(team.id, agents);
    }
  }

  get defaultTeam(): string {
    return this.config.defaultTeam ?? (this.config.teams[0] as { id: string }).id;
  }

  /** The team's agents; an unknown team (a thread routed to a team since removed from the config) has none. */
  agents(teamId: string): RosterAgent[] {
    return this.teams.get(teamId) ?? [];
  }
}

/** One roster per configuration object, shared by the HTTP routes (the configuration does not change while a hub runs). */
const rosters = new WeakMap<HubConfig, CallbackRoster>();
export function rosterFor(config: HubConfig): CallbackRoster {
  let roster = rosters.get(config);
  if (!roster) {
    roster = new CallbackRoster(config);
    rosters.set(config, roster);
  }
  return roster;
}
