import { Agent, request } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import twilio from 'twilio';
import { openDb } from '../../src/core/db';
import { storeName } from '../helpers/db';
import { freshStore, startHub } from '../helpers/hub';
import { startHubProcess, type HubProcess } from '../helpers/hub-process';
import { AUTH_TOKEN, fixture, sid } from '../channels/twilio-helpers';

const PUBLIC_URL = 'https://hub.example.nl';

type Outcome = { sid: string; status: number } | { sid: string; error: string };

/** An SMS webhook as Twilio sends it, signed, over this agent; a failure is reported by its code (ECONNRESET, ECONNREFUSED). */
function smsWebhook(hub: HubProcess, agent: Agent): Promise<Outcome> {
  const form = fixture('sms-inbound', { MessageSid: sid('SM') });
  const body = new URLSearchParams(form).toString();
  const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC_URL}/twilio/sms`, form);
  return new Promise((resolve) => {
    const req = request(`${hub.base}/twilio/sms`, { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'x-twilio-signature': signature } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ sid: form.MessageSid as string, status: res.statusCode ?? 0 }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ sid: form.MessageSid as string, error: error.code ?? error.message }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ sid: form.MessageSid as string, error: error.code ?? error.message }));
    req.end(body);
  });
}

async function readyz(hub: HubProcess): Promise<number> {
  return fetch(`${hub.base}/readyz`).then(
    (response) => response.status,
    () => 0,
  );
}

/**
 * A SIGTERM under load (the deploy's restart): /readyz turns 503 first while the hub still serves
 * for STOP_DRAIN_MS, then it stops listening and finishes every request it accepted. Node's own
 * close reset 17-20 of 20 webhooks in flight here.
 */
describe(`stopping the hub (${storeName})`, function () {
  this.timeout(120_000);

  /** 20 webhooks in flight from a sender that, like a load balancer, stops sending once /readyz says 503. */
  async function underLoad(options: { keepAlive: boolean }) {
    const store = await freshStore();
    try {
      const hub = await startHubProcess({ DATABASE_URL: store.url, PUBLIC_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN, STOP_DRAIN_MS: '1000', STOP_TIMEOUT_MS: '10000' });
      const agent = new Agent({ keepAlive: options.keepAlive, maxSockets: 20 });
      const outcomes: (Outcome & { afterNotReady: boolean })[] = [];
      let notReadyAt: number | undefined;
      let exited = false;
      void hub.exited.then(() => (exited = true));
      const stopSending = () => exited || notReadyAt !== undefined;
      const poller = (async () => {
        while (!exited && notReadyAt === undefined) {
          if ((await readyz(hub)) === 503) notReadyAt = Date.now();
          await sleep(25);
        }
      })();
      const senders = Array.from({ length: 20 }, async () => {
        while (!stopSending()) {
          const outcome = await smsWebhook(hub, agent);
          outcomes.push({ ...outcome, afterNotReady: notReadyAt !== undefined });
          if ('error' in outcome) await sleep(20);
        }
      });
      await sleep(1_500);
      const signalled = Date.now();
      hub.kill('SIGTERM');
      await Promise.all([...senders, poller]);
      const { code } = await hub.exited;
      const stoppedIn = Date.now() - signalled;
      agent.destroy();

      const answered = outcomes.filter((outcome): outcome is { sid: string; status: number; afterNotReady: boolean } => 'status' in outcome);
      const errors = outcomes.filter((outcome): outcome is { sid: string; error: string; afterNotReady: boolean } => 'error' in outcome).map((outcome) => outcome.error);
      const resets = errors.filter((error) => error !== 'ECONNREFUSED');
      expect(resets, `requests cut off; the hub said:\n${hub.output().slice(-2_000)}`).to.deep.equal([]);
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
      return { answered, errors, afterNotReady: answered.filter((outcome) => outcome.afterNotReady).length };
    } finally {
      await store.drop();
    }
  }

  it('behind a load balancer that heeds /readyz: 0 of 20 webhooks in flight cut off, and it still answered after saying 503', async () => {
    const { errors, afterNotReady } = await underLoad({ keepAlive: true });
    expect(errors).to.deep.equal([]);
    expect(afterNotReady, 'webhooks already on their way were answered during the drain').to.be.greaterThan(0);
  });

  it('the same with a new connection for every webhook', async () => {
    const { errors } = await underLoad({ keepAlive: false });
    expect(errors).to.deep.equal([]);
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
