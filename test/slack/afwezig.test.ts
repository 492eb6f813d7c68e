import { expect } from 'chai';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { at, configWith, smsComplaint, TUESDAY_10 } from '../promises/helpers';
import { startFakeSlackApi, type FakeSlackApi } from './fake-slack-api';
import { SECRET, form, slackHeaders } from './slack-requests';

describe(`Slack /afwezig (${storeName})`, function () {
  let t: TestHub;
  let slack: FakeSlackApi;
  beforeEach(async () => {
    slack = await startFakeSlackApi();
    const config = configWith({ escalation: [] });
    // Bram reads Slack in English.
    t = await startHub({ now: TUESDAY_10, config: { ...config, agents: config.agents.map((agent) => (agent.id === 'bram' ? { ...agent, language: 'en' as const } : agent)) }, env: { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.url } });
  });
  afterEach(async () => {
    await t?.stop();
    await slack?.close();
  });

  async function afwezig(user: string, text: string): Promise<string> {
    const body = form({ token: 'legacy', team_id: 'T0HUB', channel_id: 'D0SELF', user_id: user, command: '/afwezig', text, api_app_id: 'A0HUB', response_url: 'https://hooks.slack.invalid/commands/x', trigger_id: 't' });
    const response = await t.request('POST', '/slack/events', { rawBody: body, headers: slackHeaders(body, { contentType: 'application/x-www-form-urlencoded' }), token: null });
    expect(response.status, response.text).to.equal(200);
    expect(response.json.response_type).to.equal('ephemeral');
    return response.json.text;
  }

  it('an agent sets their own absence in their language; it takes effect (his thread goes to Anna), shows, and ends with "stop"', async () => {
    const { reference } = await smsComplaint(t);
    expect((await t.request('POST', `/api/threads/${reference}/transfer`, { body: { toAgent: 'bram' } })).status).to.equal(200);
    expect(await afwezig('U0BRAM', '')).to.match(/^You are not set as absent\. Usage: /);
    expect(await afwezig('U0BRAM', '2026-11-24 2026-11-25')).to.equal(
      'Absent from Tuesday 24 November 2026 until Wednesday 25 November 2026 inclusive. Your complaints and your callbacks in that time go to a present colleague when it begins; you get no callback times and no new complaints.',
    );
    await at(t, '2026-11-24T10:01:00+01:00');
    expect((await t.request('GET', `/api/threads/${reference}`)).json.agent).to.equal('anna');
    expect(await afwezig('U0BRAM', '')).to.equal('You are absent: Tuesday 24 November 2026 until Wednesday 25 November 2026.');
    expect(await afwezig('U0ANNA', '2026-11-26')).to.match(/^Afwezig van donderdag 26 november 2026 tot en met donderdag 26 november 2026 vastgelegd\./);
    expect(await afwezig('U0BRAM', 'stop')).to.equal('Welcome back: you are present again.');
    expect(await afwezig('U0BRAM', 'stop')).to.equal('No absence was set.');
  });

  it('refuses nonsense and past dates with the usage, and answers a Slack user who is no agent with nothing', async () => {
    expect(await afwezig('U0ANNA', 'morgen')).to.match(/^Gebruik: /);
    expect(await afwezig('U0ANNA', '2026-02-30')).to.match(/^Gebruik: /);
    expect(await afwezig('U0ANNA', '2026-11-01 2026-11-02')).to.contain('the absence ends before today');
    expect(await afwezig('U0STRANGER', '2026-11-24 2026-11-25')).to.contain('niet gekoppeld').and.contain('not linked');
    expect(await t.hub.ctx.db('agent_absences').select('id')).to.deep.equal([]);
  });
});
