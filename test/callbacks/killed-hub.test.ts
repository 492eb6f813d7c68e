import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { loadHubConfig } from '../../src/config/hub-config';
import { migrateToLatest, openDb, type Db } from '../../src/core/db';
import { storeName, storeUrl } from '../helpers/db';
import { agentsConfig, callsByCallback, seedDueCallbacks } from '../helpers/due-callbacks';
import { freshStore } from '../helpers/hub';
import { startHubProcess, type HubProcess } from '../helpers/hub-process';
import { ACCOUNT_SID, AUTH_TOKEN, HUB_NUMBER, TwilioStandIn } from '../channels/twilio-helpers';

const CALLBACKS = 20;
const SLOT_MS = 15 * 60_000;

/**
 * A hub SIGKILLed at the moment callbacks fall due, holding jobs it had claimed: another hub
 * (side by side on PostgreSQL; started after it on SQLite, which one process serves) takes them
 * over when their 4 s leases end, and every callback's agent is rung exactly once, in time.
 */
describe(`callbacks: a hub killed as they fall due (${storeName})`, function () {
  this.timeout(120_000);
  let api: TwilioStandIn;
  let store: Awaited<ReturnType<typeof freshStore>>;
  let db: Db;
  let dir: string;
  const hubs: HubProcess[] = [];

  beforeEach(async () => {
    api = new TwilioStandIn();
    await api.start();
    store = await freshStore();
    db = openDb({ url: store.url });
    await migrateToLatest(db);
    dir = mkdtempSync(join(tmpdir(), 'klachtenhub-killed-'));
  });
  afterEach(async () => {
    for (const hub of hubs.splice(0)) {
      hub.kill('SIGKILL');
      await hub.exited;
    }
    await db.destroy();
    await api.stop();
    await store.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`rings each of ${CALLBACKS} agents once, within seconds of the due time`, async () => {
    const team = agentsConfig(loadHubConfig(join(__dirname, '..', '..', 'config', 'klachtenhub.json')), { count: CALLBACKS, dir });
    const env = { DATABASE_URL: store.url, HUB_CONFIG: team.file, PUBLIC_URL: 'https://hub.example.nl', TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_PHONE_NUMBER: HUB_NUMBER, TWILIO_API_URL: api.url, TWILIO_CALLS_PER_SECOND: '50', STOP_DRAIN_MS: '0' };
    const victim = await startHubProcess(env);
    hubs.push(victim);
    // Side by side on PostgreSQL; on SQLite the second hub starts once the first is dead.
    if (storeUrl) hubs.push(await startHubProcess(env));

    const due = Date.now() + 1_500;
    const starts = await seedDueCallbacks(db, { count: CALLBACKS, agents: team.agents, teamId: team.teamId, slotMs: SLOT_MS, createdAt: Date.now(), startFor: () => due });
    const victimId = `${hostname()}:${victim.child.pid}`;
    let held = 0;
    for (const until = due + 10_000; Date.now() < until && held === 0; await sleep(2)) {
      held = (await db('jobs').where({ locked_by: victimId, state: 'running' }).pluck('id')).length;
    }
    victim.kill('SIGKILL');
    await victim.exited;
    expect(held, 'the hub died holding jobs').to.be.greaterThan(0);
    if (!storeUrl) hubs.push(await startHubProcess(env));

    for (const until = Date.now() + 30_000; callsByCallback(api).size < CALLBACKS && Date.now() < until; ) await sleep(100);
    await sleep(1_000);
    const calls = callsByCallback(api);
    expect([...starts.keys()].map((id) => calls.get(id)?.length ?? 0), 'calls per callback').to.deep.equal(Array(CALLBACKS).fill(1));
    const lateness = [...starts].map(([id, start]) => (calls.get(id)?.[0] as number) - start);
    expect(Math.max(...lateness), 'the last call, after the takeover').to.be.below(storeUrl ? 10_000 : 20_000);
    expect(await db('outbound_sends').whereNot({ state: 'sent' }).count({ n: '*' }).first()).to.deep.include({ n: 0 });
  });
});
