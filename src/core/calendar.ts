import Holidays from 'date-holidays';
import { DateTime, Info } from 'luxon';
import type { Weekday, WeeklyHours } from '../config/hub-config';

/** A stretch of open time as UTC instants, start < end. */
export interface OpenInterval {
  start: Date;
  end: Date;
}

export interface BusinessCalendarOptions {
  /** IANA zone in which `hours` and holidays are read, e.g. "Europe/Amsterdam". */
  timezone: string;
  /** date-holidays country code ("NL", "DE-BY"), or false for no holidays. */
  holidays: string | false;
  /** Local dates ("2026-12-31") on which the company is closed all day, like a public holiday. */
  closedDays?: readonly string[];
  hours: WeeklyHours;
}

type PublicHoliday = { date: string; name: string };

/** Index 0 = Monday. */
const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/**
 * Give up after this many consecutive days without any open time. Only reachable
 * when the week has hours but holidays cover all of them, which no real country does;
 * it turns a would-be hang into an error.
 */
const SEARCH_HORIZON_DAYS = 400;

const DAY_MS = 86_400_000;

/** Days kept in a calendar's cache (about 27 years); cleared when full. */
const DAY_CACHE_LIMIT = 10_000;

/** Epoch milliseconds [start, end). */
type Span = [start: number, end: number];

/** One local calendar day: when it starts, and its open spans (holidays already removed). */
interface Day {
  start: number;
  open: Span[];
}

/** Minutes since local midnight: "13:30-17:00" -> [810, 1020]; "24:00" -> 1440. */
type MinuteRange = [number, number];

function parseRange(range: string): MinuteRange {
  const match = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(range);
  if (!match) throw new Error(`BusinessCalendar: bad opening hours "${range}", expected "HH:MM-HH:MM"`);
  const [, sh, sm, eh, em] = match.map(Number) as [number, number, number, number, number];
  const start = sh * 60 + sm;
  const end = eh * 60 + em;
  if (sm > 59 || em > 59 || start >= end || end > 24 * 60) {
    throw new Error(`BusinessCalendar: bad opening hours "${range}", the range must end after it starts, by 24:00`);
  }
  return [start, end];
}

/**
 * One Holidays instance and one list per (country, year) for the whole process:
 * building a Holidays object and expanding a year's rules costs milliseconds,
 * while addOpeningHours runs for every new thread.
 */
type HolidaySource = { source: Holidays; years: Map<number, PublicHoliday[]> };
const holidayCache = new Map<string, HolidaySource>();

function holidaySource(country: string): HolidaySource {
  let entry = holidayCache.get(country);
  if (!entry) {
    const source = new Holidays(country);
    // date-holidays accepts unknown codes silently (zero rules, no holidays), so check here.
    if (source.getRules().length === 0) throw new Error(`BusinessCalendar: unknown holiday country "${country}"`);
    entry = { source, years: new Map() };
    holidayCache.set(country, entry);
  }
  return entry;
}

/** True when date-holidays knows the code ("NL", "DE-BY"): it accepts unknown ones silently. */
export function isKnownHolidayCountry(country: string): boolean {
  try {
    holidaySource(country);
    return true;
  } catch {
    return false;
  }
}

function publicHolidays(country: string, year: number): PublicHoliday[] {
  const entry = holidaySource(country);
  let list = entry.years.get(year);
  if (!list) {
    // Only 'public' days close the business. In NL, date-holidays types Goede Vrijdag and
    // Bevrijdingsdag 'school', Oudejaarsavond 'bank', Moederdag etc. 'observance'.
    // `date` is "YYYY-MM-DD hh:mm:ss" in the country's own calendar; keep the date part.
    list = entry.source
      .getHolidays(year)
      .filter((h) => h.type === 'public')
      .map((h) => ({ date: h.date.slice(0, 10), name: h.name }));
    entry.years.set(year, list);
  }
  return list;
}

export class BusinessCalendar {
  private readonly zone: string;
  private readonly country: string | false;
  private readonly closedDays: ReadonlySet<string>;
  /** Index 0 = Monday, like WEEKDAYS. */
  private readonly week: MinuteRange[][];
  /**
   * Luxon zone arithmetic costs tens of microseconds per call, so each local day is
   * built once and then found by number. Keyed by day number: the local date as days
   * since 1970-01-01, so n + 1 is the next local day whatever the zone or DST.
   */
  private readonly days = new Map<number, Day>();

  constructor(options: BusinessCalendarOptions) {
    if (!Info.isValidIANAZone(options.timezone)) {
      throw new Error(`BusinessCalendar: unknown timezone "${options.timezone}"`);
    }
    this.zone = options.timezone;
    this.country = options.holidays;
    this.closedDays = new Set(options.closedDays ?? []);
    if (this.country !== false) holidaySource(this.country); // fail fast on a bad code
    this.week = WEEKDAYS.map((day) => (options.hours[day] ?? []).map(parseRange).sort((a, b) => a[0] - b[0]));
  }

  openIntervals(from: Date, to: Date): OpenInterval[] {
    const [f, t] = [from.getTime(), to.getTime()];
    if (f >= t) return [];
    const spans: Span[] = [];
    for (let n = this.dayNumber(f); this.day(n).start < t; n++) {
      for (const [start, end] of this.day(n).open) {
        pushMerged(spans, Math.max(start, f), Math.min(end, t));
      }
    }
    return spans.map(([start, end]) => ({ start: new Date(start), end: new Date(end) }));
  }

