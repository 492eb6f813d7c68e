import { webApi } from '@slack/bolt';
import type { HubEnv } from '../../config/env';
import type { DbOrTrx } from '../../core/db';
import type { SlackBlock } from '../../handoff/render-slack';

/** One message for a Slack channel or user: the card, and its plain-text rendering for the outbox. */
export interface SlackMessage {
  /** Channel id (C…), or a user id (U…) for a direct message from the app. */
  channel: string;
  /** Notification fallback text. */
  text: string;
  blocks: SlackBlock[];
  /** The whole message as plain text, for where blocks cannot go. */
  plainText: string;
  threadId: number | null;
  purpose: 'handoff' | 'escalation' | 'callback';
}

export interface SlackPosted {
  via: 'slack' | 'outbox';
  channel: string;
  /** Slack's message timestamp (its id within the channel), or the outbox row as "outbox-<id>". */
  id: string;
}

/** Where Slack messages go: Slack's Web API with a bot token, or the outbox without one. */
export interface SlackPoster {
  post(db: DbOrTrx, message: SlackMessage, now: number): Promise<SlackPosted>;
  /** Replaces what a message posted earlier shows (`chat.update`). */
  update(location: { channel: string; ts: string }, content: { text: string; blocks: SlackBlock[] }): Promise<void>;
}

/** Records instead of posting, like the outbox sender of the customer channels. */
export class OutboxSlackPoster implements SlackPoster {
  async post(db: DbOrTrx, message: SlackMessage, now: number): Promise<SlackPosted> {
    const [row] = await db('outbox')
      .insert({ thread_id: message.threadId, channel: 'slack', recipient: message.channel, subject: null, body: message.plainText, purpose: message.purpose, at: now })
      .returning('id');
    return { via: 'outbox', channel: message.channel, id: `outbox-${(row as { id: number }).id}` };
  }

  /** The outbox is a record of what was sent; nothing in it is rewritten afterwards. */
  async update(): Promise<void> {}
}

/** Posts with `chat.postMessage`. */
export class WebApiSlackPoster implements SlackPoster {
  constructor(private readonly client: webApi.WebClient) {}

  async post(_db: DbOrTrx, message: SlackMessage, _now: number): Promise<SlackPosted> {
    const result = await this.client.chat.postMessage({ channel: message.channel, text: message.text, blocks: message.blocks, unfurl_links: false });
    return { via: 'slack', channel: result.channel ?? message.channel, id: result.ts ?? '' };
  }

  async update(location: { channel: string; ts: string }, content: { text: string; blocks: SlackBlock[] }): Promise<void> {
    await this.client.chat.update({ channel: location.channel, ts: location.ts, text: content.text, blocks: content.blocks });
  }
}

/** Slack's WebClient appends the method name to the base URL: it must end with a slash. */
export function slackApiUrl(env: HubEnv): string | undefined {
  return env.SLACK_API_URL ? env.SLACK_API_URL.replace(/\/?$/, '/') : undefined;
}

export function slackWebClient(env: HubEnv & { SLACK_BOT_TOKEN: string }): webApi.WebClient {
  return new webApi.WebClient(env.SLACK_BOT_TOKEN, {
    slackApiUrl: slackApiUrl(env),
    logLevel: webApi.LogLevel.ERROR,
    // A handoff is posted while the API caller waits: fail over to the outbox instead of retrying for minutes.
    retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 500 },
    timeout: 5_000,
  });
}

/** The poster for this environment: Slack's Web API when a bot token is set, else the outbox. */
export function slackPoster(env: HubEnv): SlackPoster {
  return env.SLACK_BOT_TOKEN ? new WebApiSlackPoster(slackWebClient({ ...env, SLACK_BOT_TOKEN: env.SLACK_BOT_TOKEN })) : new OutboxSlackPoster();
}
