import { App, ExpressReceiver, LogLevel, webApi, type BlockAction, type ButtonAction, type Logger as BoltLogger } from '@slack/bolt';
import { Router, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { AgentConfig } from '../../config/hub-config';
import type { HubContext } from '../../context';
import type { Language } from '../../core/contact';
import { DomainError } from '../../core/errors';
import { addAdvice, resolveThread } from '../../core/thread-actions';
import { CALLBACK_START_ACTION, escapeMrkdwn, HANDOFF_ACTIONS, handoffSlackCard } from '../../handoff/render-slack';
import { startedByAgent } from '../../callbacks/execution';
import { refreshHandoffCards } from '../../handoff/cards';
import { acceptHandoff, currentHandoff } from '../../handoff/transfer';
import { bookCallback, findSlots } from '../../callbacks/booking';
import { rosterFor } from '../../callbacks/roster';
import { threadByReference } from '../../core/threads';
import { CALLBACK_VIEW, callbackModal, MODAL_SLOTS, SLOT_INPUT, slotLabel } from './callback-modal';
import { slackApiUrl, slackPoster } from './slack-poster';
import { absenceCommand } from './absence-command';

/** Modal callback ids; `private_metadata` carries the thread reference. */
const VIEWS = { addAdvice: 'handoff_add_advice_modal', resolve: 'handoff_resolve_modal' } as const;
const INPUT = { block: 'input', action: 'text' } as const;

/**
 * Slack's way in: events, interactivity (the handoff card's buttons and modals) and the
 * `/klacht` slash command, all on POST /slack/events (mount at /slack). Bolt verifies the
 * signature and the 5-minute timestamp window and answers 401 when either fails. Without
 * SLACK_SIGNING_SECRET nothing can be verified, so the endpoint says it is not configured.
 */
export function slackRouter(ctx: HubContext): Router {
  const signingSecret = ctx.env.SLACK_SIGNING_SECRET;
  if (!signingSecret) {
    const router = Router();
    router.post('/events', (_req, res) => {
      res.status(503).json({ error: { code: 'slack_not_configured', message: 'Slack is not configured on this hub (SLACK_SIGNING_SECRET is unset)' } });
    });
    return router;
  }

  const logger = boltLogger(ctx.logger.child({ component: 'slack' }));
  const receiver = new ExpressReceiver({ signingSecret, endpoints: '/events', logger, processBeforeResponse: false });
  const token = ctx.env.SLACK_BOT_TOKEN;
  const app = new App({
    receiver,
    logger,
    // With a bot token the bot's identity comes from auth.test on the first request, not at start, and is
    // remembered: Bolt's own lazy variant (token + tokenVerificationEnabled: false) calls auth.test
    // before every single ack.
    authorize: token ? cachedAuthorize(token, slackApiUrl(ctx.env)) : async () => ({}),
    clientOptions: { slackApiUrl: slackApiUrl(ctx.env), retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 500 } },
  });
  registerHandlers(app, ctx);
  app.error(async (error) => {
    ctx.logger.error({ err: error }, 'Slack request failed');
  });
  const router = Router();
  router.post('/events', refuseFutureTimestamps(() => Date.now()));
  router.use(receiver.router as Router);
  return router;
}

/** Slack's rule for its signed requests: more than five minutes away from our clock, either way, is refused. */
const SLACK_TIMESTAMP_WINDOW_S = 5 * 60;

/**
 * Bolt refuses a request signed over five minutes ago, but takes one signed in the future, which a
 * captured request could then be replayed with for longer. The wall clock, as Bolt's check uses:
 * the timestamp is Slack's, compared with real time, not the hub's business clock.
 */
function refuseFutureTimestamps(wallClock: () => number): RequestHandler {
  return (req, res, next) => {
    const timestamp = Number(req.get('x-slack-request-timestamp'));
    if (Number.isFinite(timestamp) && timestamp - wallClock() / 1000 > SLACK_TIMESTAMP_WINDOW_S) {
      res.status(401).json({ error: { code: 'unauthorized', message: 'the Slack request timestamp is in the future' } });
      return;
    }
    next();
  };
}

