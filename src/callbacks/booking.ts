import { DateTime } from 'luxon';
import { offerTeamSlots, offerWindow, type OfferedSlot, type Range } from '../core/availability';
import { isUniqueViolation, type Db, type DbOrTrx } from '../core/db';
import { DomainError } from '../core/errors';
import { toIso } from '../core/format-time';
import { recordEvent } from '../core/timeline';
import { absenceSpans } from '../absence/absences';
import { cancelCallbackPromise, promiseBookedCallback } from '../promises/callback-promises';
import { threadByReference } from '../core/threads';
import { CALLBACK_RULES, type CallbackRoster } from './roster';
import { scheduleCallbackJobs } from './schedule';

export const CALLBACK_STATUSES = ['booked', 'cancelled', 'done', 'missed'] as const;
export type CallbackStatus = (typeof CALLBACK_STATUSES)[number];
/** How the customer (or an agent for them) booked; `hub`: rebooked by the hub itself after a slot passed without a call. */
export const BOOKING_CHANNELS = ['api', 'sms', 'ivr', 'chat', 'email', 'slack', 'console', 'hub'] as const;
export type BookingChannel = (typeof BOOKING_CHANNELS)[number];

/** A row of `callbacks`; times are epoch ms. `start`/`end` are the promised times. */
export interface CallbackRecord {
  id: number;
  thread_id: number;
  team_id: string;
  agent_id: string;
  start: number;
  end: number;
  status: CallbackStatus;
  booked_via: BookingChannel;
  created_at: number;
  cancelled_at: number | null;
  actual_start: number | null;
  outcome: string | null;
}

/** What the API and other channels show of a booking. */
export interface CallbackView {
  id: number;
  start: string;
  end: string;
  status: CallbackStatus;
  agent: string;
}

export function viewCallback(row: CallbackRecord, timezone: string): CallbackView {
  return { id: row.id, start: toIso(row.start, timezone), end: toIso(row.end, timezone), status: row.status, agent: row.agent_id };
}

/**
 * The team's free slots from `from` (or the earliest allowed: now + notice) onwards, within the
 * horizon. `to` narrows the window; `ignoreThreadId` leaves that thread's own booking out of the
 * busy time (a customer moving a callback may pick a time their current booking blocks).
 */
export async function findSlots(
  db: DbOrTrx,
  roster: CallbackRoster,
  options: { teamId: string; now: number; from?: number; to?: number; limit?: number; ignoreThreadId?: number },
): Promise<OfferedSlot[]> {
  const window = offerWindow({ now: options.now, from: options.from, ...CALLBACK_RULES });
  if (options.to !== undefined) window.end = Math.min(window.end, options.to);
  const agents = roster.agents(options.teamId);
  if (agents.length === 0 || window.start >= window.end) return [];
  const busy = await busyTimes(db, { agentIds: agents.map((agent) => agent.agentId), within: window, ignoreThreadId: options.ignoreThreadId, timezone: roster.config.timezone });
  const { timezone, slotMinutes } = roster.config;
  return offerTeamSlots({ agents, busy, within: window, slotMinutes, timezone, limit: options.limit });
}

/** The agents' booked callbacks and absences overlapping `within`, by agent (busy time for the slot algebra). */
async function busyTimes(db: DbOrTrx, args: { agentIds: string[]; within: Range; ignoreThreadId?: number; timezone: string }): Promise<Map<string, Range[]>> {
  const query = db('callbacks')
    .where({ status: 'booked' })
    .whereIn('agent_id', args.agentIds)
    .where('start', '<', args.within.end)
    .where('end', '>', args.within.start)
    .select('agent_id', 'start', 'end');
  if (args.ignoreThreadId !== undefined) query.whereNot({ thread_id: args.ignoreThreadId });
  // An absent agent is offered no slot: the absence is busy time like a booking.
  const busy = await absenceSpans(db, args);
  for (const row of (await query) as { agent_id: string; start: number; end: number }[]) {
    const list = busy.get(row.agent_id) ?? [];
    list.push({ start: Number(row.start), end: Number(row.end) });
    busy.set(row.agent_id, list);
  }
  return busy;
}

/**
 * The agents of the callback's team other than its own who are working and free for the whole of
 * its slot, least booked that day first: who can take it over when its agent cannot.
 */
export async function standInAgents(db: DbOrTrx, roster: CallbackRoster, callback: CallbackRecord): Promise<string[]> {
  const others = roster.agents(callback.team_id).filter((agent) => agent.agentId !== callback.agent_id);
  if (others.length === 0) return [];
  const within = { start: callback.start, end: callback.end };
  const busy = await busyTimes(db, { agentIds: others.map((agent) => agent.agentId), within, timezone: roster.config.timezone });
  const { timezone, slotMinutes } = roster.config;
  const [slot] = offerTeamSlots({ agents: others, busy, within, slotMinutes, timezone, limit: 1 });
  return slot && slot.start === callback.start ? leastBookedFirst(db, slot, timezone) : [];
}

/**
 * Books a callback at `start` with a free agent of the thread's team. The slot must be one that
 * would be offered now (a slot boundary, inside notice and horizon, an agent free); otherwise,
 * or when every free agent is taken meanwhile, it is a conflict.
 *
 * Double booking is prevented by the database, not by this check: a partial unique index on
 * (agent_id, start) over booked rows. Two requests that both saw Anna free race to insert; one
 * wins, the other moves on to the next free agent, and with none left gets a conflict.
 * A thread has one booked callback at most (another partial unique index): booking again
 * moves it, the old one cancelled in the same transaction.
 */
