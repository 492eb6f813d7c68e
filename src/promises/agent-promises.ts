import type { HubConfig } from '../config/hub-config';
import type { Db } from '../core/db';
import { DomainError } from '../core/errors';
import { toIso } from '../core/format-time';
import type { SlaClock } from '../core/sla';
import { recordEvent } from '../core/timeline';
import { threadByReference } from '../core/threads';
import { makePromises, settlePromise } from './lifecycle';
import { latestOfChain, promiseById } from './records';
import { promiseViews, type PromiseView } from './view';

/** An agent's promise in their words ("nieuw pakket uiterlijk vrijdag"): short enough for a card line and an SMS. */
export const AGENT_PROMISE_TEXT_MAX = 200;

function knownAgent(config: HubConfig, agent: string): void {
  if (!config.agents.some((candidate) => candidate.id === agent)) throw new DomainError('invalid_request', `unknown agent "${agent}"`);
}

async function viewOf(db: Db, args: { threadId: number; id: number; timezone: string }): Promise<PromiseView> {
  const thread = await db('threads').where({ id: args.threadId }).first('id', 'team_id', 'agent_id');
  return (await promiseViews(db, { thread, timezone: args.timezone })).find((view) => view.id === args.id) as PromiseView;
}

/**
 * What an agent promised the customer, with its due time: theirs to keep, watched like every
 * promise (warnings, escalation, a new time and a word to the customer when it breaks). She
 * heard it from the agent, so she counts as told.
 */
export async function makeAgentPromise(db: Db, sla: SlaClock, args: { reference: string; agent: string; text: string; due: number; now: number }): Promise<PromiseView> {
  knownAgent(sla.config, args.agent);
  if (args.due <= args.now) throw new DomainError('invalid_request', 'due must be a time still to come');
  const { threadId, id } = await db.transaction(async (trx) => {
    const thread = await threadByReference(trx, args.reference);
    if (thread.status !== 'open') throw new DomainError('conflict', `${thread.reference} is ${thread.status}`);
    const [promiseId] = (await makePromises(trx, sla, [{ threadId: thread.id, teamId: thread.team_id ?? sla.defaultTeam, kind: 'agent', madeAt: args.now, due: args.due, text: args.text, agentId: args.agent }], args.now)) as [number];
    await trx('promises').where({ id: promiseId }).update({ told_at: args.now });
    await trx('threads').where({ id: thread.id }).update({ updated_at: args.now, agent_action_at: args.now });
    await recordEvent(trx, { threadId: thread.id, kind: 'promise-made', at: args.now, data: { promiseId, agent: args.agent, text: args.text, due: toIso(args.due, sla.config.timezone) } });
    return { threadId: thread.id, id: promiseId };
  });
  return viewOf(db, { threadId, id, timezone: sla.config.timezone });
}

/**
 * An agent's promise kept. When it broke and was given a new time, the open promise of its chain
 * is the one kept (the console shows both; either may be pressed). Kept or cancelled already: 409.
 */
export async function keepAgentPromise(db: Db, config: HubConfig, args: { reference: string; id: number; agent: string; now: number }): Promise<PromiseView> {
  knownAgent(config, args.agent);
  const { threadId, id } = await db.transaction(async (trx) => {
    const thread = await threadByReference(trx, args.reference);
    const promise = await promiseById(trx, args.id);
    if (!promise || promise.threadId !== thread.id || promise.kind !== 'agent') throw new DomainError('not_found', `${thread.reference} has no agent's promise ${args.id}`);
    const latest = await latestOfChain(trx, promise);
    const settled = latest.state === 'open' ? await settlePromise(trx, latest, { outcome: 'kept', at: args.now, by: args.agent }) : undefined;
    if (!settled) throw new DomainError('conflict', `promise ${args.id} is ${latest.state}`);
    await trx('threads').where({ id: thread.id }).update({ updated_at: args.now, agent_action_at: args.now });
    await recordEvent(trx, { threadId: thread.id, kind: 'promise-kept', at: args.now, data: { promiseId: latest.id, agent: args.agent } });
    return { threadId: thread.id, id: latest.id };
  });
  return viewOf(db, { threadId, id, timezone: config.timezone });
}
