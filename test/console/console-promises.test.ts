import { expect } from 'chai';
import { setPassword } from '../../src/console/credentials';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { at, configWith, smsComplaint, TUESDAY_10 } from '../promises/helpers';
import { ConsoleClient } from './console-client';

describe(`console: the Beloftes panel, absence, the team view's promises (${storeName})`, function () {
  this.timeout(30_000);
  let t: TestHub;
  let anna: ConsoleClient;
  let bram: ConsoleClient;

  beforeEach(async () => {
    t = await startHub({ now: TUESDAY_10, config: configWith({ escalation: [], categories: [{ id: 'levering', name: 'Levering', keywords: ['pakket'] }], sla: { byCategory: { levering: { firstResponseHours: 4 } } } }) });
    await setPassword(t.hub.ctx.db, { agentId: 'anna', password: 'lange-zin-voor-anna', now: TUESDAY_10 });
    await setPassword(t.hub.ctx.db, { agentId: 'bram', password: 'lange-zin-voor-bram', now: TUESDAY_10 });
    anna = new ConsoleClient(t);
    bram = new ConsoleClient(t);
    await anna.login('anna', 'lange-zin-voor-anna');
    await bram.login('bram', 'lange-zin-voor-bram');
  });
  afterEach(async () => {
    await t?.stop();
  });

  /** The text of the panel's list, one line per promise, without markup. */
  const panel = (html: string) =>
    [...(/<ul class="promises">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '').matchAll(/<li class="promise ([a-z]+)">([\s\S]*?)<\/li>/g)].map((match) => `${match[1]}: ${(match[2] ?? '').replace(/<form[\s\S]*?<\/form>/g, '').replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim()}`);

  it('lists every promise with its time, owner and state; an agent adds one, keeps it, and sets the category, which moves the first response', async () => {
    const { reference } = await smsComplaint(t);
    const page = await anna.get(`/console/threads/${reference}`);
    expect(panel(page.html)).to.deep.equal([
      'kept: ontvangstbevestiging uiterlijk di 24 nov 10:01 team Klantenservice · gehouden di 24 nov 10:00',
      'open: eerste reactie uiterlijk wo 25 nov 11:00 (nog 1 d 1 u) team Klantenservice · open',
      'open: oplossing uiterlijk vr 27 nov 11:00 (nog 3 d 1 u) team Klantenservice · open',
    ]);

    const added = await bram.post(`/console/threads/${reference}/promises`, { text: 'Nieuw pakket <b>verstuurd</b>', due: '2026-11-26T17:00' });
    expect(added.location).to.equal(`/console/threads/${reference}?done=promises`);
    const withPromise = await anna.get(`/console/threads/${reference}`);
    expect(panel(withPromise.html)).to.include('open: toezegging &quot;Nieuw pakket &lt;b&gt;verstuurd&lt;/b&gt;&quot; uiterlijk do 26 nov 17:00 (nog 2 d 7 u) Bram Jansen · open');
    const id = /name="id" value="(\d+)"/.exec(withPromise.html)?.[1] as string;
    expect((await bram.post(`/console/threads/${reference}/promises/keep`, { id })).location).to.equal(`/console/threads/${reference}?done=promises/keep`);
    expect(panel((await anna.get(`/console/threads/${reference}`)).html)).to.include('kept: toezegging &quot;Nieuw pakket &lt;b&gt;verstuurd&lt;/b&gt;&quot; uiterlijk do 26 nov 17:00 Bram Jansen · gehouden di 24 nov 10:00');
    const again = await bram.post(`/console/threads/${reference}/promises/keep`, { id });
    expect(again.location).to.match(/\?problem=/);

    expect((await anna.post(`/console/threads/${reference}/category`, { category: 'levering', priority: 'high' })).location).to.equal(`/console/threads/${reference}?done=category`);
    const categorised = await anna.get(`/console/threads/${reference}`);
    expect(categorised.html).to.contain('Levering').and.contain('<strong>hoge prioriteit</strong>');
    expect(panel(categorised.html)).to.include('open: eerste reactie uiterlijk di 24 nov 15:00 (nog 5 u 0 min) team Klantenservice · open');
    expect((await anna.post(`/console/threads/${reference}/promises`, { text: 'Iets', due: 'morgen' })).location).to.match(/\?problem=/);
  });

  it('shows a broken promise and its new time; the customer view of the API agrees', async () => {
    const { reference } = await smsComplaint(t);
    await at(t, '2026-11-25T11:00:00+01:00');
    await anna.login('anna', 'lange-zin-voor-anna'); // a console session lasts 12 hours
    const lines = panel((await anna.get(`/console/threads/${reference}`)).html).filter((line) => line.includes('eerste reactie'));
    expect(lines).to.deep.equal(['broken: eerste reactie uiterlijk wo 25 nov 11:00 team Klantenservice · niet gehouden', 'open: eerste reactie uiterlijk wo 25 nov 15:00 (nog 4 u 0 min) team Klantenservice · open']);
  });

  it('an agent sets their own absence and ends it; a lead sets a team member\'s; an agent cannot set the lead\'s', async () => {
    const set = await bram.post('/console/absence', { agent: 'bram', from: '2026-11-30', to: '2026-12-04' });
    expect(set.location).to.equal('/console/absence?done=set');
    const page = await anna.get('/console/absence');
    expect(page.html).to.contain('ma 30 nov 2026 t/m vr 4 dec 2026');
    expect((await bram.post('/console/absence', { agent: 'anna', from: '2026-11-30', to: '2026-12-04' })).location).to.match(/\?problem=Alleen/);
    expect((await anna.post('/console/absence/end', { agent: 'bram' })).location).to.equal('/console/absence?done=ended');
    expect((await anna.get('/console/absence')).html).not.to.contain('t/m vr 4 dec 2026');
    expect((await anna.post('/console/absence', { agent: 'bram', from: '2026-11-24', to: '2026-11-24' })).location).to.equal('/console/absence?done=set');
    expect(await t.hub.ctx.db('agent_absences').where({ agent_id: 'bram', ended_at: null }).select('from_date', 'set_by')).to.deep.equal([{ from_date: '2026-11-24', set_by: 'anna' }]);
    expect((await bram.post('/console/absence', { agent: 'bram', from: '2026-11-24', to: '2026-11-24' }, { withCsrf: false })).status).to.equal(403);
  });

  it("the team view charts the fortnight's promises kept and broken per kind", async () => {
    const kept = await smsComplaint(t, { from: { kind: 'phone', value: '+31611110001' } });
    await smsComplaint(t, { from: { kind: 'phone', value: '+31611110002' } });
    expect((await t.request('POST', `/api/threads/${kept.reference}/replies`, { body: { agent: 'anna', text: 'Komt goed.' } })).status).to.equal(201);
    await at(t, '2026-11-25T11:00:00+01:00');
    await anna.login('anna', 'lange-zin-voor-anna'); // a console session lasts 12 hours
    const team = await anna.get('/console/team');
    expect(team.html).to.contain('Beloftes van de afgelopen 14 dagen: gehouden en niet gehouden, per soort');
    expect(team.html).to.contain('eerste reactie gehouden: 1').and.contain('eerste reactie niet gehouden: 1').and.contain('ontvangstbevestiging gehouden: 2');
  });
});
