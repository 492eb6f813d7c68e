import { Router, type Response } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { currentAbsences, endAbsence } from '../absence/absences';
import { declareAbsence } from '../absence/declare';
import type { AgentConfig } from '../config/hub-config';
import type { HubContext } from '../context';
import { DomainError } from '../core/errors';
import { requireCsrf, type ConsoleRequest, type ConsoleUser } from './auth';

const absenceForm = z.object({ agent: z.string().max(100), from: z.iso.date(), to: z.iso.date() });
const endForm = z.object({ agent: z.string().max(100) });

const WORDS = {
  set: 'De afwezigheid is vastgelegd. Wat in die tijd van de medewerker is, gaat bij het begin naar een aanwezige collega.',
  ended: 'De medewerker is weer aanwezig.',
  notAllowed: 'Alleen de medewerker zelf of een teamleider van het team kan dit.',
};

/**
 * /console/absence: who is away, from when to when, and the form to set or end it. An agent
 * sets their own; a lead sets any agent's of their team (someone who fell ill cannot).
 */
export function absenceRouter(ctx: HubContext, render: { page: (res: Response, name: string, data: object, status?: number) => void; chrome: (user: ConsoleUser) => object }): Router {
  const router = Router();
  const { timezone } = ctx.config;
  const day = (date: string) => DateTime.fromISO(date).setLocale('nl-NL').toFormat('ccc d LLL yyyy');
  const mayManage = (user: ConsoleUser, agent: AgentConfig) => user.agent.id === agent.id || (user.agent.role === 'lead' && user.agent.team === agent.team);
  const agentFor = (user: ConsoleUser, id: string) => {
    const agent = ctx.config.agents.find((candidate) => candidate.id === id);
    if (!agent) throw new DomainError('not_found', `no agent "${id}"`);
    if (!mayManage(user, agent)) throw new DomainError('conflict', WORDS.notAllowed);
    return agent;
  };

  router.get('/', async (req: ConsoleRequest, res) => {
    const user = req.user as ConsoleUser;
    const now = ctx.clock();
    const rows = [];
    for (const agent of ctx.config.agents) {
      const absences = await currentAbsences(ctx.db, { agentId: agent.id, now, timezone });
      rows.push({ id: agent.id, name: agent.name, team: ctx.config.teams.find((team) => team.id === agent.team)?.name ?? agent.team, absences: absences.map((absence) => `${day(absence.from)} t/m ${day(absence.to)}`), canEnd: absences.length > 0 && mayManage(user, agent) });
    }
    const today = DateTime.fromMillis(now, { zone: timezone }).toISODate();
    render.page(res, 'absence', {
      ...render.chrome(user),
      notice: req.query.done === 'set' ? WORDS.set : req.query.done === 'ended' ? WORDS.ended : null,
      problem: typeof req.query.problem === 'string' ? req.query.problem.slice(0, 300) : null,
      rows,
      choices: ctx.config.agents.filter((agent) => mayManage(user, agent)).map((agent) => ({ value: agent.id, label: agent.name, selected: agent.id === user.agent.id })),
      today,
    });
  });

  /** Runs a change and returns to the page; a refusal is shown there. */
  const change = (path: string, run: (req: ConsoleRequest) => Promise<string>) =>
    router.post(path, requireCsrf, async (req: ConsoleRequest, res) => {
      try {
        res.redirect(303, `/console/absence?done=${await run(req)}`);
      } catch (error) {
        if (error instanceof DomainError || error instanceof z.ZodError) return res.redirect(303, `/console/absence?problem=${encodeURIComponent(error instanceof DomainError ? error.message : 'Vul beide datums in.')}`);
        throw error;
      }
    });
  change('/', async (req) => {
    const user = req.user as ConsoleUser;
    const form = absenceForm.parse(req.body);
    await declareAbsence(ctx.db, { agentId: agentFor(user, form.agent).id, from: form.from, to: form.to, by: user.agent.id, now: ctx.clock(), timezone });
    return 'set';
  });
  change('/end', async (req) => {
    await endAbsence(ctx.db, { agentId: agentFor(req.user as ConsoleUser, endForm.parse(req.body).agent).id, now: ctx.clock(), timezone });
    return 'ended';
  });
  return router;
}
