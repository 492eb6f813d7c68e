import { expect } from 'chai';
import type { InboundContact } from '../../src/core/contact';
import { HANDOFF_ACTIONS } from '../../src/handoff/render-slack';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { startFakeSlackApi, type FakeSlackApi } from '../slack/fake-slack-api';

/** Tuesday 24 November 2026, 10:00 in Amsterdam. */
const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const MINUTE = 60_000;

let providerSeq = 0;
function sms(body: string, at = TUESDAY_10): InboundContact {
  return { channel: 'sms', providerId: `SMhandoff${++providerSeq}`, from: { kind: 'phone', value: '+31612345678' }, name: 'Els Jansen', body, at };
}

/** A thread with a customer, an issue and two pieces of advice, as an agent would find it. */
async function threadWithAdvice(t: TestHub): Promise<string> {
  const { reference } = await t.hub.ingest(sms('Mijn mobiele telefoon doet het niet'));
  t.setNow(TUESDAY_10 + 10 * MINUTE);
  expect((await t.request('POST', `/api/threads/${reference}/advice`, { body: { agent: 'anna', text: 'Toestel herstarten' } })).status).to.equal(201);
  t.setNow(TUESDAY_10 + 20 * MINUTE);
  expect((await t.request('POST', `/api/threads/${reference}/advice`, { body: { agent: 'bram', text: 'SIM-kaart <opnieuw> plaatsen' } })).status).to.equal(201);
  t.setNow(TUESDAY_10 + 30 * MINUTE);
  return reference;
}

