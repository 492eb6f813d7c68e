import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CALLBACK_CALL_JOB } from '../../src/callbacks/schedule';
import type { HubConfig } from '../../src/config/hub-config';
import type { Db } from '../../src/core/db';
import type { TwilioStandIn } from '../channels/twilio-helpers';

/**
 * Due callbacks for the callback benchmarks (callback-dispatch, callback-slot): customers with a
 * phone, an open thread each, a booked callback starting at `startFor(i)` with agent i % agents,
 * and its call job at that start. Returns the start of each callback, by id.
 */
export async function seedDueCallbacks(db: Db, args: { count: number; agents: string[]; teamId: string; slotMs: number; createdAt: number; startFor: (index: number) => number }): Promise<Map<number, number>> {
  const starts = new Map<number, number>();
  const at = args.createdAt;
  for (let offset = 0; offset < args.count; offset += 500) {
    const batch = Array.from({ length: Math.min(500, args.count - offset) }, (_, j) => offset + j);
    await db.transaction(async (trx) => {
      const customers: { id: number }[] = await trx('customers').insert(batch.map((i) => ({ name: `Klant ${i}`, language: 'nl', created_at: at })), ['id']);
      await trx('identities').insert(batch.map((i, j) => ({ customer_id: customers[j]?.id, kind: 'phone', value: `+3161${String(i).padStart(7, '0')}`, created_at: at })));
      const threads: { id: number }[] = await trx('threads').insert(
        batch.map((i, j) => ({ reference: `KL-${String(10_000_000 + i).slice(1)}0`, customer_id: customers[j]?.id, status: 'open', summary: 'Pakket beschadigd', language: 'nl', channel: 'sms', team_id: args.teamId, created_at: at, updated_at: at })),
        ['id'],
      );
      // Distinct (agent, start) pairs, as the partial unique index on booked callbacks demands.
      const rows = batch.map((i, j) => ({ thread_id: threads[j]?.id, team_id: args.teamId, agent_id: args.agents[i % args.agents.length], start: args.startFor(i), end: args.startFor(i) + args.slotMs, status: 'booked', booked_via: 'api', created_at: at }));
      const callbacks: { id: number }[] = await trx('callbacks').insert(rows, ['id']);
      await trx('jobs').insert(
        callbacks.map((callback, j) => ({ kind: CALLBACK_CALL_JOB, payload: JSON.stringify({ callbackId: callback.id, attempt: 1 }), dedupe_key: `${CALLBACK_CALL_JOB}:${callback.id}:1`, state: 'queued', run_at: rows[j]?.start, attempts: 0, max_attempts: 5, created_at: at })),
      );
      callbacks.forEach((callback, j) => starts.set(callback.id, rows[j]?.start as number));
    });
  }
  return starts;
}

/** A team of `count` agents with a phone each, written as a configuration file for the hub processes. */
export function agentsConfig(config: HubConfig, args: { count: number; dir: string }): { file: string; teamId: string; agents: string[] } {
  const team = config.teams[0];
  if (!team) throw new Error('the configuration has no team');
  const agents = Array.from({ length: args.count }, (_, i) => ({ id: `agent${i}`, name: `Agent ${i}`, team: team.id, phone: `+312012${String(i).padStart(5, '0')}` }));
  const file = join(args.dir, 'hub.json');
  writeFileSync(file, JSON.stringify({ ...config, agents }));
  return { file, teamId: team.id, agents: agents.map((agent) => agent.id) };
}

/** When the stand-in took each call the hub placed, by callback (the TwiML URL names it). */
export function callsByCallback(api: TwilioStandIn): Map<number, number[]> {
  const calls = new Map<number, number[]>();
  for (const call of api.created.calls) {
    const callbackId = Number(new URL(call.url ?? 'http://x/').searchParams.get('callback'));
    calls.set(callbackId, [...(calls.get(callbackId) ?? []), call.dateCreated]);
  }
  return calls;
}
