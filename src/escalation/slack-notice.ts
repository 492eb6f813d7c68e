import type { HubContext } from '../context';
import type { DbOrTrx } from '../core/db';
import type { SlackBlock } from '../handoff/render-slack';
import type { SlackPoster } from '../channels/slack/slack-poster';
import { mrkdwnToPlain } from './messages';
import { recipientChannel, type Recipient } from './recipients';

/**
 * Posts one short message (Slack mrkdwn, words already escaped) to a recipient, with links to
 * the dossiers it is about; without a bot token it goes to the outbox as plain text. Returns
 * where it went, or null when Slack has nowhere for them (it is then only on the timeline).
 */
export async function postNotice(
  db: DbOrTrx,
  ctx: Pick<HubContext, 'config' | 'env'>,
  poster: SlackPoster,
  args: { recipient: Recipient; text: string; references: string[]; threadId: number | null; purpose: 'escalation' | 'handoff'; now: number },
): Promise<string | null> {
  const channel = recipientChannel(ctx.config, ctx.env, args.recipient);
  if (!channel) return null;
  const base = ctx.env.PUBLIC_URL.replace(/\/$/, '');
  const links = args.references.map((reference) => `<${base}/console/threads/${encodeURIComponent(reference)}|${reference}>`);
  const blocks: SlackBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: args.text } }];
  if (links.length > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: links.join(' · ') }] });
  const plainText = [mrkdwnToPlain(args.text), ...args.references.map((reference) => `${base}/console/threads/${encodeURIComponent(reference)}`)].join('\n');
  await poster.post(db, { channel, text: args.text, blocks, plainText, threadId: args.threadId, purpose: args.purpose }, args.now);
  return channel;
}
