import { expect } from 'chai';
import { migrationSource } from '../../src/core/db';
import { createTestDb, storeName, type TestDb } from '../helpers/db';

const AT = Date.parse('2026-11-20T10:00:00+01:00');

describe(`migration 014: existing identities become proven or claims (${storeName})`, () => {
  let store: TestDb;

  beforeEach(async () => {
    store = await createTestDb({ migrate: false });
    // Up to the store as the hub before proof left it.
    for (const name of await migrationSource.getMigrations([])) {
      if (name === '20261202_014_identity_proof') break;
      await store.db.migrate.up({ migrationSource });
    }
  });
  afterEach(() => store.destroy());

  it('an address a contact came from on its own channel is proven; a typed, quoted or borrowed one becomes a claim, and its contacts unverified', async () => {
    const db = store.db;
    const [els] = await db('customers').insert({ name: 'Els', language: 'nl', created_at: AT }).returning('id');
    const customerId = (els as { id: number }).id;
    const identity = (kind: string, value: string) => ({ customer_id: customerId, kind, value, created_at: AT });
    await db('identities').insert([
      identity('email', 'els@example.nl'), // she mailed from it
      identity('phone', '+31612345678'), // written in her mail's text
      identity('phone', '+31699999999'), // a stranger texted her reference from it
      identity('chat', 'session-1'), // her chat
      identity('email', 'typed@example.nl'), // typed into that chat
    ]);
    const [thread] = await db('threads')
      .insert({ reference: 'KL-00000000', customer_id: customerId, status: 'open', language: 'nl', channel: 'email', created_at: AT, updated_at: AT })
      .returning('id');
    const threadId = (thread as { id: number }).id;
    const contact = (channel: string, kind: string, value: string, id: string) => ({ thread_id: threadId, channel, direction: 'inbound', provider_id: id, from_kind: kind, from_value: value, body: '…', at: AT });
    await db('contacts').insert([
      contact('email', 'email', 'els@example.nl', 'm1'),
      contact('sms', 'phone', '+31699999999', 'SM1'),
      contact('chat', 'chat', 'session-1', 'c1'),
    ]);
    // A contact from an address its customer never had is nobody's proof either.
    await db('contacts').insert({ ...contact('email', 'email', 'stranger@example.nl', 'm2') });

    await db.migrate.up({ migrationSource });

    const proven = await db('identities').orderBy('id').select('kind', 'value', 'proof');
    expect(proven).to.deep.equal([
      { kind: 'email', value: 'els@example.nl', proof: 'channel' },
      { kind: 'phone', value: '+31699999999', proof: 'channel' },
      { kind: 'chat', value: 'session-1', proof: 'channel' },
    ]);
    const claims = await db('identity_claims').orderBy('id').select('customer_id', 'kind', 'value', 'via');
    expect(claims).to.deep.equal([
      { customer_id: customerId, kind: 'phone', value: '+31612345678', via: 'before-proof' },
      { customer_id: customerId, kind: 'email', value: 'typed@example.nl', via: 'before-proof' },
    ]);
    const verified = await db('contacts').orderBy('id').select('provider_id', 'verified');
    expect(verified.map((row) => [row.provider_id, Boolean(row.verified)])).to.deep.equal([
      ['m1', true],
      ['SM1', true],
      ['c1', true],
      ['m2', false],
    ]);
  });
});