  /** Service time between two instants, in ms. Tue 16:00 to Wed 10:00 with 09:00-17:00 hours: 2 h. */
  openMillisBetween(from: Date, to: Date): number {
    return this.openIntervals(from, to).reduce((sum, interval) => sum + (interval.end.getTime() - interval.start.getTime()), 0);
  }

  isOpen(at: Date): boolean {
    const a = at.getTime();
    return this.day(this.dayNumber(a)).open.some(([start, end]) => start <= a && a < end);
  }

  /**
   * Walk the open spans from `now` and spend `hours` of them.
   * Example (09:00-17:00 on weekdays): Tue 16:00 + 2h spends 1h until 17:00, then 1h
   * from Wed 09:00, giving Wed 10:00. Tue 16:00 + 1h gives Tue 17:00 (a span may be
   * used up exactly; the deadline is the closing instant, not next morning).
   */
  addOpeningHours(now: Date, hours: number): Date {
    if (!Number.isFinite(hours) || hours < 0) {
      throw new RangeError(`BusinessCalendar: hours must be a finite number >= 0, got ${hours}`);
    }
    let remaining = Math.round(hours * 3_600_000);
    if (remaining === 0) return new Date(now.getTime());
    for (const [start, end] of this.spansFrom(now.getTime())) {
      if (remaining <= end - start) return new Date(start + remaining);
      remaining -= end - start;
    }
    throw new Error('unreachable: spansFrom ends only by throwing');
  }

  nextOpening(at: Date): Date {
    for (const [start] of this.spansFrom(at.getTime())) return new Date(start);
    throw new Error('unreachable: spansFrom ends only by throwing');
  }

  holidaysIn(year: number): { date: string; name: string }[] {
    if (this.country === false) return [];
    return publicHolidays(this.country, year).map((h) => ({ ...h }));
  }

  /**
   * Open spans from `at` onwards, the first one clipped to start at `at`.
   * Endless for a calendar with open time; throws instead of hanging when there is none.
   */
  private *spansFrom(at: number): Generator<Span> {
    if (this.week.every((ranges) => ranges.length === 0)) {
      throw new Error('BusinessCalendar: the week has no opening hours, so there is no next opening');
    }
    let emptyDays = 0;
    for (let n = this.dayNumber(at); ; n++) {
      let found = false;
      for (const [start, end] of this.day(n).open) {
        if (end <= at) continue;
        found = true;
        yield [Math.max(start, at), end];
      }
      emptyDays = found ? 0 : emptyDays + 1;
      if (emptyDays > SEARCH_HORIZON_DAYS) {
        throw new Error(`BusinessCalendar: no opening hours within ${SEARCH_HORIZON_DAYS} days after ${new Date(at).toISOString()}`);
      }
    }
  }

  /** The number of the local day containing `at`: the UTC day or one either side, as UTC offsets stay within ±14 h. */
  private dayNumber(at: number): number {
    const utcDay = Math.floor(at / DAY_MS);
    for (let n = utcDay - 1; n <= utcDay; n++) {
      if (at < this.day(n + 1).start) return n;
    }
    return utcDay + 1;
  }

  private day(n: number): Day {
    let day = this.days.get(n);
    if (!day) {
      if (this.days.size >= DAY_CACHE_LIMIT) this.days.clear();
      day = this.buildDay(n);
      this.days.set(n, day);
    }
    return day;
  }

  private buildDay(n: number): Day {
    const date = new Date(n * DAY_MS); // only its UTC calendar fields are used: they are the local date
    const open: Span[] = [];
    if (!this.isHoliday(date)) {
      const weekday = (date.getUTCDay() + 6) % 7; // getUTCDay: 0 = Sunday
      for (const [start, end] of this.week[weekday] ?? []) pushMerged(open, this.wallClock(n, start), this.wallClock(n, end));
    }
    return { start: this.wallClock(n, 0), open };
  }

  /**
   * The instant of a wall-clock time on local day n. Built from the wall clock, not by
   * adding minutes to midnight, so DST comes out right: "00:00-04:00" on 2026-03-29 in
   * Europe/Amsterdam is 00:00+01:00 -> 04:00+02:00 = 3 real hours; on 2026-10-25 it is 5.
   */
  private wallClock(n: number, minutes: number): number {
    if (minutes === 24 * 60) return this.wallClock(n + 1, 0);
    const date = new Date(n * DAY_MS);
    return DateTime.fromObject(
      {
        year: date.getUTCFullYear(),
        month: date.getUTCMonth() + 1,
        day: date.getUTCDate(),
        hour: Math.floor(minutes / 60),
        minute: minutes % 60,
      },
      { zone: this.zone },
    ).toMillis();
  }

  /** A holiday or a closing day closes the whole local date. */
  private isHoliday(date: Date): boolean {
    const iso = date.toISOString().slice(0, 10);
    if (this.closedDays.has(iso)) return true;
    if (this.country === false) return false;
    return publicHolidays(this.country, date.getUTCFullYear()).some((h) => h.date === iso);
  }
}

/** Append [start, end) unless empty, merging with the last span when they touch or overlap ("09:00-12:00" + "12:00-17:00"). */
function pushMerged(spans: Span[], start: number, end: number): void {
  if (start >= end) return;
  const last = spans[spans.length - 1];
  if (last && start <= last[1]) last[1] = Math.max(last[1], end);
  else spans.push([start, end]);
}
