import { readFileSync } from 'node:fs';
import express, { Router, type ErrorRequestHandler, type Response } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { bookCallback, findSlots } from '../callbacks/booking';
import { offerSlotsInChat } from '../channels/chat/callback-offer';
import { rosterFor } from '../callbacks/roster';
import { slackPoster } from '../channels/slack/slack-poster';
import type { HubContext } from '../context';
import { CHANNELS, type Channel } from '../core/contact';
import { getDossier } from '../core/dossier';
import { DomainError } from '../core/errors';
import { customerChatSession } from '../core/chat';
import { undoMerge } from '../core/merge';
import { recentQuarantine, type QuarantineReason } from '../core/mail-quarantine';
import { recentOutbox } from '../core/outbox';
import { confirmAddress, rejectClaim } from '../core/proof';
import { addAdvice, resolveThread, sendReply } from '../core/thread-actions';
import { threadByReference } from '../core/threads';
import { refreshHandoffCardsInBackground } from '../handoff/cards';
import { handoffPlainText } from '../handoff/render-text';
import { currentHandoff, transferThread } from '../handoff/transfer';
import { clientKey } from '../http/client-address';
import { HttpError } from '../http/errors';
import { projectPath } from '../project-files';
import { render } from '../views/templates';
import { addressPanel, type AddressWords } from './address-words';
import { LOGIN_COOKIE, SESSION_COOKIE, cookieOptions, newSecret, readCookie, requireCsrf, requireLead, requireLogin, sameSecret, type ConsoleRequest, type ConsoleUser } from './auth';
import { LOCKOUT, checkLogin } from './credentials';
import { dossierTimeline, fileSize } from './dossier-view';
import { INBOX_PAGE_SIZE, inboxPage, type PromiseKind } from './inbox';
import { SESSION_HOURS, endConsoleSession, startConsoleSession } from './sessions';
import { teamCharts, teamStats } from './team-stats';
import { promisePanel } from './promise-panel';
import { absenceRouter } from './absence-routes';
import { PRIORITIES, type Priority } from '../config/hub-config';
import { AGENT_PROMISE_TEXT_MAX, keepAgentPromise, makeAgentPromise } from '../promises/agent-promises';
import { setCategory } from '../promises/category';

const ASSETS = {
  'console.css': { type: 'text/css; charset=utf-8', body: readFileSync(projectPath('public', 'console', 'console.css')) },
  'console.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(projectPath('public', 'console', 'console.js')) },
};

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // Our own script and stylesheet only; the charts are inline SVG drawn by the server.
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
};

const PROMISE_WORD: Record<PromiseKind, string> = { acknowledgement: 'ontvangstbevestiging', 'first-response': 'eerste reactie', callback: 'terugbellen', resolution: 'oplossing' };
const CHANNEL_WORD: Record<Channel, string> = { voice: 'Telefoon', sms: 'SMS', email: 'E-mail', chat: 'Chat' };

const inboxQuery = z.object({
  status: z.enum(['open', 'resolved']).catch('open'),
  team: z.string().max(100).optional().catch(undefined),
  channel: z.enum(CHANNELS).optional().catch(undefined),
  q: z.string().trim().max(200).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});
const loginForm = z.object({ agent: z.string().trim().min(1).max(100), password: z.string().min(1).max(1_000), csrf: z.string().max(100), next: z.string().max(500).optional() });
const text = z.string().trim().min(1, 'leeg').max(10_000);
const replyForm = z.object({ text, channel: z.enum(CHANNELS).optional().or(z.literal('').transform(() => undefined)) });
const adviceForm = z.object({ text });
const transferForm = z.object({ to: z.string().max(120), note: z.string().trim().max(2_000).optional() });
const callbackForm = z.object({ start: z.coerce.number().int().positive() });
const resolveForm = z.object({ resolution: text });
const promiseForm = z.object({ text: z.string().trim().min(1, 'leeg').max(AGENT_PROMISE_TEXT_MAX), due: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d$/, 'datum en tijd') });
const keepForm = z.object({ id: z.coerce.number().int().positive() });
const categoryForm = z.object({ category: z.string().trim().min(1).max(100), priority: z.enum(PRIORITIES) });
// Chat sessions prove themselves; an agent vouches only for a number or a mail address.
const addressForm = z.object({ kind: z.enum(['phone', 'email']), value: z.string().trim().min(1, 'leeg').max(254) });

