import { expect } from 'chai';
import type { InboundContact } from '../../src/core/contact';
import { CALLBACK_VIEW, SLOT_INPUT } from '../../src/channels/slack/callback-modal';
import { HANDOFF_ACTIONS } from '../../src/handoff/render-slack';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { startFakeSlackApi, type FakeSlackApi } from './fake-slack-api';
import { SECRET, buttonClick, form, slackHeaders, viewSubmission } from './slack-requests';

/** Tuesday 24 November 2026, 10:00 in Amsterdam (the hub's clock; Slack's signature window uses the real one). */
const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');

/** A submitted add-advice or resolve modal: its one text field. */
const textSubmission = (args: { callbackId: string; reference: string; user: string; text: string }) =>
  viewSubmission({ ...args, values: { input: { text: { type: 'plain_text_input', value: args.text } } } });

/** A submitted book-callback modal: the chosen slot's start (epoch ms) in the select. */
const slotSubmission = (args: { reference: string; user: string; start: string }) =>
  viewSubmission({
    ...args,
    callbackId: CALLBACK_VIEW,
    values: { [SLOT_INPUT.block]: { [SLOT_INPUT.action]: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'x' }, value: args.start } } } },
  });

/** The options of the modal's slot select. */
function slotOptions(view: any): { text: { type: string; text: string }; value: string }[] {
  const block = (view?.blocks ?? []).find((candidate: any) => candidate.block_id === SLOT_INPUT.block);
  return block?.element?.options ?? [];
}

