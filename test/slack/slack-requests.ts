import { createHmac } from 'node:crypto';

/** The signing secret the Slack tests configure the hub with. */
export const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

/** Headers exactly as Slack signs a request: HMAC-SHA256 of "v0:<timestamp>:<raw body>". */
export function slackHeaders(body: string, options: { contentType: string; secret?: string; ageSeconds?: number }): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000) - (options.ageSeconds ?? 0));
  const signature = createHmac('sha256', options.secret ?? SECRET).update(`v0:${timestamp}:${body}`).digest('hex');
  return { 'content-type': options.contentType, 'x-slack-request-timestamp': timestamp, 'x-slack-signature': `v0=${signature}` };
}

export const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** An interactivity request: form-encoded with the JSON in `payload`. */
export function interaction(payload: Record<string, unknown>): string {
  return form({ payload: JSON.stringify(payload) });
}

/** Who acts, as every interaction payload says it. */
function actor(user: string): Record<string, unknown> {
  return {
    team: { id: 'T0HUB', domain: 'klachtenhub' },
    user: { id: user, username: user.toLowerCase(), team_id: 'T0HUB' },
    api_app_id: 'A0HUB',
    token: 'legacy-verification-token',
  };
}

export function buttonClick(args: { actionId: string; value: string; user: string; channel: string; ts: string }): string {
  return interaction({
    type: 'block_actions',
    ...actor(args.user),
    container: { type: 'message', message_ts: args.ts, channel_id: args.channel, is_ephemeral: false },
    trigger_id: '1234567890.0987654321.abcdef',
    channel: { id: args.channel, name: 'klantenservice' },
    message: { type: 'message', ts: args.ts, text: 'Overdracht', user: 'U0BOT' },
    response_url: 'https://hooks.slack.invalid/actions/T0HUB/1/abc',
    actions: [{ type: 'button', action_id: args.actionId, block_id: 'handoff_actions', value: args.value, text: { type: 'plain_text', text: 'Aannemen' }, action_ts: '1764000000.1' }],
  });
}

/** A submitted modal (`private_metadata` the thread reference) with its input values. */
export function viewSubmission(args: { callbackId: string; reference: string; user: string; values: Record<string, unknown> }): string {
  return interaction({
    type: 'view_submission',
    ...actor(args.user),
    trigger_id: '1234567890.0987654321.fedcba',
    view: {
      id: 'V0VIEW',
      team_id: 'T0HUB',
      type: 'modal',
      callback_id: args.callbackId,
      private_metadata: args.reference,
      blocks: [],
      state: { values: args.values },
      hash: '1764000000.abc',
      app_id: 'A0HUB',
      bot_id: 'B0BOT',
    },
  });
}
