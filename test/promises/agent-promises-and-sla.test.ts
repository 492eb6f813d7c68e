import { expect } from 'chai';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { at, configWith, CUSTOMER, dossier, outbox, smsComplaint, TUESDAY_10 } from './helpers';

const CATEGORIES = [
  { id: 'levering', name: 'Levering', keywords: ['pakket', 'bezorg'] },
  { id: 'overig', name: 'Overig' },
];
/** Levering 4 h to a first response, high priority 2 h and 8 h, and team Klantenservice resolves within 16 h. */
const SLA = {
  acknowledgeSeconds: 60,
  firstResponseHours: 8,
  resolutionHours: 24,
  byCategory: { levering: { firstResponseHours: 4 }, overig: { firstResponseHours: 16 } },
  byPriority: { high: { firstResponseHours: 2, resolutionHours: 8 } },
};
const TEAMS = [
  {
    id: 'service',
    name: 'Klantenservice',
    slackChannel: 'C0SERVICE',
    hours: { mon: ['09:00-17:00'], tue: ['09:00-12:30', '13:30-17:00'], wed: ['09:00-17:00'], thu: ['09:00-17:00'], fri: ['09:00-17:00'] },
    sla: { resolutionHours: 16 },
  },
];
const configured = (extra: Record<string, unknown> = {}) => configWith({ escalation: [], categories: CATEGORIES, sla: SLA, teams: TEAMS, ...extra });
const due = (promises: { kind: string; state: string; due: string }[], kind: string) => promises.filter((promise) => promise.kind === kind && promise.state === 'open').map((promise) => promise.due);