describe(`Slack: POST /slack/events (${storeName})`, function () {
  let t: TestHub;
  let slack: FakeSlackApi;

  async function post(body: string, headers: Record<string, string>) {
    return t.request('POST', '/slack/events', { rawBody: body, headers, token: null });
  }

  /** A thread with advice, transferred to the service team: the card sits in C0SERVICE. */
  async function transferredThread(phone = '+31612345678'): Promise<{ reference: string; ts: string }> {
    const contact: InboundContact = { channel: 'sms', providerId: `SMslack${Math.random()}`, from: { kind: 'phone', value: phone }, name: 'Els Jansen', body: 'Mijn mobiele telefoon doet het niet', at: TUESDAY_10 };
    const { reference } = await t.hub.ingest(contact);
    await t.request('POST', `/api/threads/${reference}/advice`, { body: { agent: 'bram', text: 'Toestel herstarten' } });
    const response = await t.request('POST', `/api/threads/${reference}/transfer`, { body: { toTeam: 'service' } });
    expect(response.json.card.via, response.text).to.equal('slack');
    return { reference, ts: response.json.card.id };
  }

  describe('with the app configured', () => {
    beforeEach(async () => {
      slack = await startFakeSlackApi();
      t = await startHub({ now: TUESDAY_10, env: { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.url } });
    });
    afterEach(async () => {
      await t.stop();
      await slack.close();
    });

    it("accepts a correctly signed request (Slack's url_verification challenge)", async () => {
      const body = JSON.stringify({ type: 'url_verification', token: 'legacy', challenge: 'c-3po' });
      const response = await post(body, slackHeaders(body, { contentType: 'application/json' }));
      expect(response.status, response.text).to.equal(200);
      expect(response.text).to.contain('c-3po');
    });

    it('refuses a wrong signature, a missing signature and a request signed six minutes ago or ahead with 401', async () => {
      const body = JSON.stringify({ type: 'url_verification', token: 'legacy', challenge: 'c-3po' });
      const wrong = await post(body, slackHeaders(body, { contentType: 'application/json', secret: 'not-the-secret' }));
      expect(wrong.status).to.equal(401);
      const missing = await post(body, { 'content-type': 'application/json' });
      expect(missing.status).to.equal(401);
      const stale = await post(body, slackHeaders(body, { contentType: 'application/json', ageSeconds: 6 * 60 }));
      expect(stale.status).to.equal(401);
      // Correctly signed, but for six minutes from now: replayable for longer than Slack allows.
      const future = await post(body, slackHeaders(body, { contentType: 'application/json', ageSeconds: -6 * 60 }));
      expect(future.status).to.equal(401);
      const slightlyAhead = await post(body, slackHeaders(body, { contentType: 'application/json', ageSeconds: -30 }));
      expect(slightlyAhead.status).to.equal(200);
      const tampered = slackHeaders(body, { contentType: 'application/json' });
      const other = await post(body.replace('c-3po', 'r2-d2'), tampered);
      expect(other.status).to.equal(401);
      expect(slack.calls).to.have.length(0);
    });

    it('an accept click assigns the thread to the clicking agent and updates the card to say so', async () => {
      const { reference, ts } = await transferredThread();
      const body = buttonClick({ actionId: HANDOFF_ACTIONS.accept, value: reference, user: 'U0ANNA', channel: 'C0SERVICE', ts });
      const started = Date.now();
      const response = await post(body, slackHeaders(body, { contentType: 'application/x-www-form-urlencoded' }));
      expect(response.status, response.text).to.equal(200);
      expect(Date.now() - started).to.be.below(3000);
      const [update] = await slack.waitFor('chat.update');
      expect(update?.args).to.include({ channel: 'C0SERVICE', ts });
      const blocks = JSON.stringify(update?.args.blocks);
      expect(blocks).to.contain('aangenomen door Anna de Vries').and.contain('Toestel herstarten');
      expect(blocks).not.to.contain(HANDOFF_ACTIONS.accept);
      const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
      expect(dossier.agent).to.equal('anna');
    });

    it('a late accept by a second agent leaves the thread with the first and tells the second privately', async () => {
      const { reference, ts } = await transferredThread();
      for (const user of ['U0ANNA', 'U0BRAM']) {
        const body = buttonClick({ actionId: HANDOFF_ACTIONS.accept, value: reference, user, channel: 'C0SERVICE', ts });
        expect((await post(body, slackHeaders(body, { contentType: 'application/x-www-form-urlencoded' }))).status).to.equal(200);
        await slack.waitFor(user === 'U0ANNA' ? 'chat.update' : 'chat.postEphemeral');
      }
      const [ephemeral] = slack.callsTo('chat.postEphemeral');
      expect(ephemeral?.args).to.include({ user: 'U0BRAM', channel: 'C0SERVICE' });
      expect(ephemeral?.args.text).to.contain('al aangenomen door Anna de Vries');
      expect((await t.request('GET', `/api/threads/${reference}`)).json.agent).to.equal('anna');
      // The bot's identity is asked once, not before every acknowledgement; the bot token goes with every call.
      expect(slack.callsTo('auth.test')).to.have.length(1);
      expect(ephemeral?.authorization).to.equal('Bearer xoxb-test');
    });

    it('add advice opens a modal whose submission becomes advice on the thread', async () => {
      const { reference, ts } = await transferredThread();
      const click = buttonClick({ actionId: HANDOFF_ACTIONS.addAdvice, value: reference, user: 'U0ANNA', channel: 'C0SERVICE', ts });
      expect((await post(click, slackHeaders(click, { contentType: 'application/x-www-form-urlencoded' }))).status).to.equal(200);
      const [open] = await slack.waitFor('views.open');
      expect(open?.args.trigger_id).to.equal('1234567890.0987654321.abcdef');
      expect(open?.args.view.private_metadata).to.equal(reference);
      expect(open?.args.view.title.text).to.equal('Advies toevoegen');

      const submit = textSubmission({ callbackId: open?.args.view.callback_id, reference, user: 'U0ANNA', text: 'Nieuwe SIM-kaart opgestuurd' });
      const response = await post(submit, slackHeaders(submit, { contentType: 'application/x-www-form-urlencoded' }));
      expect(response.status, response.text).to.equal(200);
      let advice: { agent: string; text: string }[] = [];
      for (let attempt = 0; attempt < 50 && advice.length < 2; attempt++) {
        advice = (await t.request('GET', `/api/threads/${reference}`)).json.advice;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(advice.map((entry) => [entry.agent, entry.text])).to.deep.equal([
        ['bram', 'Toestel herstarten'],
        ['anna', 'Nieuwe SIM-kaart opgestuurd'],
      ]);
    });

    it('keeps the posted card current: advice from Slack and from the API, a booked callback, then the resolution without buttons', async () => {
      const { reference, ts } = await transferredThread();
      /** The next chat.update of the card, once it has arrived; its blocks as text. */
      let seen = 0;
      const nextCardUpdate = async () => {
        const updates = await slack.waitFor('chat.update', ++seen);
        const update = updates[seen - 1];
        expect(update?.args).to.include({ channel: 'C0SERVICE', ts });
        return JSON.stringify(update?.args.blocks);
      };

      const submit = textSubmission({ callbackId: 'handoff_add_advice_modal', reference, user: 'U0ANNA', text: 'Nieuwe SIM-kaart opgestuurd' });
      expect((await post(submit, slackHeaders(submit, { contentType: 'application/x-www-form-urlencoded' }))).status).to.equal(200);
      expect(await nextCardUpdate()).to.contain('Toestel herstarten').and.contain('Nieuwe SIM-kaart opgestuurd');

      expect((await t.request('POST', `/api/threads/${reference}/advice`, { body: { agent: 'bram', text: 'Netwerkinstellingen resetten' } })).status).to.equal(201);
      expect(await nextCardUpdate()).to.contain('Netwerkinstellingen resetten');

      const [slot] = (await t.request('GET', `/api/callbacks/slots?reference=${reference}`)).json as { start: string }[];
      expect((await t.request('POST', `/api/threads/${reference}/callbacks`, { body: { start: slot?.start } })).status).to.equal(201);
      expect(await nextCardUpdate()).to.contain('terugbelafspraak di 24 nov 10:30');

      expect((await t.request('POST', `/api/threads/${reference}/resolve`, { body: { agent: 'anna', resolution: 'Nieuwe SIM werkt' } })).status).to.equal(200);
      const resolved = await nextCardUpdate();
      expect(resolved).to.contain('afgesloten door Anna de Vries');
      expect(resolved).not.to.contain(HANDOFF_ACTIONS.addAdvice);
    });

    it('a hub stopping right after an API change still redraws the card before it closes the store', async () => {
      const { reference } = await transferredThread();
      await slack.waitFor('chat.postMessage');
      slack.delay('chat.update', 300);
      expect((await t.request('POST', `/api/threads/${reference}/advice`, { body: { agent: 'bram', text: 'Simkaart omwisselen' } })).status).to.equal(201);
      await t.hub.stop();
      const [update] = slack.callsTo('chat.update');
      expect(update, 'the card update reached Slack before stop() returned').to.exist;
      expect(JSON.stringify(update?.args.blocks)).to.contain('Simkaart omwisselen');
    });

    it('an empty advice or resolution, or a Slack user without an agent, is refused on the field and changes nothing', async () => {
      const { reference } = await transferredThread();
      // The modals' callback ids, as the add-advice and resolve tests above read them from views.open.
      const submit = async (callbackId: string, user: string, text: string) => {
        const body = textSubmission({ callbackId, reference, user, text });
        return (await post(body, slackHeaders(body, { contentType: 'application/x-www-form-urlencoded' }))).json;
      };

      expect(await submit('handoff_add_advice_modal', 'U0ANNA', '   ')).to.deep.equal({ response_action: 'errors', errors: { input: 'Vul het advies in.' } });
      expect(await submit('handoff_resolve_modal', 'U0ANNA', '')).to.deep.equal({ response_action: 'errors', errors: { input: 'Beschrijf de oplossing.' } });
      expect((await submit('handoff_add_advice_modal', 'U0STRANGER', 'Iets')).response_action).to.equal('errors');

      const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
      expect(dossier.advice.map((entry: { text: string }) => entry.text)).to.deep.equal(['Toestel herstarten']);
      expect(dossier.status).to.equal('open');
    });

    it('resolve opens a modal asking the resolution, and its submission closes the thread', async () => {
      const { reference, ts } = await transferredThread();
      const click = buttonClick({ actionId: HANDOFF_ACTIONS.resolve, value: reference, user: 'U0BRAM', channel: 'C0SERVICE', ts });
      await post(click, slackHeaders(click, { contentType: 'application/x-www-form-urlencoded' }));
      const [open] = await slack.waitFor('views.open');
      expect(open?.args.view.title.text).to.equal('Klacht afsluiten');
      const submit = textSubmission({ callbackId: open?.args.view.callback_id, reference, user: 'U0BRAM', text: 'Toestel vervangen' });
      expect((await post(submit, slackHeaders(submit, { contentType: 'application/x-www-form-urlencoded' }))).status).to.equal(200);
      let status = 'open';
      for (let attempt = 0; attempt < 50 && status !== 'resolved'; attempt++) {
        status = (await t.request('GET', `/api/threads/${reference}`)).json.status;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(status).to.equal('resolved');
    });

    it('book callback opens a modal with the free slots of the thread\'s team, and its submission books one', async () => {
      const { reference, ts } = await transferredThread();
      const click = buttonClick({ actionId: HANDOFF_ACTIONS.bookCallback, value: reference, user: 'U0ANNA', channel: 'C0SERVICE', ts });
      const response = await post(click, slackHeaders(click, { contentType: 'application/x-www-form-urlencoded' }));
      expect(response.status, response.text).to.equal(200);
      const [open] = await slack.waitFor('views.open');
      expect(open?.args.view).to.include({ callback_id: CALLBACK_VIEW, private_metadata: reference });
      const options = slotOptions(open?.args.view);
      expect(options).to.have.length(10);
      const slots = (await t.request('GET', `/api/callbacks/slots?reference=${reference}&limit=10`)).json as { start: string }[];
      expect(options.map((option) => Number(option.value))).to.deep.equal(slots.map((slot) => Date.parse(slot.start)));
      // 10:00 Tuesday + 30 minutes' notice: the first offer is 10:30 that day, labelled in Dutch for Anna.
      expect(options[0]).to.deep.equal({ text: { type: 'plain_text', text: 'di 24 nov 10:30' }, value: String(Date.parse(slots[0]!.start)) });

      const submit = slotSubmission({ reference, user: 'U0ANNA', start: options[1]!.value });
      const booked = await post(submit, slackHeaders(submit, { contentType: 'application/x-www-form-urlencoded' }));
      expect(booked.status, booked.text).to.equal(200);
      expect(booked.text).to.equal('');
      const dossier = (await t.request('GET', `/api/threads/${reference}`)).json;
      expect(dossier.callbacks).to.deep.equal([{ start: '2026-11-24T10:45:00+01:00', end: '2026-11-24T11:00:00+01:00', status: 'booked', agent: 'anna', actualStart: null, outcome: null }]);
      const [dm] = await slack.waitFor('chat.postMessage', 2); // the first is the handoff card
      expect(slack.callsTo('chat.postMessage')[1]?.args).to.include({ channel: 'U0ANNA', text: `Terugbellen voor ${reference} gepland: di 24 nov 10:45.` });
      expect(dm).to.exist;
    });

    it('a slot taken meanwhile is refused on the select, in the agent\'s language', async () => {
      // Three customers, so three threads.
      const a = await transferredThread('+31612345671');
      const b = await transferredThread('+31612345672');
      const c = await transferredThread('+31612345673');
      const click = buttonClick({ actionId: HANDOFF_ACTIONS.bookCallback, value: b.reference, user: 'U0BRAM', channel: 'C0SERVICE', ts: b.ts });
      await post(click, slackHeaders(click, { contentType: 'application/x-www-form-urlencoded' }));
      const [open] = await slack.waitFor('views.open');
      const start = slotOptions(open?.args.view)[0]!.value;
      // Meanwhile both agents get a callback at that time: one booked from Slack, one through the API.
      const first = slotSubmission({ reference: a.reference, user: 'U0ANNA', start });
      expect((await post(first, slackHeaders(first, { contentType: 'application/x-www-form-urlencoded' }))).text).to.equal('');
      const api = await t.request('POST', `/api/threads/${c.reference}/callbacks`, { body: { start: new Date(Number(start)).toISOString() } });
      expect(api.status, api.text).to.equal(201);

      const late = slotSubmission({ reference: b.reference, user: 'U0BRAM', start });
      const response = await post(late, slackHeaders(late, { contentType: 'application/x-www-form-urlencoded' }));
      expect(response.status, response.text).to.equal(200);
      expect(response.json.response_action).to.equal('errors');
      expect(response.json.errors[SLOT_INPUT.block]).to.contain('di 24 nov 10:30 is net bezet geraakt');
      expect((await t.request('GET', `/api/threads/${b.reference}`)).json.callbacks).to.deep.equal([]);
      expect((await t.request('GET', `/api/threads/${a.reference}`)).json.callbacks).to.have.length(1);
    });

    it('book callback says so when the team has no free time, and a resolved thread cannot book', async () => {
      const { reference, ts } = await transferredThread();
      await t.hub.ctx.db('threads').where({ reference }).update({ team_id: 'opgeheven' }); // a team since removed: no agents
      const click = buttonClick({ actionId: HANDOFF_ACTIONS.bookCallback, value: reference, user: 'U0ANNA', channel: 'C0SERVICE', ts });
      await post(click, slackHeaders(click, { contentType: 'application/x-www-form-urlencoded' }));
      const [open] = await slack.waitFor('views.open');
      expect(open?.args.view.submit).to.equal(undefined);
      expect(JSON.stringify(open?.args.view.blocks)).to.contain(`Geen vrije terugbeltijden voor ${reference}`);

      const other = await transferredThread('+31612345679');
      const slots = (await t.request('GET', `/api/callbacks/slots?reference=${other.reference}`)).json as { start: string }[];
      await t.request('POST', `/api/threads/${other.reference}/resolve`, { body: { agent: 'anna', resolution: 'Opgelost' } });
      const submit = slotSubmission({ reference: other.reference, user: 'U0ANNA', start: String(Date.parse(slots[0]!.start)) });
      const response = await post(submit, slackHeaders(submit, { contentType: 'application/x-www-form-urlencoded' }));
      expect(response.json?.response_action, response.text).to.equal('errors');
      expect(response.json.errors[SLOT_INPUT.block]).to.contain('niet meer open');
    });

    it('/klacht KL-… answers an agent with an ephemeral dossier summary, and a non-agent with nothing of it', async () => {
      const { reference } = await transferredThread();
      const body = form({
        token: 'legacy',
        team_id: 'T0HUB',
        team_domain: 'klachtenhub',
        channel_id: 'C0SERVICE',
        channel_name: 'klantenservice',
        user_id: 'U0BRAM',
        user_name: 'bram',
        command: '/klacht',
        text: reference,
        api_app_id: 'A0HUB',
        response_url: 'https://hooks.slack.invalid/commands/T0HUB/1/abc',
        trigger_id: '1234567890.0987654321.cmd',
      });
      const response = await post(body, slackHeaders(body, { contentType: 'application/x-www-form-urlencoded' }));
      expect(response.status, response.text).to.equal(200);
      expect(response.json.response_type).to.equal('ephemeral');
      const blocks = JSON.stringify(response.json.blocks);
      expect(blocks).to.contain(reference).and.contain('Els Jansen').and.contain('Mijn mobiele telefoon doet het niet').and.contain('Toestel herstarten');

      const unknown = form({ command: '/klacht', text: 'KL-00000000', user_id: 'U0BRAM', team_id: 'T0HUB', channel_id: 'C0SERVICE', response_url: 'https://hooks.slack.invalid/x', trigger_id: 't' });
      const missing = await post(unknown, slackHeaders(unknown, { contentType: 'application/x-www-form-urlencoded' }));
      expect(missing.json).to.deep.include({ response_type: 'ephemeral', text: 'Geen klacht met referentie KL-00000000.' });

      // A workspace member who is no configured agent learns nothing of the complaint.
      const outsider = form({ command: '/klacht', text: reference, user_id: 'U0STRANGER', team_id: 'T0HUB', channel_id: 'C0SERVICE', response_url: 'https://hooks.slack.invalid/x', trigger_id: 't' });
      const refused = await post(outsider, slackHeaders(outsider, { contentType: 'application/x-www-form-urlencoded' }));
      expect(refused.status).to.equal(200);
      expect(refused.json.response_type).to.equal('ephemeral');
      expect(refused.json.text).to.contain('niet gekoppeld aan een Klachtenhub-agent').and.contain('not linked to a Klachtenhub agent');
      expect(JSON.stringify(refused.json)).to.not.contain('Els Jansen').and.not.contain(reference);
    });
  });

  describe('with a signing secret but no bot token', () => {
    beforeEach(async () => {
      t = await startHub({ now: TUESDAY_10, env: { SLACK_SIGNING_SECRET: SECRET } });
    });
    afterEach(async () => {
      await t.stop();
    });

    it('still answers /klacht, in the acknowledgement itself', async () => {
      const contact: InboundContact = { channel: 'sms', providerId: 'SMslack-no-token', from: { kind: 'phone', value: '+31612345678' }, name: 'Els Jansen', body: 'Geen bereik', at: TUESDAY_10 };
      const { reference } = await t.hub.ingest(contact);
      const body = form({ command: '/klacht', text: reference, user_id: 'U0ANNA', team_id: 'T0HUB', channel_id: 'C0SERVICE', response_url: 'https://hooks.slack.invalid/x', trigger_id: 't' });
      const response = await post(body, slackHeaders(body, { contentType: 'application/x-www-form-urlencoded' }));
      expect(response.status, response.text).to.equal(200);
      expect(response.json.response_type).to.equal('ephemeral');
      expect(JSON.stringify(response.json.blocks)).to.contain('Geen bereik');
    });
  });

  describe('without SLACK_SIGNING_SECRET', () => {
    beforeEach(async () => {
      t = await startHub({ now: TUESDAY_10 });
    });
    afterEach(async () => {
      await t.stop();
    });

    it('answers 503 slack_not_configured instead of accepting unverifiable requests', async () => {
      const response = await post('{}', { 'content-type': 'application/json' });
      expect(response.status).to.equal(503);
      expect(response.json.error.code).to.equal('slack_not_configured');
    });
  });
});
