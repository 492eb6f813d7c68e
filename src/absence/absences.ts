import { DateTime } from 'luxon';
import type { HubConfig } from '../config/hub-config';
import type { Range } from '../core/availability';
import { isUniqueViolation, type DbOrTrx } from '../core/db';
import { DomainError } from '../core/errors';

/**
 * An agent's absence: whole days in the business time zone, both ends included, from the
 * configuration (`agents[].absent`) or set through the API, the console or Slack. Ending one
 * early (`DELETE`) keeps the row with `ended_at`, so a configured absence that was ended does not
 * come back when the hub restarts.
 */
export interface Absence {
  id: number;
  agentId: string;
  from: string;
  to: string;
  source: 'config' | 'set';
  setBy: string | null;
  endedAt: number | null;
}

interface AbsenceRow {
  id: number;
  agent_id: string;
  from_date: string;
  to_date: string;
  source: 'config' | 'set';
  set_by: string | null;
  ended_at: number | string | null;
}

function fromRow(row: AbsenceRow): Absence {
  return { id: Number(row.id), agentId: row.agent_id, from: row.from_date, to: row.to_date, source: row.source, setBy: row.set_by, endedAt: row.ended_at === null ? null : Number(row.ended_at) };
}

/** The instants an absence covers: from the start of its first day to the start of the day after its last, cut off where it was ended. */
export function absenceSpan(absence: Pick<Absence, 'from' | 'to' | 'endedAt'>, timezone: string): Range | null {
  const start = DateTime.fromISO(absence.from, { zone: timezone }).startOf('day').toMillis();
  const end = Math.min(DateTime.fromISO(absence.to, { zone: timezone }).plus({ days: 1 }).startOf('day').toMillis(), absence.endedAt ?? Number.POSITIVE_INFINITY);
  return start < end ? { start, end } : null;
}

const dateOf = (at: number, timezone: string) => DateTime.fromMillis(at, { zone: timezone }).toISODate() as string;

/** The absences of these agents that overlap `within`, as spans by agent (busy time for the slot algebra). */
export async function absenceSpans(db: DbOrTrx, args: { agentIds: string[]; within: Range; timezone: string }): Promise<Map<string, Range[]>> {
  const spans = new Map<string, Range[]>();
  if (args.agentIds.length === 0) return spans;
  const rows: AbsenceRow[] = await db('agent_absences')
    .whereIn('agent_id', args.agentIds)
    .where('from_date', '<=', dateOf(args.within.end, args.timezone))
    .where('to_date', '>=', dateOf(args.within.start, args.timezone))
    .select();
  for (const row of rows) {
    const span = absenceSpan(fromRow(row), args.timezone);
    if (!span || span.end <= args.within.start || span.start >= args.within.end) continue;
    spans.set(row.agent_id, [...(spans.get(row.agent_id) ?? []), span]);
  }
  return spans;
}

/** The agents absent at an instant. */
export async function absentAt(db: DbOrTrx, args: { at: number; timezone: string; agentIds?: string[] }): Promise<Set<string>> {
  const spans = await absenceSpans(db, { agentIds: args.agentIds ?? (await db('agent_absences').distinct('agent_id')).map((row: { agent_id: string }) => row.agent_id), within: { start: args.at, end: args.at + 1 }, timezone: args.timezone });
  return new Set(spans.keys());
}

/** An agent's absences that have not ended yet (today's included), earliest first. */
export async function currentAbsences(db: DbOrTrx, args: { agentId: string; now: number; timezone: string }): Promise<Absence[]> {
  const rows: AbsenceRow[] = await db('agent_absences').where({ agent_id: args.agentId }).where('to_date', '>=', dateOf(args.now, args.timezone)).orderBy('from_date');
  return rows.map(fromRow).filter((absence) => {
    const span = absenceSpan(absence, args.timezone);
    return span !== null && span.end > args.now;
  });
}

export async function absenceById(db: DbOrTrx, id: number): Promise<Absence | undefined> {
  const row: AbsenceRow | undefined = await db('agent_absences').where({ id }).first();
  return row && fromRow(row);
}

/**
 * Sets an agent's absence from `from` to `to` (dates, both included), replacing the one set
 * before that has not ended; configured absences stay. Returns the new absence.
 */
export async function setAbsence(db: DbOrTrx, args: { agentId: string; from: string; to: string; by: string; now: number; timezone: string }): Promise<Absence> {
  if (args.to < args.from) throw new DomainError('invalid_request', `"to" (${args.to}) is before "from" (${args.from})`);
  if (args.to < dateOf(args.now, args.timezone)) throw new DomainError('invalid_request', `the absence ends before today (${args.to})`);
  const replaced = (await currentAbsences(db, args)).filter((absence) => absence.source === 'set');
  if (replaced.length > 0) await db('agent_absences').whereIn('id', replaced.map((absence) => absence.id)).update({ ended_at: args.now });
  const [row] = await db('agent_absences').insert({ agent_id: args.agentId, from_date: args.from, to_date: args.to, source: 'set', set_by: args.by, created_at: args.now }).returning('id');
  const id = Number(typeof row === 'object' ? (row as { id: number }).id : row);
  return { id, agentId: args.agentId, from: args.from, to: args.to, source: 'set', setBy: args.by, endedAt: null };
}

/** The agent is back: every absence still running or still to come ends now. Returns how many ended. */
export async function endAbsence(db: DbOrTrx, args: { agentId: string; now: number; timezone: string }): Promise<number> {
  const running = await currentAbsences(db, args);
  if (running.length === 0) return 0;
  await db('agent_absences').whereIn('id', running.map((absence) => absence.id)).update({ ended_at: args.now });
  return running.length;
}

/**
 * Makes the stored configured absences those of the configuration: new ones are added (once,
 * however many instances start), ones no longer configured are removed. One ended through the
 * API stays ended. Returns the absences added, for their start to be acted on. Runs at start,
 * outside a transaction: a row another instance inserted first is only a unique violation.
 */
export async function syncConfiguredAbsences(db: DbOrTrx, args: { config: HubConfig; now: number }): Promise<Absence[]> {
  const configured = args.config.agents.flatMap((agent) => agent.absent.map((range) => ({ agent_id: agent.id, from_date: range.from, to_date: range.to })));
  const key = (row: { agent_id: string; from_date: string; to_date: string }) => `${row.agent_id}|${row.from_date}|${row.to_date}`;
  const stored: AbsenceRow[] = await db('agent_absences').where({ source: 'config' }).select();
  const wanted = new Set(configured.map(key));
  const gone = stored.filter((row) => !wanted.has(key(row)));
  if (gone.length > 0) await db('agent_absences').whereIn('id', gone.map((row) => row.id)).delete();
  const have = new Set(stored.map(key));
  const missing = configured.filter((row) => !have.has(key(row)));
  const added: Absence[] = [];
  for (const row of missing) {
    try {
      const [inserted] = await db('agent_absences').insert({ ...row, source: 'config', set_by: null, created_at: args.now }).returning('id');
      added.push({ id: Number(typeof inserted === 'object' ? (inserted as { id: number }).id : inserted), agentId: row.agent_id, from: row.from_date, to: row.to_date, source: 'config', setBy: null, endedAt: null });
    } catch (error) {
      // Another instance starting at the same moment stored it (agent_absences_config): it acts on it.
      if (!isUniqueViolation(error)) throw error;
    }
  }
  return added;
}
