import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { standInAgents, type CallbackRecord } from '../callbacks/booking';
import { moveToAgent } from '../callbacks/execution';
import { rosterFor } from '../callbacks/roster';
import { slackPoster } from '../channels/slack/slack-poster';
import type { AgentConfig } from '../config/hub-config';
import type { HubContext } from '../context';
import type { Language } from '../core/contact';
import type { DbOrTrx } from '../core/db';
import { toIso } from '../core/format-time';
import { recordEvent } from '../core/timeline';
import { presentRecipients, recipientsOf } from '../escalation/recipients';
import { postNotice } from '../escalation/slack-notice';
import { shortTime } from '../handoff/render-common';
import { escapeMrkdwn } from '../handoff/render-slack';
import { enqueueJob } from '../jobs/queue';
import type { JobHandler } from '../jobs/worker';
import { absenceById, absenceSpan, absentAt, type Absence } from './absences';

/** When an absence begins: the agent's threads and the callbacks in it go to present colleagues. */
export const ABSENCE_START_JOB = 'absence-start';

const payloadSchema = z.object({ absenceId: z.number().int() });

/** Asks for the hand-over at the absence's first moment (now, for one already running); once per absence, by its key. */
export async function enqueueAbsenceStart(db: DbOrTrx, args: { absence: Absence; timezone: string; now: number }): Promise<void> {
  const span = absenceSpan(args.absence, args.timezone);
  if (!span || span.end <= args.now) return;
  await enqueueJob(db, { kind: ABSENCE_START_JOB, payload: { absenceId: args.absence.id }, runAt: Math.max(args.now, span.start), dedupeKey: `${ABSENCE_START_JOB}:${args.absence.id}` }, args.now);
}

interface TakenOver {
  threads: string[];
  callbacks: { reference: string; start: number }[];
}

/**
 * An absence begins (or was set while running): the agent's open threads go to the present
 * colleague of the team with the fewest open threads, with their own promises, and each booked
 * callback inside the absence goes to a colleague who is working and free at that time (fewest
 * callbacks that day first). Each colleague is told what they took over, in one message; what
 * nobody could take (no colleague present, nobody free at a callback's time) is raised with the
 * team's leads. An absence ended before it began has nothing to hand over.
 */
export function absenceStartJob(ctx: HubContext): JobHandler {
  const poster = slackPoster(ctx.env);
  const roster = rosterFor(ctx.config);
  const { timezone } = ctx.config;
  return async (job, trx) => {
    const { absenceId } = payloadSchema.parse(job.payload);
    const absence = await absenceById(trx, absenceId);
    const now = ctx.clock();
    const span = absence && absenceSpan(absence, timezone);
    const agent = ctx.config.agents.find((candidate) => candidate.id === absence?.agentId);
    if (!absence || !span || span.end <= now || !agent) return;
    const team = ctx.config.agents.filter((candidate) => candidate.team === agent.team && candidate.id !== agent.id);
    const absent = await absentAt(trx, { at: now, timezone, agentIds: team.map((candidate) => candidate.id) });
    const present = team.filter((candidate) => !absent.has(candidate.id));

    const takenOver = new Map<string, TakenOver>();
    const share = (to: string) => takenOver.get(to) ?? (takenOver.set(to, { threads: [], callbacks: [] }).get(to) as TakenOver);
    const leftThreads = await handOverThreads(trx, { agent, present, until: absence.to, now, takenOver: (to, reference) => share(to).threads.push(reference) });
    const leftCallbacks: { reference: string; start: number }[] = [];
    const callbacks: (CallbackRecord & { reference: string })[] = await trx('callbacks')
      .join('threads', 'threads.id', 'callbacks.thread_id')
      .where({ 'callbacks.agent_id': agent.id, 'callbacks.status': 'booked' })
      .where('callbacks.start', '>=', now)
      .where('callbacks.start', '<', span.end)
      .orderBy('callbacks.start')
      .select('callbacks.*', 'threads.reference');
    for (const row of callbacks) {
      const callback = { ...row, start: Number(row.start), end: Number(row.end) };
      const to = await handOverCallback(trx, roster, callback);
      if (to) {
        await recordEvent(trx, { threadId: callback.thread_id, kind: 'callback-reassigned', at: now, data: { callbackId: callback.id, from: agent.id, to, reason: 'absent' } });
        share(to).callbacks.push({ reference: callback.reference, start: callback.start });
      } else {
        leftCallbacks.push({ reference: callback.reference, start: callback.start });
      }
    }

    for (const [to, items] of takenOver) {
      const colleague = ctx.config.agents.find((candidate) => candidate.id === to) as AgentConfig;
      const language = colleague.slackUserId ? colleague.language : 'nl';
      await postNotice(trx, ctx, poster, { recipient: { kind: 'agent', agent: colleague, key: `agent:${to}` }, text: takenOverText({ absent: agent, until: absence.to, items, language, timezone }), references: [...new Set([...items.threads, ...items.callbacks.map((callback) => callback.reference)])], threadId: null, purpose: 'handoff', now });
    }
    if (leftThreads.length > 0 || leftCallbacks.length > 0) {
      // Not the lead who is going away: then the team's channel.
      const leads = recipientsOf(ctx.config, { notify: 'lead', teamId: agent.team, ownerAgent: null }).filter((lead) => lead.kind !== 'agent' || lead.agent.id !== agent.id);
      for (const lead of await presentRecipients(trx, leads.length > 0 ? leads : [{ kind: 'team', teamId: agent.team, key: `team:${agent.team}` }], { teamId: agent.team, at: now, timezone })) {
        const language = lead.kind === 'agent' && lead.agent.slackUserId ? lead.agent.language : 'nl';
        const text = leftOverText({ absent: agent, until: absence.to, threads: leftThreads, callbacks: leftCallbacks, language, timezone });
        await postNotice(trx, ctx, poster, { recipient: lead, text, references: [...new Set([...leftThreads, ...leftCallbacks.map((callback) => callback.reference)])], threadId: null, purpose: 'escalation', now });
      }
    }
  };
}

