import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { openDb } from '../../src/core/db';
import { storeName, storeUrl } from '../helpers/db';
import { startHub, type TestHub } from '../helpers/hub';
import { AUTH_TOKEN, fixture, postTwilio, sid } from '../channels/twilio-helpers';

const PUBLIC_URL = 'https://hub.example.nl';

/**
 * The store failing under the hub: a PostgreSQL backend terminated mid-webhook is tried again in
 * the process before Twilio hears anything; a store that takes no writes (a full disk) makes
 * /readyz say 503, and the webhook it fails is not answered 200.
 */
describe(`the store failing under webhooks (${storeName})`, function () {
  this.timeout(60_000);
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  const webhook = (hub: TestHub, messageSid = sid('SM')) =>
    postTwilio(hub, '/twilio/sms', fixture('sms-inbound', { MessageSid: messageSid, From: `+3161${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`, Body: 'Mijn pakket is kapot. '.repeat(20) }));

  it('answers every webhook 200, stored once, while PostgreSQL backends are terminated under them (PostgreSQL)', async function () {
    if (!storeUrl) return this.skip();
    const hub = await startHub({ env: { PUBLIC_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN } });
    t = hub;
    const { rows } = (await hub.hub.ctx.db.raw('select current_database() as name')) as { rows: [{ name: string }] };
    const database = rows[0].name;
    const admin = openDb({ url: storeUrl });
    let terminated = 0;
    let rounds = 0;
    // Every backend of the hub's database terminated, five times a second apart while webhooks are in flight (a failover, an operator's kill).
    const killer = (async () => {
      for (; rounds < 5; rounds++) {
        await sleep(1_000);
        const killed = (await admin.raw('select pg_terminate_backend(pid) as done from pg_stat_activity where datname = ? and pid <> pg_backend_pid()', [database])) as { rows: { done: boolean }[] };
        terminated += killed.rows.filter((row) => row.done).length;
      }
    })();
    const sids: string[] = [];
    const statuses: number[] = [];
    let firstFailure: unknown;
    try {
      while (rounds < 5) {
        const batch = Array.from({ length: 10 }, () => sid('SM'));
        sids.push(...batch);
        const answers = await Promise.all(batch.map((messageSid) => webhook(hub, messageSid)));
        statuses.push(...answers.map((response) => response.status));
        firstFailure ??= answers.find((response) => response.status !== 200)?.text;
      }
    } finally {
      await killer;
      await admin.destroy();
    }
    expect(terminated, 'backends were terminated').to.be.at.least(5);
    expect(statuses.filter((status) => status !== 200), JSON.stringify(firstFailure)).to.deep.equal([]);
    const stored: string[] = await hub.hub.ctx.db('contacts').where({ direction: 'inbound' }).pluck('provider_id');
    expect([...stored].sort()).to.deep.equal([...sids].sort());
  });

  it('says 503 on /readyz while the store takes no writes (a full disk), answers no webhook 200 then, and is ready again once it takes them (SQLite)', async function () {
    if (storeUrl) return this.skip();
    const hub = await startHub({ env: { PUBLIC_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN } });
    t = hub;
    const db = hub.hub.ctx.db;
    expect((await hub.request('GET', '/readyz')).status).to.equal(200);
    // SQLite's page limit stands in for the disk: the store is full at the size it has now.
    const [{ page_count: pages }] = (await db.raw('PRAGMA page_count')) as [{ page_count: number }];
    await db.raw(`PRAGMA max_page_count = ${pages}`);
    let full: unknown;
    // Long contacts until one does not fit, then short ones until none does.
    for (const length of [2_000, 100]) {
      full = undefined;
      for (let i = 0; i < 2_000 && !full; i++) {
        await hub.hub.ingest({ channel: 'sms', providerId: sid('SM'), from: { kind: 'phone', value: `+3162${String(i).padStart(7, '0')}` }, body: 'x'.repeat(length), at: hub.now() }).catch((error: unknown) => (full = error));
      }
    }
    expect((full as { code?: string }).code).to.equal('SQLITE_FULL');
    const ready = await hub.request('GET', '/readyz');
    expect(ready.status).to.equal(503);
    expect(ready.json).to.deep.include({ status: 'store not writable' });

    const refused = await webhook(hub);
    expect(refused.status, 'not a 200 for what was not stored: Twilio tries again').to.equal(500);

    await db.raw('PRAGMA max_page_count = 1073741823');
    hub.setNow(hub.now() + 11_000);
    expect((await hub.request('GET', '/readyz')).status).to.equal(200);
    expect((await webhook(hub)).status).to.equal(200);
  });

  it('keeps the WAL it leaves after a checkpoint at 64 MB at most (SQLite)', async function () {
    if (storeUrl) return this.skip();
    const hub = await startHub();
    t = hub;
    const [row] = (await hub.hub.ctx.db.raw('PRAGMA journal_size_limit')) as [{ journal_size_limit: number }];
    expect(row.journal_size_limit).to.equal(64 * 1024 * 1024);
  });
});