function registerHandlers(app: App, ctx: HubContext): void {
  const agentOf = (slackUserId: string): AgentConfig | undefined => ctx.config.agents.find((agent) => agent.slackUserId === slackUserId);
  const notLinked = (language: Language) =>
    language === 'en'
      ? 'Your Slack account is not linked to a Klachtenhub agent (slackUserId in the hub configuration).'
      : 'Je Slack-account is niet gekoppeld aan een Klachtenhub-agent (slackUserId in de hubconfiguratie).';

  /** Tells one user what went wrong, privately, where the click came from (or in a DM). */
  async function tellUser(client: webApi.WebClient, args: { user: string; channel?: string; text: string }): Promise<void> {
    try {
      if (args.channel) await client.chat.postEphemeral({ channel: args.channel, user: args.user, text: args.text });
      else await client.chat.postMessage({ channel: args.user, text: args.text });
    } catch (error) {
      ctx.logger.warn({ err: error }, 'could not tell a Slack user about a failed action');
    }
  }
  const roster = rosterFor(ctx.config);
  const poster = slackPoster(ctx.env);
  const reasonOf = (error: unknown) => (error instanceof DomainError ? error.message : 'er ging iets mis / something went wrong');

  app.action<BlockAction<ButtonAction>>(HANDOFF_ACTIONS.accept, async ({ ack, body, action, client }) => {
    await ack();
    const reference = action.value ?? '';
    const agent = agentOf(body.user.id);
    const channel = body.channel?.id;
    if (!agent) return tellUser(client, { user: body.user.id, channel, text: notLinked('nl') });
    try {
      const now = ctx.clock();
      const result = await acceptHandoff(ctx, { reference, agent, now });
      if (!result.accepted) {
        const holder = ctx.config.agents.find((candidate) => candidate.id === result.heldBy)?.name ?? result.heldBy;
        return tellUser(client, { user: body.user.id, channel, text: agent.language === 'en' ? `${reference} is already taken by ${holder}.` : `${reference} is al aangenomen door ${holder}.` });
      }
      // A card in a direct message speaks the agent's language; one in a team channel stays Dutch.
      const clicked = channel && body.message?.ts ? { channel, ts: body.message.ts, language: channel.startsWith('D') ? agent.language : ('nl' as Language) } : undefined;
      await refreshHandoffCards(ctx, poster, { reference, now, clicked });
    } catch (error) {
      ctx.logger.warn({ err: error, reference }, 'accepting a handoff from Slack failed');
      await tellUser(client, { user: body.user.id, channel, text: reasonOf(error) });
    }
  });

  // "I am calling now" on a due callback's card (a hub without a phone system): records the start for punctuality.
  app.action<BlockAction<ButtonAction>>(CALLBACK_START_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    const agent = agentOf(body.user.id);
    const channel = body.channel?.id;
    if (!agent) return tellUser(client, { user: body.user.id, channel, text: notLinked('nl') });
    const started = await startedByAgent(ctx, { callbackId: Number(action.value), agentId: agent.id });
    const en = agent.language === 'en';
    const text = started
      ? en ? `Call ${started.phone} now (${started.reference}); the start is recorded.` : `Bel nu ${started.phone} (${started.reference}); de start is genoteerd.`
      : en ? 'This callback was already started or is no longer booked.' : 'Deze terugbelafspraak is al gestart of vervallen.';
    await tellUser(client, { user: body.user.id, channel, text });
  });

  // Add advice and resolve ask the agent for one text; the submission handlers below act on it.
  const textModals = [
    { action: HANDOFF_ACTIONS.addAdvice, callbackId: VIEWS.addAdvice, labels: TEXT_MODAL_LABELS.addAdvice },
    { action: HANDOFF_ACTIONS.resolve, callbackId: VIEWS.resolve, labels: TEXT_MODAL_LABELS.resolve },
  ];
  for (const modal of textModals) {
    app.action<BlockAction<ButtonAction>>(modal.action, async ({ ack, body, action, client }) => {
      await ack();
      const language = agentOf(body.user.id)?.language ?? 'nl';
      await client.views.open({
        trigger_id: body.trigger_id,
        view: inputModal({ callbackId: modal.callbackId, reference: action.value ?? '', ...modal.labels[language] }),
      });
    });
  }

  // Book callback: a modal with the next free slots of the thread's team; its submission books one.
  app.action<BlockAction<ButtonAction>>(HANDOFF_ACTIONS.bookCallback, async ({ ack, body, action, client }) => {
    await ack();
    const reference = action.value ?? '';
    const language = agentOf(body.user.id)?.language ?? 'nl';
    const { timezone } = ctx.config;
    let view: ReturnType<typeof callbackModal>;
    try {
      const thread = await threadByReference(ctx.db, reference);
      if (thread.status !== 'open') {
        const problem = language === 'en' ? `${thread.reference} is ${thread.status}: no callback can be booked.` : `${thread.reference} is afgesloten: er kan niet worden teruggebeld.`;
        view = callbackModal({ reference: thread.reference, slots: [], timezone, language, problem });
      } else {
        const slots = await findSlots(ctx.db, roster, { teamId: thread.team_id ?? roster.defaultTeam, now: ctx.clock(), limit: MODAL_SLOTS, ignoreThreadId: thread.id });
        view = callbackModal({ reference: thread.reference, slots, timezone, language });
      }
    } catch (error) {
      ctx.logger.warn({ err: error, reference }, 'could not list callback slots for Slack');
      view = callbackModal({ reference, slots: [], timezone, language, problem: `${escapeMrkdwn(reference)}: ${escapeMrkdwn(reasonOf(error))}` });
    }
    await client.views.open({ trigger_id: body.trigger_id, view });
  });

  // Booking happens before the acknowledgement, so that a slot taken meanwhile can be shown on the select itself.
  app.view(CALLBACK_VIEW, async ({ ack, body, view, client }) => {
    const agent = agentOf(body.user.id);
    const language = agent?.language ?? 'nl';
    const reference = view.private_metadata;
    const refuse = (message: string) => ack({ response_action: 'errors', errors: { [SLOT_INPUT.block]: message } });
    if (!agent) return void (await refuse(notLinked('nl')));
    const start = Number(view.state.values[SLOT_INPUT.block]?.[SLOT_INPUT.action]?.selected_option?.value);
    if (!Number.isSafeInteger(start)) return void (await refuse(language === 'en' ? 'Pick a time.' : 'Kies een tijd.'));
    const label = slotLabel(start, { timezone: ctx.config.timezone, language });
    try {
      await bookCallback(ctx.db, roster, { reference, start, now: ctx.clock(), via: 'slack' });
    } catch (error) {
      ctx.logger.info({ err: error, reference, start }, 'callback from Slack not booked');
      if (error instanceof DomainError && error.code === 'conflict') {
        const open = await threadByReference(ctx.db, reference).then((thread) => thread.status === 'open', () => false);
        const message = !open
          ? language === 'en' ? `${reference} is no longer open.` : `${reference} is niet meer open.`
          : language === 'en' ? `${label} was just taken. Pick another time (close and reopen for a fresh list).` : `${label} is net bezet geraakt. Kies een andere tijd (sluit en open opnieuw voor een verse lijst).`;
        return void (await refuse(message));
      }
      return void (await refuse(reasonOf(error)));
    }
    await ack();
    await tellUser(client, {
      user: body.user.id,
      text: language === 'en' ? `Callback for ${reference} booked: ${label}.` : `Terugbellen voor ${reference} gepland: ${label}.`,
    });
    await refreshHandoffCards(ctx, poster, { reference, now: ctx.clock() });
  });

  // The two text modals: a linked agent and a non-empty text, else an error on the field; the
  // action itself runs after the ack (resolving may send the satisfaction question through a provider).
  const textSubmissions: {
    view: string;
    missing: Record<Language, string>;
    failure: string;
    act: (reference: string, agent: AgentConfig, text: string) => Promise<unknown>;
  }[] = [
    {
      view: VIEWS.addAdvice,
      missing: { nl: 'Vul het advies in.', en: 'Write the advice.' },
      failure: 'advice from Slack was not stored',
      act: (reference, agent, text) => addAdvice(ctx.db, { reference, agent: agent.id, text, now: ctx.clock() }),
    },
    {
      view: VIEWS.resolve,
      missing: { nl: 'Beschrijf de oplossing.', en: 'Describe the resolution.' },
      failure: 'resolving from Slack failed',
      act: (reference, agent, resolution) => resolveThread(ctx.db, ctx.senders, { reference, agent: agent.id, resolution, now: ctx.clock() }),
    },
  ];
  for (const submission of textSubmissions) {
    app.view(submission.view, async ({ ack, body, view, client }) => {
      const agent = agentOf(body.user.id);
      const text = view.state.values[INPUT.block]?.[INPUT.action]?.value?.trim() ?? '';
      if (!agent) return void (await ack({ response_action: 'errors', errors: { [INPUT.block]: notLinked('nl') } }));
      if (!text) return void (await ack({ response_action: 'errors', errors: { [INPUT.block]: submission.missing[agent.language] } }));
      await ack();
      try {
        await submission.act(view.private_metadata, agent, text);
        await refreshHandoffCards(ctx, poster, { reference: view.private_metadata, now: ctx.clock() });
      } catch (error) {
        ctx.logger.warn({ err: error, reference: view.private_metadata }, submission.failure);
        await tellUser(client, { user: body.user.id, text: `${view.private_metadata}: ${reasonOf(error)}` });
      }
    });
  }

  // "/klacht KL-12345674": the dossier summary, visible only to the agent who asked. The answer travels in
  // the acknowledgement itself (one quick read), so it needs neither a token nor response_url.
  // Agents only: a dossier is not for every member of the workspace.
  app.command('/klacht', async ({ command, ack }) => {
    const asker = agentOf(command.user_id);
    if (!asker) {
      await ack({ response_type: 'ephemeral', text: `${notLinked('nl')}\n${notLinked('en')}` });
      return;
    }
    const language = asker.language ?? 'nl';
    const reference = command.text.trim().split(/\s+/)[0] ?? '';
    if (!reference) {
      await ack({ response_type: 'ephemeral', text: language === 'en' ? 'Usage: /klacht KL-12345678' : 'Gebruik: /klacht KL-12345678' });
      return;
    }
    try {
      const card = handoffSlackCard(await currentHandoff(ctx, { reference, now: ctx.clock() }), { language, withActions: false });
      await ack({ response_type: 'ephemeral', text: card.text, blocks: card.blocks });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      await ack({ response_type: 'ephemeral', text: language === 'en' ? `No complaint with reference ${escapeMrkdwn(reference)}.` : `Geen klacht met referentie ${escapeMrkdwn(reference)}.` });
    }
  });

  // "/afwezig 2026-12-21 2027-01-04": the agent who types it is away then (see absence-command.ts).
  app.command('/afwezig', async ({ command, ack }) => {
    const agent = agentOf(command.user_id);
    await ack({ response_type: 'ephemeral', text: agent ? await absenceCommand(ctx, { agent, text: command.text }) : `${notLinked('nl')}\n${notLinked('en')}` });
  });
}

