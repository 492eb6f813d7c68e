import { expect } from 'chai';
import { parseHubConfig } from '../../src/config/hub-config';
import type { InboundContact } from '../../src/core/contact';
import { contactIngest } from '../../src/core/group-commit';
import { ingestTogether, type IngestDeps } from '../../src/core/ingest';
import { SlaClock } from '../../src/core/sla';
import { createTestDb, storeName, storeUrl, type TestDb } from '../helpers/db';
import demoConfig from '../../config/klachtenhub.json';

const at = Date.parse('2026-11-24T10:00:00+01:00');
let sequence = 0;

function sms(from: string, body: string): InboundContact {
  return { channel: 'sms', providerId: `SM-group-${++sequence}`, from: { kind: 'phone', value: from }, body, at: at + sequence * 1000 };
}

/** Not storable: contacts.body is NOT NULL. What a bug in an adapter would hand in. */
function broken(from: string): InboundContact {
  return { ...sms(from, ''), body: null as unknown as string };
}

describe(`group commit: contacts handed in together (${storeName})`, () => {
  let store: TestDb;
  let deps: IngestDeps;
  let commits: number;

  beforeEach(async () => {
    store = await createTestDb();
    deps = { db: store.db, sla: new SlaClock(parseHubConfig(demoConfig, 'config/klachtenhub.json')) };
    commits = 0;
    store.db.on('query', (query: { sql: string }) => {
      if (/^commit/i.test(query.sql)) commits++;
    });
  });
  afterEach(() => store.destroy());

  const count = async (table: string) => Number((await store.db(table).count({ n: '*' }))[0]?.n);

  it('are each placed on their own customer\'s thread; on SQLite by one commit, on PostgreSQL by one each', async () => {
    const ingest = contactIngest(deps).one;
    const senders = ['+31611110001', '+31611110002', '+31611110003', '+31611110004', '+31611110005'];
    const results = await Promise.all(senders.map((phone) => ingest(sms(phone, `Klacht van ${phone}`))));
    expect(results.map((result) => result.outcome)).to.deep.equal(['opened', 'opened', 'opened', 'opened', 'opened']);
    expect(new Set(results.map((result) => result.threadId)).size).to.equal(5);
    expect(await count('contacts')).to.equal(5);
    expect(commits).to.equal(storeUrl ? 5 : 1);
  });

  it('contacts stored in order (a fetch of mail) keep it on both stores: ids follow it, a new customer\'s first message opens her thread', async () => {
    const batch = [sms('+31677770001', 'Eerste van Anna'), sms('+31677770002', 'Van Bram'), sms('+31677770001', 'Tweede van Anna'), sms('+31677770003', 'Van Cas')];
    const results = await contactIngest(deps).inOrder(batch);
    const stored = results.map((result) => (result.status === 'fulfilled' ? result.value : expect.fail(String(result.reason))));
    expect(stored.map((result) => result.outcome)).to.deep.equal(['opened', 'opened', 'joined', 'opened']);
    expect(stored[2]?.threadId).to.equal(stored[0]?.threadId);
    const bodies = await store.db('contacts').orderBy('id').pluck('body');
    expect(bodies).to.deep.equal(['Eerste van Anna', 'Van Bram', 'Tweede van Anna', 'Van Cas']);
    expect(commits).to.equal(storeUrl ? 4 : 1);
  });

  it('a provider\'s retry in the same group is one contact, answered with the first one\'s thread', async () => {
    const ingest = contactIngest(deps).one;
    const contact = sms('+31633330001', 'Dubbel verstuurd');
    const results = await Promise.all([ingest(contact), ingest({ ...contact })]);
    // On PostgreSQL the two race in their own transactions: either may be the one stored first.
    const first = results.find((result) => result.outcome === 'opened');
    const retry = results.find((result) => result.outcome === 'duplicate');
    expect(first, 'one of the two opened the thread').to.exist;
    expect(retry).to.include({ threadId: first?.threadId, contactId: first?.contactId });
    expect(await count('contacts')).to.equal(1);
    expect(await count('threads')).to.equal(1);
    expect(await count('jobs')).to.equal(4); // one thread's acknowledgement and its promises' watch: the retry's rolled back
    expect(await count('promises')).to.equal(3);
  });

  it('one contact that cannot be stored fails alone: what it wrote is undone, the others are kept', async () => {
    const results = await ingestTogether(deps, [sms('+31644440001', 'Eerste'), broken('+31644440002'), sms('+31644440003', 'Derde')]);
    expect(results.map((result) => result.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect(await count('contacts')).to.equal(2);
    // The broken contact had already made its customer and thread when its insert failed.
    expect(await count('customers')).to.equal(2);
    expect(await count('threads')).to.equal(2);
    expect(await store.db('identities').pluck('value')).to.have.members(['+31644440001', '+31644440003']);
  });

  it('through the hub\'s ingest too: the broken contact\'s caller gets the error, the others their threads', async () => {
    const ingest = contactIngest(deps).one;
    const outcomes = await Promise.allSettled([ingest(sms('+31655550001', 'Eerste')), ingest(broken('+31655550002')), ingest(sms('+31655550003', 'Derde'))]);
    expect(outcomes.map((outcome) => outcome.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect(await count('contacts')).to.equal(2);
  });
});
