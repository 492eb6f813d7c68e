import { expect } from 'chai';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { HANDOFF_ACTIONS } from '../../src/handoff/render-slack';
import { startFakeSlackApi, type FakeSlackApi } from '../slack/fake-slack-api';
import { SECRET, buttonClick, slackHeaders } from '../slack/slack-requests';
import { at, configWith, smsComplaint, TUESDAY_10 } from '../promises/helpers';

describe(`stuck work: an unaccepted handoff card, an idle thread (${storeName})`, function () {
  let t: TestHub | undefined;
  let slack: FakeSlackApi | undefined;
  afterEach(async () => {
    await t?.stop();
    await slack?.close();
    t = undefined;
    slack = undefined;
  });

  async function started(stuck: Record<string, number>): Promise<TestHub> {
    slack = await startFakeSlackApi();
    t = await startHub({ now: TUESDAY_10, config: configWith({ escalation: [], stuck }), env: { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.url } });
    return t;
  }
  const said = (channel: string, words: string) => (slack as FakeSlackApi).callsTo('chat.postMessage').filter((call) => call.args.channel === channel && String(call.args.text).includes(words));

  it('a handoff card nobody accepts within acceptMinutes service minutes is raised with the lead; one accepted in time is not', async () => {
    const hub = await started({ acceptMinutes: 15 });
    const waiting = await smsComplaint(hub, { from: { kind: 'phone', value: '+31611110001' } });
    const accepted = await smsComplaint(hub, { from: { kind: 'phone', value: '+31611110002' } });
    for (const { reference } of [waiting, accepted]) expect((await hub.request('POST', `/api/threads/${reference}/transfer`, { body: { toTeam: 'service' } })).status).to.equal(200);
    await at(hub, '2026-11-24T10:10:00+01:00');
    const [, card] = (slack as FakeSlackApi).callsTo('chat.postMessage');
    const click = buttonClick({ actionId: HANDOFF_ACTIONS.accept, value: accepted.reference, user: 'U0BRAM', channel: 'C0SERVICE', ts: card?.args.ts ?? '1' });
    expect((await hub.request('POST', '/slack/events', { rawBody: click, headers: slackHeaders(click, { contentType: 'application/x-www-form-urlencoded' }), token: null })).status).to.equal(200);
    await (slack as FakeSlackApi).waitFor('chat.update');

    await at(hub, '2026-11-24T10:14:00+01:00');
    expect(said('U0ANNA', 'overdracht')).to.deep.equal([]);
    await at(hub, '2026-11-24T10:15:00+01:00');
    expect(said('U0ANNA', 'overdracht').map((call) => call.args.text)).to.deep.equal([`:hourglass: Niemand heeft de overdracht van ${waiting.reference} aangenomen (overgedragen 15 min geleden).`]);
    expect(said('U0ANNA', accepted.reference)).to.deep.equal([]);
  });

  it('a thread without agent action for idleHours service hours is raised with its owner, after as long again with the lead; advice starts the count over', async () => {
    const hub = await started({ idleHours: 4 });
    const idle = await smsComplaint(hub, { from: { kind: 'phone', value: '+31611110001' } });
    const advised = await smsComplaint(hub, { from: { kind: 'phone', value: '+31611110002' } });
    await at(hub, '2026-11-24T14:00:00+01:00');
    expect((await hub.request('POST', `/api/threads/${advised.reference}/advice`, { body: { agent: 'bram', text: 'Toestel herstarten' } })).status).to.equal(201);

    // Tuesday 10:00 + 4 service hours (lunch 12:30-13:30): 15:00. Unassigned, so the team's channel is its owner.
    await at(hub, '2026-11-24T14:59:00+01:00');
    expect(said('C0SERVICE', 'niets gedaan')).to.deep.equal([]);
    await at(hub, '2026-11-24T15:00:00+01:00');
    expect(said('C0SERVICE', 'niets gedaan').map((call) => call.args.text)).to.deep.equal([`:hourglass: Er is 4 u 0 min servicetijd niets gedaan aan ${idle.reference}.`]);
    // Another 4 service hours: Wednesday 11:00, the lead. The advised thread's own count ends Wednesday 10:00, with its owner.
    await at(hub, '2026-11-25T10:00:00+01:00');
    expect(said('C0SERVICE', advised.reference).map((call) => call.args.text)).to.deep.equal([`:hourglass: Er is 4 u 0 min servicetijd niets gedaan aan ${advised.reference}.`]);
    await at(hub, '2026-11-25T11:00:00+01:00');
    expect(said('U0ANNA', 'niets gedaan').map((call) => call.args.text)).to.deep.equal([`:hourglass: Er is 8 u 0 min servicetijd niets gedaan aan ${idle.reference}.`]);
    // Then it is looked at quietly until someone acts.
    await at(hub, '2026-11-25T17:00:00+01:00');
    expect(said('U0ANNA', idle.reference)).to.have.length(1);
    expect(said('C0SERVICE', idle.reference)).to.have.length(1);
  });
});
