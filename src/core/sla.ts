import type { HubConfig, Priority, SlaLevel, WeeklyHours } from '../config/hub-config';
import { BusinessCalendar } from './calendar';

/** The numbers one thread is held to, after team, category and priority have had their say. */
export interface SlaTargets {
  /** Wall-clock seconds: the acknowledgement is automatic and goes out outside opening hours too. */
  acknowledgeSeconds: number;
  firstResponseHours: number;
  resolutionHours: number;
  /** A broken promise's new time: this many service hours after it broke. */
  newTimeHours: number;
}

type TargetName = keyof SlaTargets;
const TARGET_NAMES: readonly TargetName[] = ['acknowledgeSeconds', 'firstResponseHours', 'resolutionHours', 'newTimeHours'];

/** What decides a thread's targets. */
export interface SlaSubject {
  teamId: string;
  category: string | null;
  priority: Priority;
}

export interface ThreadDueTimes {
  acknowledgeDue: number;
  firstResponseDue: number;
  resolutionDue: number;
}

/**
 * SLA targets turned into concrete instants on the business calendars. Service time is the
 * team's opening hours minus public holidays and the configured closing days; an agent's own
 * `hours` make their calendar (for what is delivered to them).
 */
export class SlaClock {
  private readonly byHours = new Map<string, BusinessCalendar>();

  constructor(readonly config: HubConfig) {}

  get defaultTeam(): string {
    return this.config.defaultTeam ?? (this.config.teams[0] as { id: string }).id;
  }

  /** The team's service calendar; a team since removed from the configuration counts as the default team. */
  calendar(teamId: string): BusinessCalendar {
    const team = this.config.teams.find((candidate) => candidate.id === teamId) ?? this.config.teams.find((candidate) => candidate.id === this.defaultTeam);
    if (!team) throw new Error(`unknown team ${teamId}`);
    return this.calendarFor(team.hours);
  }

  /** When an agent works: their own hours, or their team's. */
  agentCalendar(agentId: string): BusinessCalendar | undefined {
    const agent = this.config.agents.find((candidate) => candidate.id === agentId);
    if (!agent) return undefined;
    return agent.hours ? this.calendarFor(agent.hours) : this.calendar(agent.team);
  }

  /** One calendar per distinct week of hours, so its cache of built days is shared. */
  calendarFor(hours: WeeklyHours): BusinessCalendar {
    const key = JSON.stringify(hours);
    let calendar = this.byHours.get(key);
    if (!calendar) {
      calendar = new BusinessCalendar({ timezone: this.config.timezone, holidays: this.config.holidays, closedDays: this.config.closedDays, hours });
      this.byHours.set(key, calendar);
    }
    return calendar;
  }

  /**
   * The most specific setting of each target wins: the team's, then the category's, then the
   * priority's, then the hub-wide one. With `sla.byPriority.high.firstResponseHours: 2` and the
   * team "service" setting `firstResponseHours: 6`, a high-priority thread of "service" gets 6.
   */
  targets(subject: SlaSubject): SlaTargets {
    const team = this.config.teams.find((candidate) => candidate.id === subject.teamId)?.sla;
    const levels: (Partial<SlaTargets> | undefined)[] = [...specific(team, subject), team, ...specific(this.config.sla, subject), this.config.sla];
    const hubWide = this.config.sla;
    return Object.fromEntries(TARGET_NAMES.map((name) => [name, levels.find((level) => level?.[name] !== undefined)?.[name] ?? hubWide[name]])) as unknown as SlaTargets;
  }

  /** Example: opened Friday 16:00, hours 09:00-17:00, first response 8 h -> due Monday 15:00. */
  dueTimes(subject: SlaSubject, openedAt: number): ThreadDueTimes {
    const calendar = this.calendar(subject.teamId);
    const targets = this.targets(subject);
    return {
      acknowledgeDue: openedAt + targets.acknowledgeSeconds * 1000,
      firstResponseDue: calendar.addOpeningHours(new Date(openedAt), targets.firstResponseHours).getTime(),
      resolutionDue: calendar.addOpeningHours(new Date(openedAt), targets.resolutionHours).getTime(),
    };
  }
}

/** A level's category setting, then its priority setting. */
function specific(level: SlaLevel | undefined, subject: SlaSubject): (Partial<SlaTargets> | undefined)[] {
  return [subject.category === null ? undefined : level?.byCategory?.[subject.category], level?.byPriority?.[subject.priority]];
}
