import { Router } from 'express';
import { z } from 'zod';
import { endAbsence } from '../../absence/absences';
import { declareAbsence } from '../../absence/declare';
import type { HubContext } from '../../context';
import { DomainError } from '../../core/errors';

const absenceBody = z.strictObject({ from: z.iso.date(), to: z.iso.date() });

/**
 * Absence of an agent (SPEC "Absence"):
 *   PUT /api/agents/:id/absence {from, to}   ISO dates, both included: 200 {absence: {agent, from, to}}
 *   DELETE /api/agents/:id/absence           the agent is back now: 200 {ended} (how many absences ended)
 * An unknown agent is 404. What is theirs during the absence goes to present colleagues when it begins.
 */
export function agentsRouter(ctx: HubContext): Router {
  const router = Router();
  const { timezone } = ctx.config;
  const agentOf = (id: string) => {
    const agent = ctx.config.agents.find((candidate) => candidate.id === id);
    if (!agent) throw new DomainError('not_found', `no agent "${id}"`);
    return agent;
  };

  router.put('/:id/absence', async (req, res) => {
    const agent = agentOf(req.params.id);
    const body = absenceBody.parse(req.body);
    const absence = await declareAbsence(ctx.db, { agentId: agent.id, ...body, by: 'api', now: ctx.clock(), timezone });
    res.json({ absence: { agent: agent.id, from: absence.from, to: absence.to } });
  });

  router.delete('/:id/absence', async (req, res) => {
    const agent = agentOf(req.params.id);
    res.json({ ended: await endAbsence(ctx.db, { agentId: agent.id, now: ctx.clock(), timezone }) });
  });

  return router;
}
