import { expect } from 'chai';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { startFakeSlackApi, type FakeSlackApi } from '../slack/fake-slack-api';
import { at, configWith, smsComplaint, TUESDAY_10 } from '../promises/helpers';

/** The SPEC's example: warn the owner at 75%, the leads when it breaks, the managers 4 service hours later. */
const STEPS = [
  { at: '75%', notify: 'owner' },
  { at: '100%', notify: 'lead' },
  { at: '+4h', notify: 'managers' },
];
const SLACK_ENV = (slack: FakeSlackApi) => ({ SLACK_SIGNING_SECRET: 'secret', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.url, SLACK_MANAGERS_CHANNEL: 'C0MANAGERS' });

describe(`escalation: promises watched in service hours (${storeName})`, function () {
  let t: TestHub | undefined;
  let slack: FakeSlackApi | undefined;

  afterEach(async () => {
    await t?.stop();
    await slack?.close();
    t = undefined;
    slack = undefined;
  });

  const posts = (channel: string) => (slack as FakeSlackApi).callsTo('chat.postMessage').filter((call) => call.args.channel === channel);
  const escalations = async (hub: TestHub) =>
    (await hub.hub.ctx.db('timeline_events').where({ kind: 'promise-escalated' }).orderBy('id').select('data')).map((row) => {
      const { kind, at: step, notify, to } = JSON.parse(row.data);
      return { kind, step, notify, to };
    });

  it('warns the owner at 75% at the next opening, not at night; tells the lead when it breaks; gives the managers the card without buttons at +4h; and one digest a working day', async () => {
    slack = await startFakeSlackApi();
    t = await startHub({ now: TUESDAY_10, config: configWith({ escalation: STEPS }), env: SLACK_ENV(slack) });
    const { reference } = await smsComplaint(t);
    expect((await t.request('POST', `/api/threads/${reference}/transfer`, { body: { toAgent: 'bram' } })).status).to.equal(200);
    const card = posts('U0BRAM').length; // the handoff card

    // Made Tuesday 10:00, due Wednesday 11:00: 8 service hours, of which 75% have gone at Tuesday 17:00, closing time.
    await at(t, '2026-11-24T17:00:00+01:00');
    await at(t, '2026-11-24T23:30:00+01:00');
    await at(t, '2026-11-25T08:59:00+01:00');
    expect(posts('U0BRAM')).to.have.length(card);
    expect(posts('C0MANAGERS')).to.have.length(0);

    // Wednesday's first opening: the warning to Bram, and the managers' digest.
    await at(t, '2026-11-25T09:00:00+01:00');
    const [warning] = posts('U0BRAM').slice(card);
    expect(warning?.args.text).to.equal(`:warning: Belofte loopt af: eerste reactie aan Els Jansen (${reference}), uiterlijk wo 25 nov 11:00: nog 2 u 0 min servicetijd.`);
    expect(JSON.stringify(warning?.args.blocks)).to.contain(`/console/threads/${reference}`).and.not.contain('"type":"button"');
    const [digest] = posts('C0MANAGERS');
    expect(digest?.args.text).to.equal('Dagoverzicht beloftes, woensdag 25 november');
    expect(JSON.stringify(digest?.args.blocks)).to.contain('*Klantenservice*: 1 gehouden en 0 niet gehouden sinds di 24 nov 09:00; 2 open, waarvan 1 vandaag.');

    // Due at 11:00 and not kept: Anna, the team's lead, hears it broke and the new time.
    await at(t, '2026-11-25T11:00:00+01:00');
    const [broken] = posts('U0ANNA');
    expect(broken?.args.text).to.equal(`:warning: Belofte niet gehouden: eerste reactie aan Els Jansen (${reference}) was beloofd uiterlijk wo 25 nov 11:00. Nieuwe tijd: wo 25 nov 15:00.`);

    // Four service hours after the due time the managers are informed: the card with the line on top, no buttons.
    await at(t, '2026-11-25T14:59:00+01:00');
    expect(posts('C0MANAGERS')).to.have.length(1);
    await at(t, '2026-11-25T15:00:00+01:00');
    const managers = posts('C0MANAGERS')[1];
    expect(managers?.args.text).to.contain(`Belofte niet gehouden: eerste reactie aan Els Jansen (${reference}) was beloofd uiterlijk wo 25 nov 11:00.`);
    const blocks = JSON.stringify(managers?.args.blocks);
    expect(blocks).to.contain('Mijn mobiele telefoon doet het niet');
    expect(blocks).not.to.contain('"type":"actions"');
    expect(blocks).not.to.contain('handoff_accept');

    expect(await escalations(t)).to.deep.equal([
      { kind: 'first-response', step: '75%', notify: 'owner', to: 'U0BRAM' },
      { kind: 'first-response', step: '100%', notify: 'lead', to: 'U0ANNA' },
      { kind: 'first-response', step: '+4h', notify: 'managers', to: 'C0MANAGERS' },
    ]);
    // Thursday's digest counts Wednesday's broken promises.
    await at(t, '2026-11-26T09:00:00+01:00');
    const thursday = posts('C0MANAGERS').at(-1);
    expect(thursday?.args.text).to.equal('Dagoverzicht beloftes, donderdag 26 november');
    expect(JSON.stringify(thursday?.args.blocks)).to.contain('2 niet gehouden sinds wo 25 nov 09:00').and.contain(`${reference}: eerste reactie, was uiterlijk wo 25 nov 11:00`);
  });

  it('stays quiet about promises that are kept: a reply before the warning, a resolution before its time', async () => {
    slack = await startFakeSlackApi();
    t = await startHub({ now: TUESDAY_10, config: configWith({ escalation: STEPS }), env: SLACK_ENV(slack) });
    const { reference } = await smsComplaint(t);
    expect((await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text: 'We kijken ernaar.' } })).status).to.equal(201);
    await at(t, '2026-11-25T15:00:00+01:00');
    expect((await t.request('POST', `/api/threads/${reference}/resolve`, { body: { agent: 'anna', resolution: 'Opgelost' } })).status).to.equal(200);
    await at(t, '2026-11-30T12:00:00+01:00');
    expect(await escalations(t)).to.deep.equal([]);
    expect((slack as FakeSlackApi).callsTo('chat.postMessage').filter((call) => !String(call.args.text).startsWith('Dagoverzicht'))).to.deep.equal([]);
  });

  it('a step falling in the lunch break waits for the afternoon; without a bot token it is in the outbox, without a destination only on the timeline', async () => {
    // Of the first response's 8 service hours from Tuesday 10:00, 25% have gone at 12:00 and
    // 31.25% at 12:30, when lunch closes the team until 13:30.
    t = await startHub({ now: TUESDAY_10, config: configWith({ escalation: [{ at: '25%', notify: 'owner' }, { at: '31.25%', notify: 'owner' }] }), env: { SLACK_MANAGERS_CHANNEL: 'C0MANAGERS' } });
    const { reference } = await smsComplaint(t);
    const recorded = async () => (t as TestHub).hub.ctx.db('outbox').where({ channel: 'slack', purpose: 'escalation' }).orderBy('id').select('recipient', 'body');
    await at(t, '2026-11-24T12:00:00+01:00');
    const first = await recorded();
    expect(first).to.have.length(1);
    expect(first[0]).to.include({ recipient: 'C0SERVICE' });
    expect(first[0]?.body).to.contain(`Belofte loopt af: eerste reactie aan Els Jansen (${reference}), uiterlijk wo 25 nov 11:00: nog 6 u 0 min servicetijd.`).and.contain(`/console/threads/${reference}`);
    await at(t, '2026-11-24T12:30:00+01:00');
    await at(t, '2026-11-24T13:29:00+01:00');
    expect(await recorded()).to.have.length(1);
    await at(t, '2026-11-24T13:30:00+01:00');
    expect((await recorded())[1]?.body).to.contain('uiterlijk wo 25 nov 11:00: nog 5 u 30 min servicetijd.');
    await t.stop();

    t = await startHub({ now: TUESDAY_10, config: configWith({ escalation: [{ at: '100%', notify: 'managers' }] }) });
    await smsComplaint(t);
    await at(t, '2026-11-25T11:00:00+01:00');
    expect(await escalations(t)).to.deep.equal([{ kind: 'first-response', step: '100%', notify: 'managers', to: null }]);
    expect(await t.hub.ctx.db('outbox').where({ channel: 'slack' }).select('id')).to.deep.equal([]);
  });
});
