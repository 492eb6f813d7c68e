import type { HubConfig } from '../config/hub-config';
import type { BusinessCalendar } from '../core/calendar';
import { SlaClock } from '../core/sla';

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
 * Each team's agents with their working calendars: the agent's own hours, or the team's, minus
 * public holidays and closing days. Absences are the store's (see busyTimes in booking.ts).
 */
export class CallbackRoster {
  private readonly teams = new Map<string, RosterAgent[]>();
  /** The business calendars (agents with the same hours share one, and its cache of built days), and the promises' clock. */
  readonly sla: SlaClock;

  constructor(readonly config: HubConfig) {
    const sla = new SlaClock(config);
    this.sla = sla;
    for (const team of config.teams) {
      const agents = config.agents
        .filter((agent) => agent.team === team.id)
        .map((agent) => ({ agentId: agent.id, name: agent.name, calendar: sla.calendarFor(agent.hours ?? team.hours) }));
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