export async function bookCallback(
  db: Db,
  roster: CallbackRoster,
  args: { reference: string; start: number; now: number; via: BookingChannel; /** A broken callback promise this booking makes good. */ replaces?: number },
): Promise<CallbackRecord> {
  const thread = await threadByReference(db, args.reference);
  // Timeline data is shown as is in the dossier, so times go in as ISO strings like the rest of the API.
  const iso = (at: number) => toIso(at, roster.config.timezone);
  if (thread.status !== 'open') throw new DomainError('conflict', `${thread.reference} is ${thread.status}; a callback needs an open thread`);
  const teamId = thread.team_id ?? roster.defaultTeam;
  const slotMs = roster.config.slotMinutes * 60_000;
  const [slot] = await findSlots(db, roster, { teamId, now: args.now, from: args.start, to: args.start + slotMs, ignoreThreadId: thread.id });
  if (!slot || slot.start !== args.start) {
    throw new DomainError('conflict', `${iso(args.start)} is not a free callback slot`);
  }
  for (const agentId of await leastBookedFirst(db, slot, roster.config.timezone)) {
    try {
      return await db.transaction(async (trx) => {
        const previous: CallbackRecord | undefined = await trx('callbacks').where({ thread_id: thread.id, status: 'booked' }).first();
        if (previous) {
          await trx('callbacks').where({ id: previous.id, status: 'booked' }).update({ status: 'cancelled', cancelled_at: args.now });
          await recordEvent(trx, {
            threadId: thread.id,
            kind: 'callback-cancelled',
            at: args.now,
            data: { callbackId: previous.id, start: iso(Number(previous.start)), agent: previous.agent_id, reason: 'rescheduled' },
          });
        }
        const row = {
          thread_id: thread.id,
          team_id: teamId,
          agent_id: agentId,
          start: slot.start,
          end: slot.end,
          status: 'booked' as const,
          booked_via: args.via,
          created_at: args.now,
        };
        const [inserted] = await trx('callbacks').insert(row, ['id']);
        const id = Number(typeof inserted === 'object' ? inserted.id : inserted);
        await recordEvent(trx, { threadId: thread.id, kind: 'callback-booked', at: args.now, data: { callbackId: id, start: iso(slot.start), end: iso(slot.end), agent: agentId, via: args.via } });
        await promiseBookedCallback(trx, roster.sla, { threadId: thread.id, teamId, callback: { id, start: slot.start, end: slot.end }, via: args.via, moved: previous, replaces: args.replaces, now: args.now });
        await scheduleCallbackJobs(trx, { id, start: slot.start }, args.now);
        await trx('threads').where({ id: thread.id }).update({ updated_at: args.now });
        return { id, ...row, cancelled_at: null, actual_start: null, outcome: null };
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Taken meanwhile (or this thread booked in a concurrent request): try the next agent.
    }
  }
  throw new DomainError('conflict', `${iso(args.start)} is no longer free`);
}

/**
 * Cancels a booked callback of the thread. Cancelled by an agent, the customer is told on the
 * channels that showed its time; the customer's own cancelling (AFZEGGEN, the booking page) is
 * answered where she did it.
 */
export async function cancelCallback(db: Db, args: { reference: string; id: number; now: number; timezone: string; by: 'customer' | 'agent' }): Promise<CallbackRecord> {
  return db.transaction(async (trx) => {
    const thread = await threadByReference(trx, args.reference);
    const row: CallbackRecord | undefined = await trx('callbacks').where({ id: args.id, thread_id: thread.id }).first();
    if (!row) throw new DomainError('not_found', `${thread.reference} has no callback ${args.id}`);
    const updated = row.status === 'booked' ? await trx('callbacks').where({ id: row.id, status: 'booked' }).update({ status: 'cancelled', cancelled_at: args.now }) : 0;
    if (updated === 0) throw new DomainError('conflict', `callback ${row.id} is ${row.status === 'booked' ? 'no longer booked' : row.status}`);
    await recordEvent(trx, { threadId: thread.id, kind: 'callback-cancelled', at: args.now, data: { callbackId: row.id, start: toIso(Number(row.start), args.timezone), agent: row.agent_id, reason: 'cancelled' } });
    await cancelCallbackPromise(trx, { callbackId: row.id, reason: 'cancelled', tellCustomer: args.by === 'agent', now: args.now });
    return { ...row, start: Number(row.start), end: Number(row.end), status: 'cancelled', cancelled_at: args.now };
  });
}

/** A thread's callbacks, earliest first, every status. */
export async function threadCallbacks(db: DbOrTrx, threadId: number): Promise<CallbackRecord[]> {
  const rows: CallbackRecord[] = await db('callbacks').where({ thread_id: threadId }).orderBy([{ column: 'start' }, { column: 'id' }]);
  return rows.map((row) => ({ ...row, start: Number(row.start), end: Number(row.end) }));
}

/** The slot's free agents, those with the fewest bookings that local day first (ties by id, so the order is stable). */
async function leastBookedFirst(db: DbOrTrx, slot: OfferedSlot, timezone: string): Promise<string[]> {
  const day = DateTime.fromMillis(slot.start, { zone: timezone }).startOf('day');
  const rows: { agent_id: string; n: number | string }[] = await db('callbacks')
    .where({ status: 'booked' })
    .whereIn('agent_id', slot.agents)
    .where('start', '>=', day.toMillis())
    .where('start', '<', day.plus({ days: 1 }).toMillis())
    .groupBy('agent_id')
    .select('agent_id')
    .count({ n: '*' });
  const load = new Map(rows.map((row) => [row.agent_id, Number(row.n)]));
  return [...slot.agents].sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0) || a.localeCompare(b));
}