/** The agent's open threads to the present colleague with the fewest open threads; returns the references nobody could take. */
async function handOverThreads(
  trx: Knex.Transaction,
  args: { agent: AgentConfig; present: AgentConfig[]; until: string; now: number; takenOver: (to: string, reference: string) => void },
): Promise<string[]> {
  const threads: { id: number; reference: string }[] = await trx('threads').where({ agent_id: args.agent.id, status: 'open' }).orderBy('id').select('id', 'reference');
  if (args.present.length === 0) return threads.map((thread) => thread.reference);
  const counts: { agent_id: string; n: number | string }[] = await trx('threads')
    .where({ status: 'open' })
    .whereIn('agent_id', args.present.map((colleague) => colleague.id))
    .groupBy('agent_id')
    .select('agent_id')
    .count({ n: '*' });
  const load = new Map(args.present.map((colleague) => [colleague.id, Number(counts.find((row) => row.agent_id === colleague.id)?.n ?? 0)]));
  for (const thread of threads) {
    const [to] = [...load.entries()].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))[0] as [string, number];
    const moved = await trx('threads').where({ id: thread.id, agent_id: args.agent.id }).update({ agent_id: to, updated_at: args.now });
    if (moved === 0) continue;
    // The absent agent's own promises on it go along: whoever has the thread keeps them now.
    await trx('promises').where({ thread_id: thread.id, kind: 'agent', agent_id: args.agent.id, state: 'open' }).update({ agent_id: to });
    await recordEvent(trx, { threadId: thread.id, kind: 'absence-reassigned', at: args.now, data: { from: args.agent.id, to, until: args.until } });
    load.set(to, (load.get(to) ?? 0) + 1);
    args.takenOver(to, thread.reference);
  }
  return [];
}

/** A colleague working and free at the callback's time takes it (absent ones have no free time); undefined when there is none. */
async function handOverCallback(trx: Knex.Transaction, roster: ReturnType<typeof rosterFor>, callback: CallbackRecord): Promise<string | undefined> {
  for (const candidate of await standInAgents(trx, roster, callback)) {
    if (await moveToAgent(trx, callback, candidate)) return candidate;
  }
  return undefined;
}

const dayWords = (date: string, language: Language) => DateTime.fromISO(date).setLocale(language === 'en' ? 'en-GB' : 'nl-NL').toFormat('d LLLL');

function takenOverText(args: { absent: AgentConfig; until: string; items: TakenOver; language: Language; timezone: string }): string {
  const en = args.language === 'en';
  const name = escapeMrkdwn(args.absent.name);
  const until = dayWords(args.until, args.language);
  const callbacks = args.items.callbacks.map((callback) => `${callback.reference} ${shortTime(toIso(callback.start, args.timezone), args.language)}`);
  const parts = [en ? `${name} is absent until ${until} inclusive.` : `${name} is afwezig tot en met ${until}.`];
  if (args.items.threads.length > 0) parts.push(en ? `You are taking over: ${args.items.threads.join(', ')}.` : `Jij neemt over: ${args.items.threads.join(', ')}.`);
  if (callbacks.length > 0) parts.push(en ? `Callbacks that are now yours: ${callbacks.join(', ')}.` : `Terugbelafspraken die nu van jou zijn: ${callbacks.join(', ')}.`);
  return parts.join(' ');
}

function leftOverText(args: { absent: AgentConfig; until: string; threads: string[]; callbacks: { reference: string; start: number }[]; language: Language; timezone: string }): string {
  const en = args.language === 'en';
  const name = escapeMrkdwn(args.absent.name);
  const until = dayWords(args.until, args.language);
  const callbacks = args.callbacks.map((callback) => `${callback.reference} ${shortTime(toIso(callback.start, args.timezone), args.language)}`);
  const parts = [en ? `${name} is absent until ${until} inclusive, and not everything could be handed over.` : `${name} is afwezig tot en met ${until}, en niet alles kon worden overgedragen.`];
  if (args.threads.length > 0) parts.push(en ? `No colleague is present for: ${args.threads.join(', ')}.` : `Geen collega aanwezig voor: ${args.threads.join(', ')}.`);
  if (callbacks.length > 0) parts.push(en ? `Nobody is free for these callbacks; move them: ${callbacks.join(', ')}.` : `Niemand is vrij voor deze terugbelafspraken; verzet ze: ${callbacks.join(', ')}.`);
  return parts.join(' ');
}
