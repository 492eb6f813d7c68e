import { IANAZone } from 'luxon';
import type { BusinessCalendar } from './calendar';

/**
 * Slot algebra for callbacks, on plain ranges of epoch milliseconds (after Cal.com's
 * date-ranges/slots): working hours come from each agent's BusinessCalendar (built in the
 * business zone, DST-correct, holidays removed), busy time is taken out, and what is left is
 * stepped through in slot lengths aligned to the wall clock. Time zones only at the edges;
 * `now` is always passed in.
 */

/** [start, end) in epoch milliseconds, start < end. */
export interface Range {
  start: number;
  end: number;
}

export interface AgentAvailability {
  agentId: string;
  /** Working hours, e.g. from BusinessCalendar.openIntervals: sorted, not overlapping. */
  open: Range[];
  /** Booked time (callbacks), any order. */
  busy: Range[];
}

/** A callback slot and the agents free for all of it (in the order they were given). */
export interface OfferedSlot {
  start: number;
  end: number;
  agents: string[];
}

const MINUTE = 60_000;
const DAY = 86_400_000;

/** The window slots are offered in: from `now + notice` (or a later `from`) to `now + horizon`. */
export function offerWindow(options: { now: number; from?: number; minNoticeMinutes: number; horizonDays: number }): Range {
  const earliest = options.now + options.minNoticeMinutes * MINUTE;
  return { start: Math.max(earliest, options.from ?? earliest), end: options.now + options.horizonDays * DAY };
}

/**
 * Slot starts inside one range, aligned to the wall clock of `timezone`: with 15-minute slots a
 * slot starts at :00, :15, :30 or :45 local time, counted from local midnight (so 20-minute
 * slots start at 09:00, 09:20, 09:40). Open 09:10-09:55, 15-minute slots -> 09:15, 09:30 (09:45
 * would end after 09:55).
 *
 * Steps are real elapsed time, so the DST nights come out right: 00:00-04:00 on 2026-03-29 in
 * Europe/Amsterdam gives 01:45+01:00 then 03:00+02:00 (02:30 does not exist), and on
 * 2026-10-25 the repeated hour is offered once at +02:00 and once at +01:00: two different
 * instants, each listed once.
 */
export function alignedSlotStarts(range: Range, options: { slotMinutes: number; timezone: string }): number[] {
  const slotMs = options.slotMinutes * MINUTE;
  const zone = zoneOf(options.timezone);
  const startOffset = zone.offset(range.start);
  // Within one range the UTC offset is constant unless a DST change falls inside it; only then
  // ask the zone at every step (a lookup costs microseconds, and this runs per agent per day).
  const constant = startOffset === zone.offset(range.end) && range.end - range.start <= 7 * DAY;
  const offsetAt = constant ? () => startOffset : (at: number) => zone.offset(at);
  const starts: number[] = [];
  for (let at = alignUp(range.start, slotMs, offsetAt); at + slotMs <= range.end; at = alignUp(at + slotMs, slotMs, offsetAt)) {
    starts.push(at);
  }
  return starts;
}

/** The first instant at or after `at` whose local time of day is a multiple of the slot length. */
function alignUp(at: number, slotMs: number, offsetAt: (at: number) => number): number {
  let candidate = at;
  // Usually one round; more when a step lands across a DST change, where the offset (and so the alignment) differs.
  for (let i = 0; i < 3; i++) {
    const local = candidate + offsetAt(candidate) * MINUTE;
    const rest = mod(mod(local, DAY), slotMs);
    if (rest === 0) return candidate;
    candidate += slotMs - rest;
  }
  return candidate;
}

/**
 * Every slot in which at least one agent is free, earliest first, with the free agents.
 * Example: Anna and Bram work 09:00-12:30, 15-minute slots, Anna is booked 09:00-09:15 ->
 * 09:00 [Bram], 09:15 [Anna, Bram], ...
 * `within` clips the open time (notice and horizon, see offerWindow).
 */
export function offerSlots(options: { agents: readonly AgentAvailability[]; within: Range; slotMinutes: number; timezone: string; limit?: number }): OfferedSlot[] {
  const slotMs = options.slotMinutes * MINUTE;
  const { within } = options;
  // Agents mostly share their hours (the team's), so each open range's grid is built once.
  const grids = new Map<string, number[]>();
  const bySlot = new Map<number, string[]>();
  for (const agent of options.agents) {
    const busy = [...agent.busy].sort((a, b) => a.start - b.start);
    let b = 0;
    for (const open of agent.open) {
      const start = Math.max(open.start, within.start);
      const end = Math.min(open.end, within.end);
      if (start >= end) continue;
      const key = `${start}:${end}`;
      let grid = grids.get(key);
      if (!grid) {
        grid = alignedSlotStarts({ start, end }, options);
        grids.set(key, grid);
      }
      for (const slot of grid) {
        // Busy ranges ending by this slot's start cannot touch later slots either.
        while (b < busy.length && (busy[b] as Range).end <= slot) b++;
        let taken = false;
        for (let i = b; i < busy.length && (busy[i] as Range).start < slot + slotMs; i++) {
          if ((busy[i] as Range).end > slot) {
            taken = true;
            break;
          }
        }
        if (taken) continue;
        const free = bySlot.get(slot);
        if (free) free.push(agent.agentId);
        else bySlot.set(slot, [agent.agentId]);
      }
    }
  }
  const starts = [...bySlot.keys()].sort((a, b) => a - b);
  const limited = options.limit === undefined ? starts : starts.slice(0, options.limit);
  return limited.map((start) => ({ start, end: start + slotMs, agents: bySlot.get(start) as string[] }));
}

/** A team's slots from the agents' calendars: working hours (holidays removed) in `within`, minus their bookings. */
export function offerTeamSlots(options: {
  agents: readonly { agentId: string; calendar: BusinessCalendar }[];
  /** Bookings by agent id. */
  busy: ReadonlyMap<string, readonly Range[]>;
  within: Range;
  slotMinutes: number;
  timezone: string;
  limit?: number;
}): OfferedSlot[] {
  const { within } = options;
  if (within.start >= within.end) return [];
  const from = new Date(within.start);
  const to = new Date(within.end);
  const agents = options.agents.map(({ agentId, calendar }) => ({
    agentId,
    open: calendar.openIntervals(from, to).map((interval) => ({ start: interval.start.getTime(), end: interval.end.getTime() })),
    busy: [...(options.busy.get(agentId) ?? [])],
  }));
  return offerSlots({ agents, within, slotMinutes: options.slotMinutes, timezone: options.timezone, limit: options.limit });
}

const zones = new Map<string, IANAZone>();
function zoneOf(name: string): IANAZone {
  let zone = zones.get(name);
  if (!zone) {
    zone = IANAZone.create(name);
    if (!zone.isValid) throw new Error(`availability: unknown time zone "${name}"`);
    zones.set(name, zone);
  }
  return zone;
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
