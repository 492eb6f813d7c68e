import type { HubConfig } from '../config/hub-config';
import { BusinessCalendar } from './calendar';

export interface ThreadDueTimes {
  /** Acknowledgement: wall-clock seconds, it is automatic and runs outside opening hours too. */
  acknowledgeDue: number;
  firstResponseDue: number;
  resolutionDue: number;
}

/** SLA targets turned into concrete instants on each team's business calendar. */
export class SlaClock {
  private readonly calendars = new Map<string, BusinessCalendar>();

  constructor(private readonly config: HubConfig) {
    for (const team of config.teams) {
      this.calendars.set(team.id, new BusinessCalendar({ timezone: config.timezone, holidays: config.holidays, hours: team.hours }));
    }
  }

  get defaultTeam(): string {
    return this.config.defaultTeam ?? (this.config.teams[0] as { id: string }).id;
  }

  calendar(teamId: string): BusinessCalendar {
    const calendar = this.calendars.get(teamId);
    if (!calendar) throw new Error(`unknown team ${teamId}`);
    return calendar;
  }

  /** Example: opened Friday 16:00, hours 09:00-17:00, first response 8 h -> due Monday 15:00. */
  dueTimes(teamId: string, openedAt: number): ThreadDueTimes {
    const calendar = this.calendar(teamId);
    const { sla } = this.config;
    return {
      acknowledgeDue: openedAt + sla.acknowledgeSeconds * 1000,
      firstResponseDue: calendar.addOpeningHours(new Date(openedAt), sla.firstResponseHours).getTime(),
      resolutionDue: calendar.addOpeningHours(new Date(openedAt), sla.resolutionHours).getTime(),
    };
  }
}
