import { DateTime } from 'luxon';
import { z } from 'zod';
import { absentAt, currentAbsences } from '../absence/absences';
import { slackPoster } from '../channels/slack/slack-poster';
import type { HubContext } from '../context';
import type { Language } from '../core/contact';
import type { DbOrTrx } from '../core/db';
import { toIso } from '../core/format-time';
import { escapeMrkdwn, type SlackBlock } from '../handoff/render-slack';
import { shortTime } from '../handoff/render-common';
import { enqueueJob } from '../jobs/queue';
import type { JobHandler } from '../jobs/worker';
import type { PromiseKind } from '../promises/records';
import { promiseName } from '../promises/words';
import { mrkdwnToPlain } from './messages';

/** The managers' one message per working day: how the promises went, what is due today, who is away. */
export const PROMISE_DIGEST_JOB = 'promise-digest';

const payloadSchema = z.object({ since: z.number() }).nullable();
const BROKEN_LISTED = 10;
const DAY = 86_400_000;

/**
 * Asks for the digest at the first opening of the next working day of the default team's
 * calendar: today's, when it has not come yet (its date is the key, so one per working day
 * however often this is asked). The watch asks at every scan, and each digest asks for the next.
 */
export async function ensureDigestScheduled(db: DbOrTrx, ctx: Pick<HubContext, 'sla' | 'config'>, now: number, since?: number): Promise<void> {
  const calendar = ctx.sla.calendar(ctx.sla.defaultTeam);
  const today = DateTime.fromMillis(now, { zone: ctx.config.timezone }).startOf('day');
  const todays = calendar.nextOpening(today.toJSDate()).getTime();
  const runAt = todays >= now ? todays : calendar.nextOpening(today.plus({ days: 1 }).toJSDate()).getTime();
  const day = DateTime.fromMillis(runAt, { zone: ctx.config.timezone }).toISODate();
  await enqueueJob(db, { kind: PROMISE_DIGEST_JOB, payload: { since: since ?? runAt - DAY }, runAt, dedupeKey: `${PROMISE_DIGEST_JOB}:${day}` }, now);
}

interface TeamFigures {
  kept: number;
  broken: { reference: string; kind: PromiseKind; text: string | null; due: number }[];
  brokenCount: number;
  open: number;
  dueToday: number;
}

/** Posts the digest to SLACK_MANAGERS_CHANNEL (the outbox without a bot token), then asks for the next working day's. */
export function promiseDigestJob(ctx: HubContext): JobHandler {
  const poster = slackPoster(ctx.env);
  return async (job, trx) => {
    const now = ctx.clock();
    const since = payloadSchema.parse(job.payload)?.since ?? now - DAY;
    const channel = ctx.env.SLACK_MANAGERS_CHANNEL;
    if (channel) {
      const figures = await digestFigures(trx, { since, now, endOfDay: DateTime.fromMillis(now, { zone: ctx.config.timezone }).endOf('day').toMillis() });
      const absent = await absentLines(trx, ctx, now);
      // The managers' channel reads Dutch, like the team channels.
      const { text, blocks, plain } = digestMessage(ctx, { figures, absent, since, now, language: 'nl' });
      await poster.post(trx, { channel, text, blocks, plainText: plain, threadId: null, purpose: 'escalation' }, now);
    }
    await ensureDigestScheduled(trx, ctx, now + 1, now);
  };
}