describe(`promises: an agent's own, and the SLA per team, category and priority (${storeName})`, function () {
  let t: TestHub;
  afterEach(async () => {
    await t?.stop();
  });

  it("an agent's promise is recorded with its owner and due time, kept by the agent, and a second keep is refused", async () => {
    t = await startHub({ now: TUESDAY_10, config: configured() });
    const { reference } = await smsComplaint(t);
    const made = await t.request('POST', `/api/threads/${reference}/promises`, { body: { agent: 'bram', text: 'Nieuw pakket verstuurd', due: '2026-11-27T17:00:00+01:00' } });
    expect(made.status, made.text).to.equal(201);
    expect(made.json.promise).to.deep.equal({ id: made.json.promise.id, kind: 'agent', text: 'Nieuw pakket verstuurd', due: '2026-11-27T17:00:00+01:00', owner: { team: 'service', agent: 'bram' }, state: 'open' });

    await at(t, '2026-11-26T10:00:00+01:00');
    const kept = await t.request('POST', `/api/threads/${reference}/promises/${made.json.promise.id}/keep`, { body: { agent: 'bram' } });
    expect(kept.status, kept.text).to.equal(200);
    expect(kept.json.promise).to.include({ state: 'kept', keptAt: '2026-11-26T10:00:00+01:00' });
    const again = await t.request('POST', `/api/threads/${reference}/promises/${made.json.promise.id}/keep`, { body: { agent: 'bram' } });
    expect(again.status).to.equal(409);
    expect((await dossier(t, reference)).timeline.map((event: { kind: string }) => event.kind)).to.include.members(['promise-made', 'promise-kept']);
  });

  it('refuses a promise in the past, by an unknown agent, on a resolved thread, or on a reference that does not exist', async () => {
    t = await startHub({ now: TUESDAY_10, config: configured() });
    const { reference } = await smsComplaint(t);
    const post = (path: string, body: unknown) => t.request('POST', path, { body });
    expect((await post(`/api/threads/${reference}/promises`, { agent: 'bram', text: 'Gisteren al', due: '2026-11-23T17:00:00+01:00' })).status).to.equal(400);
    expect((await post(`/api/threads/${reference}/promises`, { agent: 'mallory', text: 'Alles gratis', due: '2026-11-27T17:00:00+01:00' })).status).to.equal(400);
    expect((await post(`/api/threads/${reference}/promises`, { agent: 'bram', text: 'x'.repeat(201), due: '2026-11-27T17:00:00+01:00' })).status).to.equal(400);
    const wrongDigit = `${reference.slice(0, -1)}${(Number(reference.at(-1)) + 1) % 10}`;
    expect((await post(`/api/threads/${wrongDigit}/promises`, { agent: 'bram', text: 'Nieuw pakket', due: '2026-11-27T17:00:00+01:00' })).status).to.equal(404);
    expect((await post(`/api/threads/${reference}/resolve`, { agent: 'anna', resolution: 'Opgelost' })).status).to.equal(200);
    expect((await post(`/api/threads/${reference}/promises`, { agent: 'bram', text: 'Nieuw pakket', due: '2026-11-27T17:00:00+01:00' })).status).to.equal(409);
  });

  it("an agent's promise not kept in time gets a new time and the customer hears it in the agent's words; keeping the old one keeps the new", async () => {
    t = await startHub({ now: TUESDAY_10, config: configured() });
    const { reference } = await smsComplaint(t);
    const made = await t.request('POST', `/api/threads/${reference}/promises`, { body: { agent: 'bram', text: 'Nieuw pakket verstuurd', due: '2026-11-24T12:00:00+01:00' } });
    await at(t, '2026-11-24T12:00:00+01:00');
    const sms = (await outbox(t, { channel: 'sms' })).at(-1);
    expect(sms).to.include({ recipient: CUSTOMER });
    expect(sms?.body).to.equal(`Het spijt ons: het is ons niet gelukt om vóór dinsdag 24 november 12:00 na te komen wat we u over ${reference} hadden toegezegd: "Nieuw pakket verstuurd". De nieuwe tijd is uiterlijk dinsdag 24 november 17:00.`);
    const kept = await t.request('POST', `/api/threads/${reference}/promises/${made.json.promise.id}/keep`, { body: { agent: 'bram' } });
    expect(kept.status, kept.text).to.equal(200);
    expect(kept.json.promise).to.include({ state: 'kept', due: '2026-11-24T17:00:00+01:00' });
    const agents = (await dossier(t, reference)).promises.filter((promise: { kind: string }) => promise.kind === 'agent');
    expect(agents.map((promise: { state: string }) => promise.state)).to.deep.equal(['broken', 'kept']);
  });

  it("a keyword puts a new thread in its category, whose targets apply; the team's own resolution time wins over the hub-wide one", async () => {
    t = await startHub({ now: TUESDAY_10, config: configured() });
    const { reference } = await smsComplaint(t, { body: 'Mijn pakketje is nooit bezorgd' });
    const thread = await dossier(t, reference);
    expect(thread.issue.category).to.equal('levering');
    // 4 service hours from Tuesday 10:00 (lunch 12:30-13:30); the team's 16 hours: Tuesday 6, Wednesday 8, Thursday 2.
    expect(due(thread.promises, 'first-response')).to.deep.equal(['2026-11-24T15:00:00+01:00']);
    expect(due(thread.promises, 'resolution')).to.deep.equal(['2026-11-26T11:00:00+01:00']);
    expect(thread.sla.firstResponseDue).to.equal('2026-11-24T15:00:00+01:00');
  });

  it('an agent sets category and priority: the most specific target wins (category over priority), and a time the customer was told never moves later', async () => {
    t = await startHub({ now: TUESDAY_10, config: configured() });
    const { reference } = await smsComplaint(t);
    expect(due((await dossier(t, reference)).promises, 'first-response')).to.deep.equal(['2026-11-25T11:00:00+01:00']);
    const set = await t.request('POST', `/api/threads/${reference}/category`, { body: { category: 'levering', priority: 'high', agent: 'anna' } });
    expect(set.status, set.text).to.equal(200);
    // Levering's 4 hours beat high priority's 2; the team's 16 beat high priority's 8.
    expect(set.json).to.deep.equal({ category: 'levering', priority: 'high', firstResponseDue: '2026-11-24T15:00:00+01:00', resolutionDue: '2026-11-26T11:00:00+01:00' });
    const thread = await dossier(t, reference);
    expect(due(thread.promises, 'first-response')).to.deep.equal(['2026-11-24T15:00:00+01:00']);
    expect(thread.issue.category).to.equal('levering');

    // "Overig" allows 16 hours, but she was told 15:00 in writing: it stays 15:00. The resolution, never told, follows the SLA (team 16 h).
    const later = await t.request('POST', `/api/threads/${reference}/category`, { body: { category: 'overig', agent: 'anna' } });
    expect(later.json).to.include({ priority: 'high', firstResponseDue: '2026-11-24T15:00:00+01:00' });
    expect((await t.request('POST', `/api/threads/${reference}/category`, { body: { category: 'onbekend', agent: 'anna' } })).status).to.equal(400);
    expect((await t.request('POST', `/api/threads/${reference}/category`, { body: { category: 'levering', priority: 'urgent', agent: 'anna' } })).status).to.equal(400);
  });

  it('closing days count as closed: a first response due over a closed Wednesday moves to Thursday', async () => {
    t = await startHub({ now: TUESDAY_10, config: configured({ closedDays: ['2026-11-25'] }) });
    const { reference } = await smsComplaint(t);
    // Tuesday 6 service hours, Wednesday closed, Thursday 2.
    expect(due((await dossier(t, reference)).promises, 'first-response')).to.deep.equal(['2026-11-26T11:00:00+01:00']);
  });
});
