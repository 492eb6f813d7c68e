import { expect } from 'chai';
import { parseHubConfig } from '../../src/config/hub-config';
import type { ClaimedIdentity, InboundContact } from '../../src/core/contact';
import { ingestContact, type IngestDeps } from '../../src/core/ingest';
import { mergeCustomers, undoMerge } from '../../src/core/merge';
import { addressesOf, confirmAddress } from '../../src/core/proof';
import { SlaClock } from '../../src/core/sla';
import { createTestDb, storeName, type TestDb } from '../helpers/db';
import demoConfig from '../../config/klachtenhub.json';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const MINUTE = 60_000;
const TIMEZONE = 'Europe/Amsterdam';

describe(`merging customers keeps every proof and claim where it belongs (${storeName})`, () => {
  let store: TestDb;
  let deps: IngestDeps;
  let sequence = 0;

  beforeEach(async () => {
    store = await createTestDb();
    deps = { db: store.db, sla: new SlaClock(parseHubConfig(demoConfig, 'config/klachtenhub.json')) };
  });
  afterEach(() => store.destroy());

  const ingest = (contact: Omit<InboundContact, 'providerId'>) => ingestContact(deps, { ...contact, providerId: `P${++sequence}` });
  const claim = (kind: 'phone' | 'email', value: string): ClaimedIdentity => ({ kind, value, via: 'email-text' });

  /**
   * Jan texts (his number proven by the channel); Anna confirms his mail address on the phone
   * (proven by an agent, 10:05); a neighbour mails Jan's reference (a claim by reference); Jan
   * mails two numbers and an address (claims from the text). Piet mails from his own address, and
   * names one of Jan's claimed addresses too. Jan's mail names Piet's number.
   */
  async function janAndPiet() {
    const jan = await ingest({ channel: 'sms', from: { kind: 'phone', value: '+31612345678' }, name: 'Jan', body: 'Mijn meter is kapot', at: TUESDAY_10 });
    await confirmAddress(store.db, { reference: jan.reference, identity: { kind: 'email', value: 'Jan@Example.nl' }, agent: 'anna', now: TUESDAY_10 + 5 * MINUTE });
    await ingest({ channel: 'email', from: { kind: 'email', value: 'buurman@example.nl' }, subject: `Over ${jan.reference}`, body: 'Ik schrijf namens Jan', at: TUESDAY_10 + 10 * MINUTE });
    const piet = await ingest({ channel: 'email', from: { kind: 'email', value: 'piet@example.nl' }, name: 'Piet', body: 'Mijn meter ook', claimedIdentities: [claim('email', 'gedeeld@example.nl')], at: TUESDAY_10 + 15 * MINUTE });
    await ingest({
      channel: 'email',
      from: { kind: 'email', value: 'jan@example.nl' },
      body: 'Bel me op 06 87654321, of Piet op zijn adres',
      claimedIdentities: [claim('phone', '06 87654321'), claim('email', 'piet@example.nl'), claim('email', 'gedeeld@example.nl')],
      at: TUESDAY_10 + 20 * MINUTE,
    });
    return { jan, piet };
  }

  it('moves proven addresses with their proof, and the claims the surviving customer lacks; undo puts both back', async () => {
    const { jan, piet } = await janAndPiet();
    const janBefore = await addressesOf(store.db, jan.customerId);
    const pietBefore = await addressesOf(store.db, piet.customerId);
    expect(janBefore.proven.map(({ value, proof, by }) => [value, proof, by])).to.deep.equal([
      ['+31612345678', 'channel', null],
      ['jan@example.nl', 'agent', 'anna'],
    ]);
    expect(janBefore.claims.map(({ value, via }) => [value, via])).to.deep.equal([
      ['buurman@example.nl', 'reference'],
      ['+31687654321', 'email-text'],
      ['piet@example.nl', 'email-text'],
      ['gedeeld@example.nl', 'email-text'],
    ]);

    const merge = await mergeCustomers(store.db, { fromReference: jan.reference, intoReference: piet.reference, by: 'anna', now: TUESDAY_10 + 30 * MINUTE, timezone: TIMEZONE });
    const merged = await addressesOf(store.db, piet.customerId);
    // Every proof arrives as it was: the channel's, and Anna's at 10:05.
    expect(merged.proven).to.have.deep.members([...pietBefore.proven, ...janBefore.proven]);
    expect(merged.proven.find((address) => address.value === 'jan@example.nl')).to.deep.equal({ kind: 'email', value: 'jan@example.nl', proof: 'agent', by: 'anna', at: TUESDAY_10 + 5 * MINUTE });
    // Piet's own address is no claim of his, and he claimed gedeeld@ himself already.
    expect(merged.claims).to.have.deep.members([
      ...pietBefore.claims,
      ...janBefore.claims.filter((kept) => kept.value === 'buurman@example.nl' || kept.value === '+31687654321'),
    ]);
    expect(merged.claims).to.have.length(3);
    expect((await addressesOf(store.db, jan.customerId)).claims.map((left) => left.value)).to.deep.equal(['piet@example.nl', 'gedeeld@example.nl']);
    const row = await store.db('customer_merges').where({ id: merge.id }).first('moved_claim_ids');
    const movedIds: { id: number }[] = await store.db('identity_claims').whereIn('value', ['buurman@example.nl', '+31687654321']).orderBy('id').select('id');
    expect(JSON.parse(row.moved_claim_ids)).to.deep.equal(movedIds.map((claimRow) => claimRow.id));

    await undoMerge(store.db, { mergeId: merge.id, by: 'anna', now: TUESDAY_10 + 40 * MINUTE, timezone: TIMEZONE });
    expect(await addressesOf(store.db, jan.customerId)).to.deep.equal(janBefore);
    expect(await addressesOf(store.db, piet.customerId)).to.deep.equal(pietBefore);
  });

  it('a moved claim an agent confirms after the merge stays proven with the surviving customer after undo', async () => {
    const { jan, piet } = await janAndPiet();
    const merge = await mergeCustomers(store.db, { fromReference: jan.reference, intoReference: piet.reference, now: TUESDAY_10 + 30 * MINUTE, timezone: TIMEZONE });
    await confirmAddress(store.db, { reference: piet.reference, identity: { kind: 'phone', value: '+31687654321' }, agent: 'bram', now: TUESDAY_10 + 35 * MINUTE });

    await undoMerge(store.db, { mergeId: merge.id, now: TUESDAY_10 + 40 * MINUTE, timezone: TIMEZONE });
    const janAfter = await addressesOf(store.db, jan.customerId);
    const pietAfter = await addressesOf(store.db, piet.customerId);
    expect(janAfter.claims.map((left) => left.value)).to.deep.equal(['buurman@example.nl', 'piet@example.nl', 'gedeeld@example.nl']);
    expect(pietAfter.proven.find((address) => address.value === '+31687654321')).to.include({ proof: 'agent', by: 'bram', at: TUESDAY_10 + 35 * MINUTE });
    expect(pietAfter.claims.map((left) => left.value)).to.deep.equal(['gedeeld@example.nl']);
  });

  it('a claim the surviving customer held on an address the merged one had proven shows as proven only, and as a claim again after undo', async () => {
    const jan = await ingest({ channel: 'sms', from: { kind: 'phone', value: '+31612345678' }, body: 'Mijn meter is kapot', at: TUESDAY_10 });
    const piet = await ingest({ channel: 'email', from: { kind: 'email', value: 'piet@example.nl' }, body: 'Bel Jan op 06 12345678', claimedIdentities: [claim('phone', '+31612345678')], at: TUESDAY_10 + MINUTE });
    const merge = await mergeCustomers(store.db, { fromReference: jan.reference, intoReference: piet.reference, now: TUESDAY_10 + 2 * MINUTE, timezone: TIMEZONE });
    const merged = await addressesOf(store.db, piet.customerId);
    expect(merged.proven.map((address) => address.value)).to.include('+31612345678');
    expect(merged.claims).to.deep.equal([]);

    await undoMerge(store.db, { mergeId: merge.id, now: TUESDAY_10 + 3 * MINUTE, timezone: TIMEZONE });
    expect((await addressesOf(store.db, piet.customerId)).claims.map((left) => left.value)).to.deep.equal(['+31612345678']);
  });
});
