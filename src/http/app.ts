import express, { type Express, type Router } from 'express';
import type { HubContext } from '../context';
import { apiAuth } from './api-auth';
import { agentsRouter } from './api/agents';
import { callbackSlotsRouter } from './api/callbacks';
import { callbackOfferPage } from './callback-offer-page';
import { consoleRouter } from '../console/router';
import { mergesRouter } from './api/merges';
import { outboxRouter } from './api/outbox';
import { threadsRouter } from './api/threads';
import { errorHandler, notFound } from './errors';
import type { ReadyState } from './readiness';
import { pageLanguage } from './page-language';
import { render } from '../views/templates';

/** JSON bodies are small: a complaint text, an advice. Larger is a mistake or an attack. */
const JSON_LIMIT = '100kb';

export interface AppParts {
  /** Provider webhooks (Twilio, ...), each with its own body parsing and verification. */
  channels: { path: string; router: Router }[];
  /** The state of long-running parts (the mailbox reader), shown by /healthz. */
  health: () => Record<string, unknown>;
  /** Whether a load balancer may send requests, for /readyz. */
  ready: () => Promise<ReadyState>;
}

export function createApp(ctx: HubContext, { channels, health, ready }: AppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  // Behind a reverse proxy the client's address is the proxy's report of it; otherwise X-Forwarded-* is anyone's word.
  app.set('trust proxy', ctx.env.TRUST_PROXY);

  // Webhook answers and API JSON are never revalidated by their callers: no ETag hashing per response.
  app.set('etag', false);

  // Timing every request costs a listener per response: only where it will be logged.
  if (ctx.logger.isLevelEnabled('debug')) {
    app.use((req, res, next) => {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        // Path only: query strings may carry tokens (the callback booking link) and must not reach the log.
        ctx.logger.debug({ method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
      });
      next();
    });
  }

  // Browsers ask for it on every page (chat, console); there is none, and a 404 would clutter their consoles.
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).set('cache-control', 'public, max-age=86400').end();
  });
  // A person who opens the hub's address finds the chat and the console, not a JSON 404.
  app.get('/', (req, res) => {
    res
      .set({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'" })
      .send(render('home/page', { language: pageLanguage(req), format: 'html' }, {}));
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', ...health() });
  });
  app.get('/readyz', async (_req, res) => {
    const state = await ready();
    res.status(state.ready ? 200 : 503).set('cache-control', 'no-store').json(state.ready ? { status: state.status } : { status: state.status, reason: state.reason });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });

  const api = express.Router();
  api.use(apiAuth(ctx.env.API_TOKEN));
  api.use(express.json({ limit: JSON_LIMIT }));
  api.use('/threads', threadsRouter(ctx));
  api.use('/outbox', outboxRouter(ctx));
  api.use('/merges', mergesRouter(ctx));
  api.use('/callbacks', callbackSlotsRouter(ctx));
  api.use('/agents', agentsRouter(ctx));
  app.use('/api', api);
  app.use('/callbacks', callbackOfferPage(ctx));
  app.use('/console', consoleRouter(ctx));
  for (const channel of channels) app.use(channel.path, channel.router);

  app.use(notFound);
  app.use(errorHandler(ctx.logger));
  return app;
}
