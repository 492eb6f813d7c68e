import { expect } from 'chai';
import type { InboundContact } from '../../src/core/contact';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { startFakeSlackApi, type FakeSlackApi } from '../slack/fake-slack-api';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const MINUTE = 60_000;

describe(`SLA escalation to the managers (${storeName})`, function () {
  let t: TestHub | undefined;
  let slack: FakeSlackApi | undefined;

  afterEach(async () => {
    await t?.stop();
    await slack?.close();
    t = undefined;
    slack = undefined;
  });

  async function complaint(hub: TestHub): Promise<{ reference: string; firstResponseDue: number; resolutionDue: number }> {
    const contact: InboundContact = { channel: 'sms', providerId: `SMsla${Math.random()}`, from: { kind: 'phone', value: '+31612345678' }, name: 'Els Jansen', body: 'Mijn mobiele telefoon doet het niet', at: hub.now() };
    const { reference, threadId } = await hub.hub.ingest(contact);
    await hub.hub.worker.runDue(); // the acknowledgement
    const thread = await hub.hub.ctx.db('threads').where({ id: threadId }).first('first_response_due', 'resolution_due');
    return { reference, firstResponseDue: Number(thread.first_response_due), resolutionDue: Number(thread.resolution_due) };
  }

  async function escalations(hub: TestHub): Promise<{ promise: string; channel: string | null }[]> {
    const rows = await hub.hub.ctx.db('timeline_events').where({ kind: 'sla-escalated' }).orderBy('id').select('data');
    return rows.map((row) => JSON.parse(row.data));
  }

  it('posts the handoff card with the broken promise to the managers channel when the first response and then the resolution fall due unkept', async () => {
    slack = await startFakeSlackApi();
    t = await startHub({ now: TUESDAY_10, env: { SLACK_SIGNING_SECRET: 'secret', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.url, SLACK_MANAGERS_CHANNEL: 'C0MANAGERS' } });
    const { reference, firstResponseDue, resolutionDue } = await complaint(t);

    t.setNow(firstResponseDue - MINUTE);
    await t.hub.worker.runDue();
    expect(slack.callsTo('chat.postMessage')).to.have.length(0);

    t.setNow(firstResponseDue + MINUTE);
    await t.hub.worker.runDue();
    const [first] = slack.callsTo('chat.postMessage');
    expect(first?.args.channel).to.equal('C0MANAGERS');
    const card = JSON.stringify(first?.args.blocks);
    expect(card).to.contain(reference).and.contain('Els Jansen').and.contain('geen eerste reactie gegeven, beloofd uiterlijk woensdag 25 november 11:00');
    expect(card).to.contain('handoff_accept');

    t.setNow(resolutionDue + MINUTE);
    await t.hub.worker.runDue();
    const posts = slack.callsTo('chat.postMessage');
    expect(posts).to.have.length(2);
    expect(JSON.stringify(posts[1]?.args.blocks)).to.contain('niet opgelost, beloofd uiterlijk');
    expect(await escalations(t)).to.deep.equal([
      { promise: 'first-response', due: firstResponseDue, channel: 'C0MANAGERS' },
      { promise: 'resolution', due: resolutionDue, channel: 'C0MANAGERS' },
    ]);
  });

  it('stays quiet about promises that were kept: a reply before the first-response time, a resolution before the resolution time', async () => {
    slack = await startFakeSlackApi();
    t = await startHub({ now: TUESDAY_10, env: { SLACK_SIGNING_SECRET: 'secret', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.url, SLACK_MANAGERS_CHANNEL: 'C0MANAGERS' } });
    const { reference, firstResponseDue, resolutionDue } = await complaint(t);
    expect((await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text: 'We kijken ernaar.' } })).status).to.equal(201);
    t.setNow(firstResponseDue + MINUTE);
    await t.hub.worker.runDue();
    expect((await t.request('POST', `/api/threads/${reference}/resolve`, { body: { agent: 'anna', resolution: 'Opgelost' } })).status).to.equal(200);
    t.setNow(resolutionDue + MINUTE);
    await t.hub.worker.runDue();
    expect(slack.callsTo('chat.postMessage')).to.have.length(0);
    expect(await escalations(t)).to.deep.equal([]);
  });

  it('without a bot token records the escalation in the outbox; without a managers channel only on the timeline', async () => {
    t = await startHub({ now: TUESDAY_10, env: { SLACK_MANAGERS_CHANNEL: 'C0MANAGERS' } });
    const { reference, firstResponseDue } = await complaint(t);
    t.setNow(firstResponseDue + MINUTE);
    await t.hub.worker.runDue();
    const recorded = await t.hub.ctx.db('outbox').where({ channel: 'slack', purpose: 'escalation' }).select('recipient', 'body');
    expect(recorded).to.have.length(1);
    expect(recorded[0]).to.include({ recipient: 'C0MANAGERS' });
    expect(recorded[0]?.body).to.contain(reference).and.contain('geen eerste reactie gegeven');
    await t.stop();

    t = await startHub({ now: TUESDAY_10 });
    const other = await complaint(t);
    t.setNow(other.firstResponseDue + MINUTE);
    await t.hub.worker.runDue();
    expect(await escalations(t)).to.deep.equal([{ promise: 'first-response', due: other.firstResponseDue, channel: null }]);
    expect(await t.hub.ctx.db('outbox').where({ channel: 'slack' }).select('id')).to.deep.equal([]);
  });
});