const TEXT_MODAL_LABELS = {
  addAdvice: {
    nl: { title: 'Advies toevoegen', label: 'Welk advies heb je de klant gegeven?', submit: 'Opslaan', close: 'Annuleren' },
    en: { title: 'Add advice', label: 'What did you advise the customer?', submit: 'Save', close: 'Cancel' },
  },
  resolve: {
    nl: { title: 'Klacht afsluiten', label: 'Hoe is de klacht opgelost?', submit: 'Afsluiten', close: 'Annuleren' },
    en: { title: 'Resolve complaint', label: 'How was it resolved?', submit: 'Resolve', close: 'Cancel' },
  },
} as const;

function inputModal(args: { callbackId: string; reference: string; title: string; label: string; submit: string; close: string }) {
  return {
    type: 'modal' as const,
    callback_id: args.callbackId,
    private_metadata: args.reference,
    title: { type: 'plain_text' as const, text: args.title },
    submit: { type: 'plain_text' as const, text: args.submit },
    close: { type: 'plain_text' as const, text: args.close },
    blocks: [
      {
        type: 'section' as const,
        text: { type: 'mrkdwn' as const, text: `*${args.reference}*` },
      },
      {
        type: 'input' as const,
        block_id: INPUT.block,
        label: { type: 'plain_text' as const, text: args.label },
        element: { type: 'plain_text_input' as const, action_id: INPUT.action, multiline: true, max_length: 3000 },
      },
    ],
  };
}

/** One auth.test for the life of the app (again after a failure); every request reuses its answer. */
function cachedAuthorize(botToken: string, apiUrl: string | undefined) {
  const client = new webApi.WebClient(botToken, { slackApiUrl: apiUrl, logLevel: webApi.LogLevel.ERROR, retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 500 } });
  let identity: Promise<{ botId?: string; botUserId?: string }> | undefined;
  return async () => {
    identity ??= client.auth.test().then((result) => ({ botId: result.bot_id, botUserId: result.user_id }));
    try {
      return { botToken, ...(await identity) };
    } catch (error) {
      identity = undefined;
      throw error;
    }
  };
}

/** Bolt logs through the hub's pino logger; Bolt's own level setting is left to pino. */
function boltLogger(logger: Logger): BoltLogger {
  const text = (messages: unknown[]) => messages.map((message) => (typeof message === 'string' ? message : JSON.stringify(message))).join(' ');
  return {
    debug: (...messages) => logger.debug(text(messages)),
    info: (...messages) => logger.info(text(messages)),
    warn: (...messages) => logger.warn(text(messages)),
    error: (...messages) => logger.error(text(messages)),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}