describe(`handoff: POST /api/threads/:reference/transfer (${storeName})`, function () {
  let t: TestHub;
  let slack: FakeSlackApi | undefined;

  afterEach(async () => {
    await t?.stop();
    await slack?.close();
    slack = undefined;
  });

  describe('without Slack credentials (outbox)', () => {
    beforeEach(async () => {
      t = await startHub({ now: TUESDAY_10 });
    });

    it('returns the handoff with name, issue, every prior advice, channels, promises and the note', async () => {
      const reference = await threadWithAdvice(t);
      const response = await t.request('POST', `/api/threads/${reference}/transfer`, { body: { toTeam: 'service', note: 'Klant wil teruggebeld worden', fromAgent: 'anna' } });
      expect(response.status, response.text).to.equal(200);
      const { handoff } = response.json;
      expect(handoff.reference).to.equal(reference);
      expect(handoff.name).to.equal('Els Jansen');
      expect(handoff.issue.summary).to.equal('Mijn mobiele telefoon doet het niet');
      expect(handoff.priorAdvice.map((entry: { agent: string; text: string }) => [entry.agent, entry.text])).to.deep.equal([
        ['anna', 'Toestel herstarten'],
        ['bram', 'SIM-kaart <opnieuw> plaatsen'],
      ]);
      expect(handoff.priorAdvice[0].at).to.equal('2026-11-24T10:10:00+01:00');
      expect(handoff.channels).to.deep.equal([{ channel: 'sms', first: '2026-11-24T10:00:00+01:00', last: '2026-11-24T10:00:00+01:00', contacts: 1 }]);
      expect(handoff.promises.open.map((promise: { kind: string }) => promise.kind)).to.deep.equal(['first-response', 'resolution']);
      expect(handoff.note).to.equal('Klant wil teruggebeld worden');
      expect(handoff.transfer).to.include({ fromAgent: 'anna', toTeam: 'service', toAgent: null });
    });

    it("records the card as plain text in the outbox for the team's Slack channel", async () => {
      const reference = await threadWithAdvice(t);
      const response = await t.request('POST', `/api/threads/${reference}/transfer`, { body: { toTeam: 'service', note: 'Graag vandaag' } });
      expect(response.json.card).to.include({ via: 'outbox', channel: 'C0SERVICE' });
      const outbox = (await t.request('GET', '/api/outbox')).json.messages.filter((message: { channel: string }) => message.channel === 'slack');
      expect(outbox).to.have.length(1);
      expect(outbox[0]).to.include({ to: 'C0SERVICE', purpose: 'handoff', reference });
      expect(outbox[0].body).to.contain('Els Jansen').and.contain('Toestel herstarten').and.contain('SIM-kaart <opnieuw> plaatsen').and.contain('Graag vandaag');
    });

    it('assigns the thread to the agent, records the transfer on the timeline and sends the card to the agent', async () => {
      const reference = await threadWithAdvice(t);
      const response = await t.request('POST', `/api/threads/${reference}/transfer`, { body: { toAgent: 'bram', fromAgent: 'anna', note: 'Jij kent dit toestel' } });
      expect(response.status, response.text).to.equal(200);
      expect(response.json.card).to.include({ via: 'outbox', channel: 'U0BRAM' });
      const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
      expect(dossier.agent).to.equal('bram');
      expect(dossier.team).to.equal('service');
      const transferred = dossier.timeline.filter((event: { kind: string }) => event.kind === 'transferred');
      expect(transferred).to.have.length(1);
      expect(transferred[0].at).to.equal('2026-11-24T10:30:00+01:00');
      expect(transferred[0].data).to.deep.equal({ fromAgent: 'anna', toTeam: 'service', toAgent: 'bram', note: 'Jij kent dit toestel' });
    });

    it('refuses an unknown team or agent, a body with unknown keys, and an unknown thread', async () => {
      const reference = await threadWithAdvice(t);
      for (const body of [{ toTeam: 'nope' }, { toAgent: 'nobody' }, { toTeam: 'service', extra: 1 }, { note: '' }]) {
        const response = await t.request('POST', `/api/threads/${reference}/transfer`, { body });
        expect(response.status, JSON.stringify(body)).to.equal(400);
        expect(response.json.error.code).to.equal('invalid_request');
      }
      expect((await t.request('POST', '/api/threads/KL-00000000/transfer', { body: { toTeam: 'service' } })).status).to.equal(404);
      const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
      expect(dossier.timeline.filter((event: { kind: string }) => event.kind === 'transferred')).to.have.length(0);
    });
  });

  describe('with a Slack bot token (stand-in Web API at SLACK_API_URL)', () => {
    beforeEach(async () => {
      slack = await startFakeSlackApi();
      t = await startHub({ now: TUESDAY_10, env: { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.url, PUBLIC_URL: 'https://hub.example.nl' } });
    });

    it("posts the Block Kit card to the team's channel: name, issue, advice, SLA promise, note and four buttons", async () => {
      const reference = await threadWithAdvice(t);
      const response = await t.request('POST', `/api/threads/${reference}/transfer`, { body: { toTeam: 'service', note: 'Klant is <boos>' } });
      expect(response.status, response.text).to.equal(200);
      expect(response.json.card).to.include({ via: 'slack', channel: 'C0SERVICE' });
      const [post] = slack!.callsTo('chat.postMessage');
      expect(post?.authorization).to.equal('Bearer xoxb-test');
      expect(post?.args.channel).to.equal('C0SERVICE');
      const blocks = post?.args.blocks as any[];
      const texts = JSON.stringify(blocks);
      expect(texts).to.contain(reference).and.contain('Els Jansen').and.contain('Mijn mobiele telefoon doet het niet');
      expect(texts).to.contain('Toestel herstarten').and.contain('SIM-kaart &lt;opnieuw&gt; plaatsen');
      expect(texts).to.contain('eerste reactie uiterlijk');
      expect(texts).to.contain('Klant is &lt;boos&gt;');
      expect(texts).to.contain('https://hub.example.nl/console/threads/');
      const actions = blocks.find((block) => block.type === 'actions');
      expect(actions.elements.map((button: { action_id: string }) => button.action_id)).to.deep.equal(Object.values(HANDOFF_ACTIONS));
      for (const button of actions.elements) expect(button.value).to.equal(reference);
      expect(blocks.length).to.be.at.most(50);
      expect((await t.request('GET', '/api/outbox')).json.messages.filter((message: { channel: string }) => message.channel === 'slack')).to.have.length(0);
    });

    it("sends the card to the agent's direct messages when transferred to an agent", async () => {
      const reference = await threadWithAdvice(t);
      await t.request('POST', `/api/threads/${reference}/transfer`, { body: { toAgent: 'anna' } });
      expect(slack!.callsTo('chat.postMessage').map((call) => call.args.channel)).to.deep.equal(['U0ANNA']);
    });

    it('keeps the card in the outbox when Slack refuses it, and still answers with the handoff', async () => {
      slack!.fail('chat.postMessage', 'channel_not_found');
      const reference = await threadWithAdvice(t);
      const response = await t.request('POST', `/api/threads/${reference}/transfer`, { body: { toTeam: 'service' } });
      expect(response.status, response.text).to.equal(200);
      expect(response.json.handoff.name).to.equal('Els Jansen');
      expect(response.json.card).to.include({ via: 'outbox', channel: 'C0SERVICE' });
      expect(response.json.card.error).to.contain('channel_not_found');
    });
  });
});
