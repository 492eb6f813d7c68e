import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { storeName } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';

const ROOT = resolve(__dirname, '../..');

describe('running the hub as an operator does', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'klachtenhub-run-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('GET /', () => {
    let t: TestHub;
    beforeEach(async () => {
      t = await startHub();
    });
    afterEach(() => t.stop());

    it('leads a person to the chat and the console, in Dutch or in English', async () => {
      const dutch = await fetch(`${t.base}/`);
      expect(dutch.status).to.equal(200);
      expect(dutch.headers.get('content-type')).to.match(/^text\/html/);
      const page = await dutch.text();
      expect(page).to.contain('href="/chat?lang=nl"').and.to.contain('href="/console"').and.to.contain('Chat met de klantenservice');
      const english = await (await fetch(`${t.base}/`, { headers: { 'accept-language': 'en-GB,en;q=0.9' } })).text();
      expect(english).to.contain('Chat with customer service').and.to.contain('lang="en"');
    });
  });

  it('npm start builds only what changed, and a SIGTERM to npm stops the hub it started', async () => {
    const env = { ...process.env, PORT: '0', DATABASE_URL: `sqlite:${join(dir, 'hub.db')}`, LOG_LEVEL: 'info' };
    // The first run may build; the second finds nothing changed.
    expect(spawnSync(process.execPath, ['scripts/build-if-changed.mjs'], { cwd: ROOT, encoding: 'utf8' }).status).to.equal(0);
    const again = spawnSync(process.execPath, ['scripts/build-if-changed.mjs'], { cwd: ROOT, encoding: 'utf8' });
    expect([again.status, again.stdout]).to.deep.equal([0, '']);

    const npm = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const port = await until(() => Number(/"port":(\d+)/.exec(output)?.[1]) || undefined, 60_000, () => `the hub to listen; it said:\n${output}`);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);

    npm.kill('SIGTERM');
    await until(async () => ((await fetch(`http://127.0.0.1:${port}/healthz`).then(() => false, () => true)) ? true : undefined), 15_000, () => `the hub to stop after npm did; it said:\n${output}`);
    expect(output).to.contain('parent process gone');
  });

  describe('npm run backup', () => {
    let t: TestHub;
    beforeEach(async () => {
      t = await startHub();
    });
    afterEach(() => t.stop());

    const backup = (file: string) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/backup.ts', file], { cwd: ROOT, env: { ...process.env, DATABASE_URL: t.hub.ctx.env.DATABASE_URL } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('close', (status) => done({ status, stdout, stderr }));
      });

    it('copies the SQLite store while contacts keep arriving: the copy opens and holds every contact stored before it began', async function () {
      if (storeName !== 'SQLite') {
        const refused = await backup(join(dir, 'copy.db'));
        expect([refused.status, refused.stderr]).to.satisfy(([status, stderr]: [number, string]) => status === 1 && stderr.includes('pg_dump'));
        return;
      }
      let sequence = 0;
      const sms = () => t.hub.ingest({ channel: 'sms', providerId: `SM${++sequence}`, from: { kind: 'phone', value: `+316${String(10_000_000 + sequence)}` }, body: `Klacht ${sequence}`, at: t.now() });
      for (let i = 0; i < 200; i++) await sms();
      const storedBefore = sequence;
      let arriving = true;
      const webhooks = (async () => {
        while (arriving) await sms();
      })();
      const copy = join(dir, 'copy.db');
      const done = await backup(copy);
      arriving = false;
      await webhooks;
      expect(done.status, done.stderr).to.equal(0);
      const db = new Database(copy, { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).to.equal('ok');
        const { n } = db.prepare('select count(*) as n from contacts').get() as { n: number };
        expect(n).to.be.at.least(storedBefore);
        expect(done.stdout).to.contain(`(${n} contacts)`);
      } finally {
        db.close();
      }
      expect(sequence, 'webhooks kept arriving during the backup').to.be.above(storedBefore);
      // A backup never overwrites.
      const again = await backup(copy);
      expect([again.status, again.stderr.trim()]).to.deep.equal([1, `${copy} exists already; choose a new file, a backup never overwrites one`]);
    });
  });

  it('says what to do when the port is taken, without a stack trace', async () => {
    const taken: Server = createServer();
    await new Promise<void>((ready) => taken.listen(0, '127.0.0.1', ready));
    try {
      const port = (taken.address() as { port: number }).port;
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: { ...process.env, PORT: String(port), DATABASE_URL: `sqlite:${join(dir, 'hub.db')}`, LOG_LEVEL: 'silent' }, encoding: 'utf8' });
      expect(run.status).to.equal(1);
      expect(run.stderr.trim()).to.equal(`Klachtenhub did not start: port ${port} is in use by another program (another hub?); stop it, or set PORT to a free port`);
    } finally {
      taken.close();
    }
  });
});

async function until<T>(check: () => T | undefined | Promise<T | undefined>, ms: number, what: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
