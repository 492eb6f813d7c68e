import { readFileSync } from 'node:fs';
import { Router } from 'express';
import type { HubContext } from '../../context';
import type { Channel, InboundContact, IngestResult, Language } from '../../core/contact';
import type { ChannelSender } from '../../core/outbound';
import { pageLanguage } from '../../http/page-language';
import { projectPath } from '../../project-files';
import { render } from '../../views/templates';
import { ChatSender } from './chat-sender';
import { chatApiRouter } from './chat-router';
import type { ChatStreams } from './chat-streams';

/** Read once at start: the widget is small and changes only with a release. */
const ASSETS = {
  'widget.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(projectPath('public', 'chat', 'widget.js')) },
  'widget.css': { type: 'text/css; charset=utf-8', body: readFileSync(projectPath('public', 'chat', 'widget.css')) },
};

const TITLES: Record<Language, string> = { nl: 'Chat met de klantenservice', en: 'Chat with customer service' };

/** Everything under /chat: the page, the embeddable widget, and the session API. */
export function chatRouter(ctx: HubContext, streams: ChatStreams, ingest: (contact: InboundContact) => Promise<IngestResult>): Router {
  const router = Router();
  router.use('/sessions', chatApiRouter(ctx, streams, ingest));

  router.get('/', (req, res) => {
    const language = pageLanguage(req);
    res
      .set({
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
        // The widget script and stylesheet from here, the API and its event stream on here: nothing else runs.
        'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      })
      .send(render('chat/page', { language, format: 'html' }, { language, title: TITLES[language] }));
  });

  for (const [name, asset] of Object.entries(ASSETS)) {
    router.get(`/${name}`, (_req, res) => {
      // Any site may embed the widget; a few minutes of caching keeps a release from waiting a day.
      res.set({ 'content-type': asset.type, 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*', 'x-content-type-options': 'nosniff' }).send(asset.body);
    });
  }
  return router;
}

/** Chat needs no provider: messages to a chat session always go to its stream. */
export function withChatSender(senders: Map<Channel, ChannelSender>): Map<Channel, ChannelSender> {
  return senders.set('chat', new ChatSender());
}