async function digestFigures(db: DbOrTrx, args: { since: number; now: number; endOfDay: number }): Promise<Map<string, TeamFigures>> {
  const teams = new Map<string, TeamFigures>();
  const team = (id: string | null) => {
    const key = id ?? '';
    let figures = teams.get(key);
    if (!figures) teams.set(key, (figures = { kept: 0, broken: [], brokenCount: 0, open: 0, dueToday: 0 }));
    return figures;
  };
  // Settled in the window: by settled_at (indexed), so the figure costs the day, not the history.
  const settled: { team_id: string | null; state: string; reference: string; kind: PromiseKind; text: string | null; due: number | string }[] = await db('promises')
    .join('threads', 'threads.id', 'promises.thread_id')
    .where('promises.settled_at', '>=', args.since)
    .where('promises.settled_at', '<', args.now)
    .whereIn('promises.state', ['kept', 'broken'])
    .orderBy('promises.due')
    .select('threads.team_id', 'promises.state', 'threads.reference', 'promises.kind', 'promises.text', 'promises.due');
  for (const row of settled) {
    const figures = team(row.team_id);
    if (row.state === 'kept') figures.kept += 1;
    else {
      figures.brokenCount += 1;
      if (figures.broken.length < BROKEN_LISTED) figures.broken.push({ reference: row.reference, kind: row.kind, text: row.text, due: Number(row.due) });
    }
  }
  // Open promises are watched (watch_at set, indexed): counting them reads no settled history.
  const open: { team_id: string | null; open: number | string; due_today: number | string }[] = await db('promises')
    .join('threads', 'threads.id', 'promises.thread_id')
    .whereNotNull('promises.watch_at')
    .where('promises.state', 'open')
    .whereNot('promises.kind', 'acknowledgement')
    .groupBy('threads.team_id')
    .select('threads.team_id', db.raw('count(*) as open'), db.raw('sum(case when promises.due <= ? then 1 else 0 end) as due_today', [args.endOfDay]));
  for (const row of open) {
    const figures = team(row.team_id);
    figures.open = Number(row.open);
    figures.dueToday = Number(row.due_today ?? 0);
  }
  return teams;
}

async function absentLines(db: DbOrTrx, ctx: HubContext, now: number): Promise<{ name: string; until: string }[]> {
  const { timezone } = ctx.config;
  const absent = await absentAt(db, { at: now, timezone, agentIds: ctx.config.agents.map((agent) => agent.id) });
  const lines: { name: string; until: string }[] = [];
  for (const agent of ctx.config.agents.filter((candidate) => absent.has(candidate.id))) {
    const until = (await currentAbsences(db, { agentId: agent.id, now, timezone })).map((absence) => absence.to).sort().pop() ?? '';
    lines.push({ name: agent.name, until });
  }
  return lines;
}

const WORDS = {
  nl: {
    title: (day: string) => `Dagoverzicht beloftes, ${day}`,
    team: (f: TeamFigures, since: string) => `${f.kept} gehouden en ${f.brokenCount} niet gehouden sinds ${since}; ${f.open} open, waarvan ${f.dueToday} vandaag.`,
    broken: 'Niet gehouden',
    was: 'was uiterlijk',
    absent: 'Afwezig',
    until: 't/m',
    nothing: 'Geen beloftes gemaakt of open.',
  },
  en: {
    title: (day: string) => `Daily promise digest, ${day}`,
    team: (f: TeamFigures, since: string) => `${f.kept} kept and ${f.brokenCount} broken since ${since}; ${f.open} open, ${f.dueToday} of them due today.`,
    broken: 'Broken',
    was: 'was due',
    absent: 'Absent',
    until: 'until',
    nothing: 'No promises made or open.',
  },
} as const;

function digestMessage(
  ctx: HubContext,
  args: { figures: Map<string, TeamFigures>; absent: { name: string; until: string }[]; since: number; now: number; language: Language },
): { text: string; blocks: SlackBlock[]; plain: string } {
  const words = WORDS[args.language];
  const when = (at: number) => shortTime(toIso(at, ctx.config.timezone), args.language);
  const day = DateTime.fromMillis(args.now, { zone: ctx.config.timezone }).setLocale(args.language === 'en' ? 'en-GB' : 'nl-NL').toFormat('cccc d LLLL');
  const sections: string[] = [];
  for (const [teamId, figures] of args.figures) {
    const name = ctx.config.teams.find((team) => team.id === teamId)?.name ?? teamId;
    const broken = figures.broken.map((entry) => `• ${entry.reference}: ${escapeMrkdwn(promiseName(entry, args.language))}, ${words.was} ${when(entry.due)}`);
    sections.push([`*${escapeMrkdwn(name)}*: ${words.team(figures, when(args.since))}`, ...(broken.length > 0 ? [`${words.broken}:`, ...broken] : [])].join('\n'));
  }
  if (sections.length === 0) sections.push(words.nothing);
  if (args.absent.length > 0) sections.push(`${words.absent}: ${args.absent.map((agent) => `${escapeMrkdwn(agent.name)} (${words.until} ${agent.until})`).join(', ')}`);
  const title = words.title(day);
  return {
    text: title,
    blocks: [{ type: 'header', text: { type: 'plain_text', text: title } }, ...sections.map((text): SlackBlock => ({ type: 'section', text: { type: 'mrkdwn', text } }))],
    plain: [title, ...sections.map((text) => mrkdwnToPlain(text))].join('\n\n'),
  };
}
