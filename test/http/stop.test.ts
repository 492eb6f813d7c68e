import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { openDb } from '../../src/core/db';
import { storeName } from '../helpers/db';
import { freshStore, startHub } from '../helpers/hub';
import { startHubProcess } from '../helpers/hub-process';
import { webhookLoad } from '../helpers/webhook-load';
import { AUTH_TOKEN } from '../channels/twilio-helpers';

const PUBLIC_URL = 'https://hub.example.nl';

/**
 * A SIGTERM under load (the deploy's restart): /readyz turns 503 first while the hub still serves
 * for STOP_DRAIN_MS, then it stops listening and finishes every request it accepted. Node's own
 * close reset 17-20 of 20 webhooks in flight here.
 */
describe(`stopping the hub (${storeName})`, function () {
  this.timeout(120_000);

  /** 20 webhooks in flight until the hub exits, from a sender that stops once /readyz says 503 (as a load balancer does) or not. */
  async function underLoad(options: { keepAlive: boolean; heedReadiness: boolean }) {
    const store = await freshStore();
    try {
      const hub = await startHubProcess({ DATABASE_URL: store.url, PUBLIC_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN, STOP_DRAIN_MS: '1000', STOP_TIMEOUT_MS: '10000' });
      const loading = webhookLoad(hub, { publicUrl: PUBLIC_URL, inFlight: 20, ...options });
      await sleep(1_500);
      const signalled = Date.now();
      hub.kill('SIGTERM');
      const { answered, errors, notReadyAt } = await loading;
      const { code } = await hub.exited;
      const stoppedIn = Date.now() - signalled;

      const cutOff = errors.filter((error) => error !== 'ECONNREFUSED');
      expect(cutOff, `requests cut off; the hub said:\n${hub.output().slice(-2_000)}`).to.deep.equal([]);
      expect(answered.every((outcome) => outcome.status === 200)).to.equal(true);
      expect(answered.length).to.be.greaterThan(100);
      expect(notReadyAt, '/readyz turned 503').to.be.a('number');
      expect(code).to.equal(0);
      expect(stoppedIn, 'drain (1 s) plus finishing up').to.be.below(6_000);

      const db = openDb({ url: store.url });
      try {
        const stored: string[] = await db('contacts').where({ direction: 'inbound' }).pluck('provider_id');
        expect([...stored].sort(), 'every answered webhook stored, once').to.deep.equal(answered.map((outcome) => outcome.sid).sort());
      } finally {
        await db.destroy();
      }
      return { refused: errors.length, afterNotReady: answered.filter((outcome) => outcome.afterNotReady).length };
    } finally {
      await store.drop();
    }
  }

  it('behind a load balancer that heeds /readyz: 0 of 20 webhooks in flight cut off or refused, and it still answered after saying 503', async () => {
    const { refused, afterNotReady } = await underLoad({ keepAlive: true, heedReadiness: true });
    expect(refused).to.equal(0);
    expect(afterNotReady, 'webhooks already on their way were answered during the drain').to.be.greaterThan(0);
  });

  it('the same with a new connection for every webhook', async () => {
    expect((await underLoad({ keepAlive: false, heedReadiness: true })).refused).to.equal(0);
  });

  it('with a client that keeps sending on kept-alive connections through the stop: none cut off, refused once nothing listens', async () => {
    expect((await underLoad({ keepAlive: true, heedReadiness: false })).refused).to.be.greaterThan(0);
  });

  it('says 503 on /readyz from the first moment of a stop, while it still answers everything else', async () => {
    const t = await startHub({ env: { STOP_DRAIN_MS: '300' } });
    expect((await t.request('GET', '/readyz')).status).to.equal(200);
    const stopping = t.hub.stop();
    const ready = await t.request('GET', '/readyz');
    expect([ready.status, ready.json]).to.deep.equal([503, { status: 'stopping' }]);
    expect((await t.request('GET', '/healthz')).status).to.equal(200);
    await stopping;
    await t.stop();
  });

  it('drains when a process group is stopped (npm start and the hub get SIGTERM together): npm going away is no second signal', async () => {
    const store = await freshStore();
    try {
      const npm = spawn('npm', ['start'], { cwd: resolve(__dirname, '..', '..'), detached: true, env: { ...process.env, PORT: '0', DATABASE_URL: store.url, LOG_LEVEL: 'info', STOP_DRAIN_MS: '1500' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      let port: number | undefined;
      for (const until = Date.now() + 90_000; !port && Date.now() < until; await sleep(100)) port = Number(/"port":(\d+)/.exec(output)?.[1]) || undefined;
      expect(port, output).to.be.a('number');
      process.kill(-(npm.pid as number), 'SIGTERM');
      const readyAfter = await fetch(`http://127.0.0.1:${port}/readyz`).then((response) => response.status);
      expect(readyAfter, 'still serving during the drain, saying 503').to.equal(503);
      for (const until = Date.now() + 15_000; Date.now() < until; await sleep(100)) {
        if (await fetch(`http://127.0.0.1:${port}/healthz`).then(() => false, () => true)) break;
      }
      expect(output).to.contain('"msg":"stopping"').and.not.contain('without waiting');
    } finally {
      await store.drop();
    }
  });

  it('exits within its stop time even when the mailbox server never answers, and at once on a second SIGTERM', async () => {
    // An IMAP server that accepts and then says nothing, not even its greeting.
    const silent: Socket[] = [];
    const imap: Server = createServer((socket) => silent.push(socket));
    await new Promise<void>((done) => imap.listen(0, '127.0.0.1', done));
    const store = await freshStore();
    try {
      const env = { DATABASE_URL: store.url, IMAP_HOST: '127.0.0.1', IMAP_PORT: String((imap.address() as { port: number }).port), IMAP_TLS: 'false', IMAP_USER: 'klachten@example.nl', IMAP_PASSWORD: 'x', STOP_DRAIN_MS: '0', STOP_TIMEOUT_MS: '2000' };
      const first = await startHubProcess(env);
      await sleep(500);
      const signalled = Date.now();
      first.kill('SIGTERM');
      const ended = await first.exited;
      expect(Date.now() - signalled, first.output().slice(-1_000)).to.be.below(2_000 + 5_000 + 1_000);
      expect(ended.signal).to.equal(null);

      const second = await startHubProcess({ ...env, STOP_DRAIN_MS: '30000' });
      second.kill('SIGTERM');
      await sleep(200);
      const again = Date.now();
      second.kill('SIGTERM');
      const { code } = await second.exited;
      expect(Date.now() - again, 'a second SIGTERM does not wait').to.be.below(1_000);
      expect(code).to.equal(1);
    } finally {
      for (const socket of silent) socket.destroy();
      imap.close();
      await store.drop();
    }
  });
});
