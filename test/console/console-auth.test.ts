import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect } from 'chai';
import { setPassword } from '../../src/console/credentials';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { ConsoleClient } from './console-client';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const PASSWORD = 'lange-zin-voor-anna';

describe(`console login, lock-out, CSRF and roles (${storeName})`, function () {
  this.timeout(30_000);
  let t: TestHub;

  beforeEach(async () => {
    t = await startHub({ now: TUESDAY_10 });
    await setPassword(t.hub.ctx.db, { agentId: 'anna', password: PASSWORD, now: TUESDAY_10 });
    await setPassword(t.hub.ctx.db, { agentId: 'bram', password: 'lange-zin-voor-bram', now: TUESDAY_10 });
  });
  afterEach(async () => {
    await t?.stop();
  });

  it('is never open without login: pages redirect to the login, posts are refused', async () => {
    const client = new ConsoleClient(t);
    const inbox = await client.get('/console');
    expect([inbox.status, inbox.location]).to.deep.equal([303, '/console/login?next=%2Fconsole']);
    expect((await client.get('/console/team')).status).to.equal(303);
    expect((await client.post('/console/threads/KL-12345674/advice', { text: 'x' })).status).to.equal(401);
  });

  it('refuses a wrong password with one message for unknown agents and wrong passwords', async () => {
    const client = new ConsoleClient(t);
    const wrong = await client.login('anna', 'niet-het-wachtwoord');
    const unknown = await client.login('nobody', PASSWORD);
    expect([wrong.status, unknown.status]).to.deep.equal([401, 401]);
    expect(wrong.html).to.contain('Onbekende medewerker of verkeerd wachtwoord.');
    expect(unknown.html).to.contain('Onbekende medewerker of verkeerd wachtwoord.');
    expect((await client.get('/console')).status).to.equal(303);
  });

  it('locks an address out for an agent after five wrong passwords, also against the right one, for fifteen minutes', async () => {
    const client = new ConsoleClient(t);
    for (let i = 0; i < 4; i++) expect((await client.login('anna', `fout-${i}-xxxxxxxx`)).status).to.equal(401);
    const fifth = await client.login('anna', 'fout-5-xxxxxxxx');
    expect(fifth.status).to.equal(429);
    expect(fifth.html).to.contain('Te veel mislukte pogingen. Probeer het opnieuw na 10:15');
    expect((await client.login('anna', PASSWORD)).status).to.equal(429);
    t.setNow(TUESDAY_10 + 15 * 60_000 + 1);
    expect((await client.login('anna', PASSWORD)).status).to.equal(303);
  });

  describe('behind a reverse proxy (TRUST_PROXY)', () => {
    beforeEach(async () => {
      await t.stop();
      t = await startHub({ now: TUESDAY_10, env: { TRUST_PROXY: 'loopback' } });
      await setPassword(t.hub.ctx.db, { agentId: 'anna', password: PASSWORD, now: TUESDAY_10 });
    });

    it('a stranger\'s five wrong passwords lock out only the stranger\'s address: anna still logs in from hers', async () => {
      const stranger = new ConsoleClient(t, { forwardedFor: '203.0.113.9' });
      for (let i = 0; i < 5; i++) await stranger.login('anna', `raden-${i}-xxxxxxxx`);
      expect((await stranger.login('anna', PASSWORD)).status).to.equal(429);
      expect((await new ConsoleClient(t, { forwardedFor: '198.51.100.7' }).login('anna', PASSWORD)).status).to.equal(303);
      // The proxy's own address is no one client: without the header the socket's address counts.
      expect((await new ConsoleClient(t).login('anna', PASSWORD)).status).to.equal(303);
    });

    it('answers an unknown agent exactly as a known one, lock-out included, so ids cannot be probed', async () => {
      const answers = async (agent: string, client: string) => {
        const prober = new ConsoleClient(t, { forwardedFor: client });
        const seen: [number, string][] = [];
        for (let i = 0; i < 6; i++) {
          const answer = await prober.login(agent, `raden-${i}-xxxxxxxx`);
          seen.push([answer.status, /<p class="problem"[^>]*>([^<]*)</.exec(answer.html)?.[1] ?? answer.html.length.toString()]);
        }
        return seen;
      };
      expect(await answers('nobody', '203.0.113.10')).to.deep.equal(await answers('anna', '203.0.113.11'));
    });

    it('npm run agent -- unlock lifts the lock-out of every address', async () => {
      const stranger = new ConsoleClient(t, { forwardedFor: '203.0.113.9' });
      for (let i = 0; i < 5; i++) await stranger.login('anna', `raden-${i}-xxxxxxxx`);
      expect((await stranger.login('anna', PASSWORD)).status).to.equal(429);
      const unlock = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/agent.ts', 'unlock', 'anna'], { cwd: resolve(__dirname, '../..'), env: { ...process.env, DATABASE_URL: t.hub.ctx.env.DATABASE_URL }, encoding: 'utf8' });
      expect([unlock.status, unlock.stdout.trim()]).to.deep.equal([0, 'anna can log in again from every address (5 failed attempts forgotten).']);
      expect((await stranger.login('anna', PASSWORD)).status).to.equal(303);
    });
  });

  it('refuses a form without the session\'s CSRF token, and one with another session\'s', async () => {
    const { reference } = await t.hub.ingest({ channel: 'sms', providerId: 'SM1', from: { kind: 'phone', value: '+31612345678' }, body: 'Pakket kwijt', at: TUESDAY_10 });
    const anna = new ConsoleClient(t);
    const bram = new ConsoleClient(t);
    expect((await anna.login('anna', PASSWORD)).status).to.equal(303);
    expect((await bram.login('bram', 'lange-zin-voor-bram')).status).to.equal(303);
    const missing = await anna.post(`/console/threads/${reference}/advice`, { text: 'Geen token' }, { withCsrf: false });
    expect(missing.status).to.equal(403);
    expect(missing.html).to.contain('reload the page and try again');
    const foreign = await anna.post(`/console/threads/${reference}/advice`, { text: 'Token van bram', csrf: bram.csrf }, { withCsrf: false });
    expect(foreign.status).to.equal(403);
    expect(await t.hub.ctx.db('advice').select('id')).to.deep.equal([]);
    const good = await anna.post(`/console/threads/${reference}/advice`, { text: 'Met token' });
    expect([good.status, good.location]).to.deep.equal([303, `/console/threads/${reference}?done=advice`]);
  });

  it('shows the team view to a lead and refuses it to an agent', async () => {
    const anna = new ConsoleClient(t);
    const bram = new ConsoleClient(t);
    await anna.login('anna', PASSWORD);
    await bram.login('bram', 'lange-zin-voor-bram');
    expect((await anna.get('/console/team')).status).to.equal(200);
    const refused = await bram.get('/console/team');
    expect(refused.status).to.equal(403);
    expect(refused.html).to.contain('this page is for team leads');
    expect((await bram.get('/console')).html).not.to.contain('href="/console/team"');
  });

  it('logs out: the session no longer opens the console', async () => {
    const anna = new ConsoleClient(t);
    await anna.login('anna', PASSWORD);
    expect((await anna.post('/console/logout', {})).location).to.equal('/console/login');
    expect((await anna.get('/console')).status).to.equal(303);
  });

  it('shows every identity of a merged customer in the dossier and undoes the merge from there', async () => {
    const sms = await t.hub.ingest({ channel: 'sms', providerId: 'SMm1', from: { kind: 'phone', value: '+31612345678' }, body: 'Pakket kwijt', at: TUESDAY_10 });
    const mail = await t.hub.ingest({ channel: 'email', providerId: '<m1@example.nl>', from: { kind: 'email', value: 'els@example.nl' }, subject: 'Pakket', body: 'Nog steeds kwijt', at: TUESDAY_10 });
    const merged = await t.request('POST', '/api/merges', { body: { fromReference: mail.reference, intoReference: sms.reference, by: 'anna' } });
    expect(merged.status, merged.text).to.equal(201);
    const anna = new ConsoleClient(t);
    await anna.login('anna', PASSWORD);
    const dossier = await anna.get(`/console/threads/${sms.reference}`);
    expect(dossier.html).to.contain('+31612345678').and.to.contain('els@example.nl');
    const undoPath = /action="(\/console\/merges\/\d+\/undo)"/.exec(dossier.html)?.[1] as string;
    const undone = await anna.post(undoPath, { reference: sms.reference });
    expect(undone.location).to.equal(`/console/threads/${sms.reference}?done=undo`);
    const after = await anna.get(undone.location as string);
    expect(after.html).to.contain('De samenvoeging is ongedaan gemaakt.');
    expect(after.html).not.to.contain('els@example.nl');
  });

  it('shows the outbox (what would have been sent without providers) to a logged-in agent, escaped', async () => {
    const { reference } = await t.hub.ingest({ channel: 'email', providerId: '<o1@example.nl>', from: { kind: 'email', value: 'els@example.nl' }, name: '<script>alert(1)</script>', subject: 'Lamp', body: 'Kapot', at: TUESDAY_10 });
    await t.hub.worker.runDue();
    const anna = new ConsoleClient(t);
    await anna.login('anna', PASSWORD);
    const outbox = await anna.get('/console/outbox');
    expect(outbox.status).to.equal(200);
    expect(outbox.html).to.contain(`Uw klacht is ontvangen [${reference}]`);
    expect(outbox.html).to.contain('Beste &lt;script&gt;alert(1)&lt;/script&gt;,');
    expect(outbox.html).not.to.contain('<script>alert(1)');
  });

  it('sets a password from the command line (npm run agent -- set-password), read from standard input', () => {
    const run = (agent: string, input: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/agent.ts', 'set-password', agent], { cwd: resolve(__dirname, '../..'), input, env: { ...process.env, DATABASE_URL: t.hub.ctx.env.DATABASE_URL }, encoding: 'utf8' });
    const short = run('anna', 'kort\n');
    expect([short.status, short.stderr.trim()]).to.deep.equal([1, 'the password must have at least 10 characters']);
    for (const guessable of ['aaaaaaaaaa', 'Welkom01!!', 'wachtwoord123', 'klachtenhub2026', 'anna-anna-anna']) {
      const refused = run('anna', `${guessable}\n`);
      expect([refused.status, refused.stderr], guessable).to.satisfy(([status, stderr]: [number, string]) => status === 1 && stderr.startsWith('the password is too easy to guess'));
    }
    expect(run('nobody', 'lang-genoeg-wachtwoord\n').stderr).to.contain('unknown agent "nobody"');
    const set = run('anna', 'nieuw-wachtwoord-anna\n');
    expect([set.status, set.stdout.trim()]).to.deep.equal([0, 'Password set for anna.']);
    return new ConsoleClient(t).login('anna', 'nieuw-wachtwoord-anna').then((answer) => expect(answer.status).to.equal(303));
  });
});
