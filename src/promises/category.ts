import type { Priority } from '../config/hub-config';
import type { Db } from '../core/db';
import { DomainError } from '../core/errors';
import { toIso } from '../core/format-time';
import type { SlaClock } from '../core/sla';
import { recordEvent } from '../core/timeline';
import { threadByReference } from '../core/threads';
import { promiseFromRow, type PromiseKind, type PromiseRow } from './records';
import { watchSteps } from './steps';
import { enqueueWatchScan } from './watch-schedule';

/** The SLA promises a category or priority changes; an agent's promise and a callback keep the time they were given. */
const SLA_KINDS: readonly PromiseKind[] = ['first-response', 'resolution'];

/**
 * An agent sets a thread's category (and priority). Its first-response and resolution times
 * are worked out again from the thread's opening with the targets that now apply, and the watch
 * follows. A time the customer was already told is never moved later: that is hers to hold us
 * to (an earlier one she only benefits from). A promise already renewed after breaking keeps its
 * new time.
 */
export async function setCategory(
  db: Db,
  sla: SlaClock,
  args: { reference: string; category: string; priority?: Priority; agent: string; now: number },
): Promise<{ category: string; priority: Priority; firstResponseDue: string; resolutionDue: string }> {
  if (!sla.config.categories.some((category) => category.id === args.category)) throw new DomainError('invalid_request', `unknown category "${args.category}"`);
  if (!sla.config.agents.some((agent) => agent.id === args.agent)) throw new DomainError('invalid_request', `unknown agent "${args.agent}"`);
  return db.transaction(async (trx) => {
    const thread = await threadByReference(trx, args.reference);
    if (thread.status !== 'open') throw new DomainError('conflict', `${thread.reference} is ${thread.status}`);
    const priority: Priority = args.priority ?? ((await trx('threads').where({ id: thread.id }).first('priority')).priority as Priority);
    const teamId = thread.team_id ?? sla.defaultTeam;
    const due = sla.dueTimes({ teamId, category: args.category, priority }, Number(thread.created_at));
    const targets: Record<string, number> = { 'first-response': due.firstResponseDue, resolution: due.resolutionDue };
    // What the thread shows as its SLA times: changed only where an open promise changes.
    const shown: Record<string, number> = { 'first-response': Number(thread.first_response_due), resolution: Number(thread.resolution_due) };
    const open: PromiseRow[] = await trx('promises').where({ thread_id: thread.id, state: 'open' }).whereIn('kind', SLA_KINDS).whereNull('replaces_id');
    const calendar = sla.calendar(teamId);
    for (const row of open) {
      const promise = promiseFromRow(row);
      const target = targets[promise.kind] as number;
      const newDue = promise.toldAt !== null ? Math.min(promise.due, target) : target;
      if (newDue === promise.due) continue;
      const steps = watchSteps({ promise: { ...promise, due: newDue }, breakAt: newDue, escalation: sla.config.escalation, calendar });
      const watchedUntil = promise.watchedUntil ?? promise.madeAt - 1;
      const next = steps.find((step) => step.at > watchedUntil) ?? steps.at(-1);
      await trx('promises').where({ id: promise.id }).update({ due: newDue, watch_at: next?.at ?? newDue });
      await enqueueWatchScan(trx, { at: next?.at ?? newDue, now: args.now });
      shown[promise.kind] = newDue;
    }
    await trx('threads')
      .where({ id: thread.id })
      .update({ category: args.category, priority, first_response_due: shown['first-response'], resolution_due: shown.resolution, updated_at: args.now, agent_action_at: args.now });
    await recordEvent(trx, { threadId: thread.id, kind: 'category-set', at: args.now, data: { category: args.category, priority, agent: args.agent } });
    const iso = (at: number | undefined) => toIso(at as number, sla.config.timezone);
    return { category: args.category, priority, firstResponseDue: iso(shown['first-response']), resolutionDue: iso(shown.resolution) };
  });
}