/**
 * The agents' console (SPEC "Console"): server-rendered pages for every logged-in agent (inbox,
 * dossier with its actions) and the team view for leads. Every action calls the same core
 * functions as the REST API and then redirects back (post/redirect/get).
 */
export function consoleRouter(ctx: HubContext): Router {
  const router = Router();
  const { timezone } = ctx.config;
  const roster = rosterFor(ctx.config);
  const poster = slackPoster(ctx.env);
  const when = (at: number) => DateTime.fromMillis(at, { zone: timezone }).setLocale('nl-NL').toFormat('ccc d LLL HH:mm');
  const agentName = (id: string) => ctx.config.agents.find((agent) => agent.id === id)?.name ?? id;
  /** A browser's datetime-local value ("2026-11-27T17:00") is a time in the business zone. */
  const localTime = (value: string) => {
    const at = DateTime.fromISO(value, { zone: timezone });
    if (!at.isValid) throw new DomainError('invalid_request', `geen geldige tijd: ${value}`);
    return at.toMillis();
  };
  const words: AddressWords = { when, agentName };
  const page = (res: Response, name: string, data: object, status = 200) => res.status(status).set(HEADERS).send(render(`console/${name}`, { language: 'nl', format: 'html' }, data));
  const chrome = (user: ConsoleUser) => ({ me: { name: user.agent.name, lead: user.agent.role === 'lead' }, csrf: user.csrfToken });

  router.use(express.urlencoded({ extended: false, limit: '64kb' }));
  for (const [name, asset] of Object.entries(ASSETS)) {
    router.get(`/assets/${name}`, (_req, res) => {
      res.set({ 'content-type': asset.type, 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff' }).send(asset.body);
    });
  }

  router.get('/login', (req, res) => {
    const csrf = newSecret();
    res.cookie(LOGIN_COOKIE, csrf, cookieOptions(ctx, 30 * 60_000));
    page(res, 'login', { csrf, error: null, agent: '', next: typeof req.query.next === 'string' ? req.query.next : '/console' });
  });

  router.post('/login', async (req, res) => {
    const form = loginForm.parse(req.body);
    const next = form.next?.startsWith('/console') && !form.next.startsWith('//') ? form.next : '/console';
    const again = (status: number, error: string) => {
      const csrf = newSecret();
      res.cookie(LOGIN_COOKIE, csrf, cookieOptions(ctx, 30 * 60_000));
      page(res, 'login', { csrf, error, agent: form.agent, next }, status);
    };
    if (!sameSecret(form.csrf, readCookie(req, LOGIN_COOKIE) ?? '')) return again(403, 'Het formulier was verlopen. Probeer het opnieuw.');
    const now = ctx.clock();
    const result = await checkLogin(ctx.db, { agentId: form.agent, password: form.password, client: clientKey(req, 'console-login'), now });
    if (result.outcome === 'locked') return again(429, `Te veel mislukte pogingen. Probeer het opnieuw na ${DateTime.fromMillis(result.until, { zone: timezone }).toFormat('HH:mm')} (${LOCKOUT.minutes} minuten).`);
    if (result.outcome === 'wrong' || !ctx.config.agents.some((agent) => agent.id === form.agent)) return again(401, 'Onbekende medewerker of verkeerd wachtwoord.');
    const { token } = await startConsoleSession(ctx.db, { agentId: form.agent, now });
    res.clearCookie(LOGIN_COOKIE, cookieOptions(ctx));
    res.cookie(SESSION_COOKIE, token, cookieOptions(ctx, SESSION_HOURS * 3_600_000));
    res.redirect(303, next);
  });

  router.use(requireLogin(ctx));

  router.post('/logout', requireCsrf, async (req: ConsoleRequest, res) => {
    await endConsoleSession(ctx.db, (req.user as ConsoleUser).sessionToken);
    res.clearCookie(SESSION_COOKIE, cookieOptions(ctx));
    res.redirect(303, '/console/login');
  });

  router.get('/', async (req: ConsoleRequest, res) => {
    const filters = inboxQuery.parse(req.query);
    const now = ctx.clock();
    const inbox = await inboxPage(ctx.db, filters, { acknowledgeMs: ctx.config.sla.acknowledgeSeconds * 1000 });
    const link = (pageNumber: number) => `/console?${new URLSearchParams({ status: filters.status, ...(filters.team ? { team: filters.team } : {}), ...(filters.channel ? { channel: filters.channel } : {}), ...(filters.q ? { q: filters.q } : {}), page: String(pageNumber) })}`;
    page(res, 'inbox', {
      ...chrome(req.user as ConsoleUser),
      filters: { q: filters.q ?? '' },
      statuses: [
        { value: 'open', label: 'Open', selected: filters.status === 'open' },
        { value: 'resolved', label: 'Afgehandeld', selected: filters.status === 'resolved' },
      ],
      teams: [{ value: '', label: 'Alle teams', selected: !filters.team }, ...ctx.config.teams.map((team) => ({ value: team.id, label: team.name, selected: filters.team === team.id }))],
      channels: [{ value: '', label: 'Alle kanalen', selected: !filters.channel }, ...CHANNELS.map((channel) => ({ value: channel, label: CHANNEL_WORD[channel], selected: filters.channel === channel }))],
      total: inbox.total,
      from: inbox.total === 0 ? 0 : (filters.page - 1) * INBOX_PAGE_SIZE + 1,
      to: (filters.page - 1) * INBOX_PAGE_SIZE + inbox.rows.length,
      previous: filters.page > 1 ? link(filters.page - 1) : null,
      next: inbox.hasNext ? link(filters.page + 1) : null,
      rows: inbox.rows.map((row) => ({
        reference: row.reference,
        customer: row.customerName ?? '(naam onbekend)',
        summary: row.summary ?? '',
        status: row.status === 'open' ? 'open' : 'afgehandeld',
        team: ctx.config.teams.find((team) => team.id === row.team)?.name ?? row.team ?? '',
        agent: row.agent ? agentName(row.agent) : '',
        channels: row.channels.map((channel) => CHANNEL_WORD[channel]).join(', '),
        next: row.next ? { what: PROMISE_WORD[row.next.kind], due: row.next.due, when: when(row.next.due), left: timeLeft(row.next.due, now), late: row.next.due < now } : null,
      })),
    });
  });

  router.get('/threads/:reference', async (req: ConsoleRequest, res) => {
    const now = ctx.clock();
    const dossier = await getDossier(ctx.db, { reference: req.params.reference as string, timezone, now });
    const thread = await threadByReference(ctx.db, dossier.reference);
    const open = thread.status === 'open';
    const slots = open ? await findSlots(ctx.db, roster, { teamId: thread.team_id ?? roster.defaultTeam, now, limit: 6, ignoreThreadId: thread.id }) : [];
    const merges: { id: number; at: number; by: string | null }[] = await ctx.db('customer_merges').where({ into_customer_id: dossier.customer.id }).whereNull('undone_at').orderBy('id').select('id', 'at', 'by');
    const handoff = open ? handoffPlainText(await currentHandoff(ctx, { reference: dossier.reference, now })) : null;
    const booked = dossier.callbacks.find((callback) => callback.status === 'booked');
    page(res, 'dossier', {
      ...chrome(req.user as ConsoleUser),
      notice: typeof req.query.done === 'string' ? DONE_WORD[req.query.done] ?? null : null,
      problem: typeof req.query.problem === 'string' ? req.query.problem.slice(0, 300) : null,
      reference: dossier.reference,
      open,
      status: open ? 'open' : 'afgehandeld',
      team: ctx.config.teams.find((team) => team.id === dossier.team)?.name ?? dossier.team ?? '',
      agent: dossier.agent ? agentName(dossier.agent) : '',
      customer: { name: dossier.customer.name ?? '(naam onbekend)', ...addressPanel(dossier.customer, words) },
      summary: dossier.issue.summary ?? '',
      breached: dossier.sla.breached,
      promises: promisePanel(dossier, { config: ctx.config, language: 'nl', now, when, timeLeft }),
      category: ctx.config.categories.find((category) => category.id === dossier.issue.category)?.name ?? dossier.issue.category ?? '',
      categories: ctx.config.categories.map((category) => ({ value: category.id, label: category.name, selected: category.id === dossier.issue.category })),
      priorities: PRIORITIES.map((priority) => ({ value: priority, label: PRIORITY_WORD[priority], selected: priority === thread.priority })),
      high: thread.priority === 'high',
      merges: merges.map((merge) => ({ id: merge.id, when: when(Number(merge.at)), by: merge.by ?? '' })),
      timeline: (await dossierTimeline(ctx.db, { threadId: thread.id, words })).map((entry) => ({ ...entry, when: when(entry.at), channelWord: entry.channel ? CHANNEL_WORD[entry.channel] : '' })),
      booked: booked ? { when: when(Date.parse(booked.start)), agent: booked.agent } : null,
      slots: slots.map((slot) => ({ start: slot.start, when: when(slot.start) })),
      inChat: open && (await customerChatSession(ctx.db, thread)) !== undefined,
      replyChannels: [{ value: '', label: 'Laatst gebruikte kanaal' }, ...(['sms', 'email', 'chat'] as const).map((channel) => ({ value: channel, label: CHANNEL_WORD[channel] }))],
      transferTargets: [
        ...ctx.config.teams.map((team) => ({ value: `team:${team.id}`, label: `Team ${team.name}` })),
        ...ctx.config.agents.map((agent) => ({ value: `agent:${agent.id}`, label: agent.name })),
      ],
      handoff,
    });
  });

  /**
   * Runs a dossier action and returns to the dossier; a refusal (no address, slot taken) is shown
   * there, not as an error page. What a handoff card shows (advice, a callback, the resolution)
   * is redrawn on the thread's Slack cards afterwards, as after the same REST call.
   */
  const action = (name: string, run: (req: ConsoleRequest, reference: string, now: number) => Promise<void>, options: { changesCards: boolean }) =>
    router.post(`/threads/:reference/${name}`, requireCsrf, async (req: ConsoleRequest, res) => {
      const reference = req.params.reference as string;
      const back = `/console/threads/${encodeURIComponent(reference)}`;
      try {
        await run(req, reference, ctx.clock());
      } catch (error) {
        if (error instanceof DomainError || error instanceof z.ZodError) return res.redirect(303, `${back}?problem=${encodeURIComponent(error instanceof DomainError ? error.message : 'Vul het formulier volledig in.')}`);
        throw error;
      }
      if (options.changesCards) refreshHandoffCardsInBackground(ctx, poster, reference, ctx.clock());
      res.redirect(303, `${back}?done=${name}`);
    });

  const agentOf = (req: ConsoleRequest) => (req.user as ConsoleUser).agent.id;
  action('reply', async (req, reference, now) => {
    const form = replyForm.parse(req.body);
    await sendReply(ctx.db, ctx.senders, { reference, agent: agentOf(req), text: form.text, channel: form.channel, now });
  }, { changesCards: false });
  action('advice', async (req, reference, now) => {
    await addAdvice(ctx.db, { reference, agent: agentOf(req), text: adviceForm.parse(req.body).text, now });
  }, { changesCards: true });
  action('transfer', async (req, reference, now) => {
    const form = transferForm.parse(req.body);
    const [kind, id] = form.to.split(':');
    await transferThread(ctx, poster, { reference, fromAgent: agentOf(req), ...(kind === 'agent' ? { toAgent: id } : { toTeam: id }), note: form.note || undefined, now });
  }, { changesCards: false });
  action('callbacks', async (req, reference, now) => {
    await bookCallback(ctx.db, roster, { reference, start: callbackForm.parse(req.body).start, now, via: 'console' });
  }, { changesCards: true });
  // The customer picks one of the times in the chat; the booking then shows here and on the cards.
  action('chat-offer', async (_req, reference) => {
    const thread = await threadByReference(ctx.db, reference);
    const session = await customerChatSession(ctx.db, thread);
    if (!session) throw new DomainError('conflict', `${reference} has no chat to offer times in`);
    await offerSlotsInChat(ctx, session);
  }, { changesCards: false });
  // An agent's own promise to the customer, and keeping it; the category and priority that set the SLA.
  action('promises', async (req, reference, now) => {
    const form = promiseForm.parse(req.body);
    await makeAgentPromise(ctx.db, ctx.sla, { reference, agent: agentOf(req), text: form.text, due: localTime(form.due), now });
  }, { changesCards: true });
  action('promises/keep', async (req, reference, now) => {
    await keepAgentPromise(ctx.db, ctx.config, { reference, id: keepForm.parse(req.body).id, agent: agentOf(req), now });
  }, { changesCards: true });
  action('category', async (req, reference, now) => {
    await setCategory(ctx.db, ctx.sla, { reference, ...categoryForm.parse(req.body), agent: agentOf(req), now });
  }, { changesCards: true });
  action('resolve', async (req, reference, now) => {
    await resolveThread(ctx.db, ctx.senders, { reference, agent: agentOf(req), resolution: resolveForm.parse(req.body).resolution, now });
  }, { changesCards: true });
  // A claim the agent vouches for, or an address the customer gave on the phone; the handoff card lists the customer's addresses.
  action('identities/confirm', async (req, reference, now) => {
    await confirmAddress(ctx.db, { reference, identity: addressForm.parse(req.body), agent: agentOf(req), now });
  }, { changesCards: true });
  action('identities/reject', async (req, reference, now) => {
    await rejectClaim(ctx.db, { reference, identity: addressForm.parse(req.body), agent: agentOf(req), now });
  }, { changesCards: true });

  router.post('/merges/:id/undo', requireCsrf, async (req: ConsoleRequest, res) => {
    const reference = z.string().max(20).parse(req.body.reference);
    await undoMerge(ctx.db, { mergeId: z.coerce.number().int().parse(req.params.id), by: agentOf(req), now: ctx.clock(), timezone });
    res.redirect(303, `/console/threads/${encodeURIComponent(reference)}?done=undo`);
  });

  router.use('/absence', absenceRouter(ctx, { page, chrome }));

  // Without provider credentials nothing leaves the hub: this is where agents see what would have gone out.
  router.get('/outbox', async (req: ConsoleRequest, res) => {
    const messages = await recentOutbox(ctx.db, { limit: 200, timezone });
    page(res, 'outbox', { ...chrome(req.user as ConsoleUser), messages: messages.map((message) => ({ ...message, when: when(Date.parse(message.at)), subject: message.subject ?? '', reference: message.reference ?? '' })) });
  });

  // Mail the hub set aside so the mail behind it keeps flowing: where it is, and why.
  router.get('/quarantine', async (req: ConsoleRequest, res) => {
    const mails = await recentQuarantine(ctx.db, { limit: 200 });
    page(res, 'quarantine', {
      ...chrome(req.user as ConsoleUser),
      mailbox: ctx.env.IMAP_MAILBOX,
      quarantineMailbox: ctx.env.IMAP_QUARANTINE_MAILBOX,
      mails: mails.map((mail) => ({
        when: when(mail.at),
        sender: mail.sender ?? '(geen afzender)',
        subject: mail.subject ?? '(geen onderwerp)',
        messageId: mail.messageId ?? '',
        why: QUARANTINE_WORD[mail.reason](mail.attempts),
        error: mail.error,
        size: fileSize(mail.size),
      })),
    });
  });

  router.get('/team', requireLead, async (req: ConsoleRequest, res) => {
    const now = ctx.clock();
    const team = typeof req.query.team === 'string' && ctx.config.teams.some((candidate) => candidate.id === req.query.team) ? req.query.team : undefined;
    const stats = await teamStats(ctx.db, { config: ctx.config, now, team });
    page(res, 'team', {
      ...chrome(req.user as ConsoleUser),
      teams: [{ value: '', label: 'Alle teams', selected: !team }, ...ctx.config.teams.map((candidate) => ({ value: candidate.id, label: candidate.name, selected: candidate.id === team }))],
      charts: teamCharts(stats, CHANNEL_WORD),
      atRisk: stats.atRisk.map((row) => ({ reference: row.reference, name: row.name ?? '', promise: PROMISE_WORD[row.promise], when: when(row.due), left: timeLeft(row.due, now), late: row.due < now })),
    });
  });

  router.use(consoleErrorPage(page));
  return router;
}

const QUARANTINE_WORD: Record<QuarantineReason, (attempts: number) => string> = {
  unreadable: () => 'Onleesbaar: de hub kan dit bericht niet ontleden.',
  'not-stored': (attempts) => `Niet opgeslagen na ${attempts} pogingen.`,
};

const PRIORITY_WORD: Record<Priority, string> = { normal: 'normaal', high: 'hoog' };

const DONE_WORD: Record<string, string> = {
  promises: 'De belofte is vastgelegd.',
  'promises/keep': 'De belofte is nagekomen.',
  category: 'Categorie en prioriteit zijn ingesteld; de beloofde tijden zijn bijgewerkt.',
  reply: 'Uw antwoord is verstuurd.',
  advice: 'Het advies is vastgelegd.',
  transfer: 'De klacht is overgedragen.',
  callbacks: 'De terugbelafspraak staat.',
  'chat-offer': 'De klant ziet nu vrije tijden in de chat.',
  resolve: 'De klacht is afgehandeld.',
  undo: 'De samenvoeging is ongedaan gemaakt.',
  'identities/confirm': 'Het adres is bevestigd.',
  'identities/reject': 'Het mogelijke adres is afgewezen.',
};

/** "nog 2 u 15 min" or "35 min te laat": what an agent needs at a glance. */
export function timeLeft(due: number, now: number): string {
  const minutes = Math.round(Math.abs(due - now) / 60_000);
  const span = minutes >= 24 * 60 ? `${Math.floor(minutes / 1440)} d ${Math.floor((minutes % 1440) / 60)} u` : minutes >= 60 ? `${Math.floor(minutes / 60)} u ${minutes % 60} min` : `${minutes} min`;
  return due >= now ? `nog ${span}` : `${span} te laat`;
}

/** Refusals in the console are pages a person reads (403 for a lead-only page, CSRF), not JSON. */
function consoleErrorPage(page: (res: Response, name: string, data: object, status?: number) => void): ErrorRequestHandler {
  return (error, _req, res, next) => {
    if (error instanceof HttpError && error.status < 500) return page(res, 'error', { status: error.status, message: error.message }, error.status);
    if (error instanceof DomainError && error.code === 'not_found') return page(res, 'error', { status: 404, message: error.message }, 404);
    next(error);
  };
}
