import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { HubContext } from '../../context';
import { CHANNELS } from '../../core/contact';
import { getDossier } from '../../core/dossier';
import { confirmAddress, rejectClaim } from '../../core/proof';
import { addAdvice, resolveThread, sendReply } from '../../core/thread-actions';
import { listThreads } from '../../core/thread-list';
import { slackPoster } from '../../channels/slack/slack-poster';
import { refreshHandoffCardsInBackground } from '../../handoff/cards';
import { transferThread } from '../../handoff/transfer';
import { threadCallbacksRouter } from './callbacks';
import { categoryBody, threadPromisesRouter } from './promises';
import { setCategory } from '../../promises/category';

const listQuery = z.object({
  status: z.enum(['open', 'resolved']).optional(),
  q: z.string().trim().min(1).max(200).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const text = z.string().trim().min(1).max(10_000);
const agent = z.string().trim().min(1).max(100);
const adviceBody = z.strictObject({ agent, text });
const replyBody = z.strictObject({ agent, text, channel: z.enum(CHANNELS).optional() });
const resolveBody = z.strictObject({ agent, resolution: text });
const id = z.string().trim().min(1).max(100);
const identityBody = z.strictObject({ kind: z.enum(['phone', 'email']), value: z.string().trim().min(1).max(254), agent });
const transferBody = z.strictObject({ toTeam: id.optional(), toAgent: id.optional(), note: text.optional(), fromAgent: agent.optional() });

export function threadsRouter(ctx: HubContext): Router {
  const router = Router();
  const timezone = ctx.config.timezone;
  const handoffPoster = slackPoster(ctx.env);

  // What an agent changes through the API (advice, a callback, a resolution) shows on the
  // thread's Slack cards too, once the answer has gone out. (A transfer posts a card of its own.)
  const refreshCardsAfter: RequestHandler<{ reference: string }> = (req, res, next) => {
    if (req.method !== 'GET') {
      res.on('finish', () => {
        if (res.statusCode < 400) refreshHandoffCardsInBackground(ctx, handoffPoster, req.params.reference, ctx.clock());
      });
    }
    next();
  };

  router.get('/', async (req, res) => {
    res.json(await listThreads(ctx.db, listQuery.parse(req.query), { timezone }));
  });

  router.get('/:reference', async (req, res) => {
    res.json(await getDossier(ctx.db, { reference: req.params.reference, timezone, now: ctx.clock() }));
  });

  router.post('/:reference/advice', refreshCardsAfter, async (req, res) => {
    const body = adviceBody.parse(req.body);
    await addAdvice(ctx.db, { reference: req.params.reference, ...body, now: ctx.clock() });
    res.status(201).json({ advice: { agent: body.agent, text: body.text } });
  });

  router.post('/:reference/replies', async (req, res) => {
    const body = replyBody.parse(req.body);
    const sent = await sendReply(ctx.db, ctx.senders, { reference: req.params.reference, ...body, now: ctx.clock() });
    res.status(201).json({ reply: sent });
  });

  router.post('/:reference/resolve', refreshCardsAfter, async (req, res) => {
    const body = resolveBody.parse(req.body);
    const resolved = await resolveThread(ctx.db, ctx.senders, { reference: req.params.reference, ...body, now: ctx.clock() });
    res.json({ status: 'resolved', ...resolved });
  });

  router.post('/:reference/transfer', async (req, res) => {
    const body = transferBody.parse(req.body ?? {});
    const { summary, card } = await transferThread(ctx, handoffPoster, { reference: req.params.reference, ...body, now: ctx.clock() });
    res.json({ handoff: summary, card });
  });

  // An agent vouches for an address (recorded with who and when), or turns a claim down. Both
  // change what the handoff card shows as the customer's addresses.
  router.post('/:reference/identities/confirm', refreshCardsAfter, async (req, res) => {
    const { agent: by, ...identity } = identityBody.parse(req.body);
    res.status(201).json({ confirmed: await confirmAddress(ctx.db, { reference: req.params.reference, identity, agent: by, now: ctx.clock() }) });
  });

  router.post('/:reference/identities/reject', refreshCardsAfter, async (req, res) => {
    const { agent: by, ...identity } = identityBody.parse(req.body);
    res.json({ rejected: await rejectClaim(ctx.db, { reference: req.params.reference, identity, agent: by, now: ctx.clock() }) });
  });

  router.use('/:reference/callbacks', refreshCardsAfter, threadCallbacksRouter(ctx));
  router.use('/:reference/promises', refreshCardsAfter, threadPromisesRouter(ctx));

  // The category (and priority) decide the SLA times: an agent sets them.
  router.post('/:reference/category', refreshCardsAfter, async (req, res) => {
    const body = categoryBody.parse(req.body);
    res.json(await setCategory(ctx.db, ctx.sla, { reference: req.params.reference, ...body, now: ctx.clock() }));
  });

  return router;
}
