import { expect } from 'chai';
import type { InboundContact } from '../../src/core/contact';
import { storeName } from '../helpers/db';
import { startHub, type TestHub, type TestResponse } from '../helpers/hub';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');
const MINUTE = 60_000;

let providerSeq = 0;
function email(from: string, body: string, extra: Partial<InboundContact> = {}): InboundContact {
  return { channel: 'email', providerId: `<id${++providerSeq}@example.nl>`, from: { kind: 'email', value: from }, body, at: TUESDAY_10, ...extra };
}

/** The answer as status and error code: `[404, 'not_found']`. */
function refusal(response: TestResponse): [number, string | undefined] {
  return [response.status, response.json?.error?.code];
}

describe(`REST: an agent confirms an address or turns a claim down (${storeName})`, function () {
  let t: TestHub;

  beforeEach(async () => {
    t = await startHub({ now: TUESDAY_10 + 30 * MINUTE });
  });
  afterEach(async () => {
    await t?.stop();
  });

  const confirm = (reference: string, body: object) => t.request('POST', `/api/threads/${reference}/identities/confirm`, { body });
  const reject = (reference: string, body: object) => t.request('POST', `/api/threads/${reference}/identities/reject`, { body });
  const dossier = async (reference: string) => (await t.request('GET', `/api/threads/${reference}`)).json;

  it('confirms a number the customer gave on the phone (201): proven by that agent, on the timeline, and an SMS reply goes there', async () => {
    const { reference } = await t.hub.ingest(email('jan@example.nl', 'Mijn meter is kapot'));
    const confirmed = await confirm(reference, { kind: 'phone', value: '06 12345678', agent: 'anna' });
    expect(confirmed.status, confirmed.text).to.equal(201);
    expect(confirmed.json).to.deep.equal({ confirmed: { kind: 'phone', value: '+31612345678' } });

    const after = await dossier(reference);
    expect(after.customer.phones).to.deep.equal(['+31612345678']);
    expect(after.customer.identities).to.deep.include({ kind: 'phone', value: '+31612345678', proof: 'agent', by: 'anna', at: '2026-11-24T10:30:00+01:00' });
    expect(after.timeline.at(-1)).to.deep.equal({ kind: 'identity-proven', at: '2026-11-24T10:30:00+01:00', data: { kind: 'phone', value: '+31612345678', proof: 'agent', agent: 'anna' } });
    const reply = await t.request('POST', `/api/threads/${reference}/replies`, { body: { agent: 'anna', text: 'We bellen u.', channel: 'sms' } });
    expect(reply.json).to.deep.equal({ reply: { channel: 'sms', to: '+31612345678' } });
  });

  it('confirms a claim: it is no claim any more, and the contacts from it are verified', async () => {
    const { reference } = await t.hub.ingest(email('jan@example.nl', 'Mijn meter is kapot'));
    await t.hub.ingest(email('jan.werk@example.nl', 'Nog een foto', { subject: `Re: ${reference}`, at: TUESDAY_10 + MINUTE }));
    const before = await dossier(reference);
    expect(before.customer.claims).to.deep.equal([{ kind: 'email', value: 'jan.werk@example.nl', via: 'reference', at: '2026-11-24T10:01:00+01:00' }]);
    expect(before.contacts.map((contact: { verified: boolean }) => contact.verified)).to.deep.equal([true, false]);

    expect((await confirm(reference, { kind: 'email', value: 'Jan.Werk@example.nl', agent: 'bram' })).status).to.equal(201);
    const after = await dossier(reference);
    expect(after.customer.claims).to.deep.equal([]);
    expect(after.customer.emails).to.deep.equal(['jan@example.nl', 'jan.werk@example.nl']);
    expect(after.contacts.map((contact: { verified: boolean }) => contact.verified)).to.deep.equal([true, true]);
  });

  it('turns a claim down (200): gone from the dossier, and the timeline says who did', async () => {
    const { reference } = await t.hub.ingest(email('jan@example.nl', 'Bel me op 06 87654321', { claimedIdentities: [{ kind: 'phone', value: '06 87654321', via: 'email-text' }] }));
    expect((await dossier(reference)).customer.claims).to.have.length(1);

    const rejected = await reject(reference, { kind: 'phone', value: '+31 6 8765 4321', agent: 'anna' });
    expect(rejected.status, rejected.text).to.equal(200);
    expect(rejected.json).to.deep.equal({ rejected: { kind: 'phone', value: '+31687654321' } });
    const after = await dossier(reference);
    expect(after.customer.claims).to.deep.equal([]);
    expect(after.customer.phones).to.deep.equal([]);
    expect(after.timeline.at(-1)).to.deep.include({ kind: 'identity-rejected', data: { kind: 'phone', value: '+31687654321', agent: 'anna' } });
  });

  it('answers 404 to turning down what is no claim: an unknown address, or one already proven', async () => {
    const { reference } = await t.hub.ingest(email('jan@example.nl', 'Mijn meter is kapot'));
    expect(refusal(await reject(reference, { kind: 'phone', value: '0612345678', agent: 'anna' }))).to.deep.equal([404, 'not_found']);
    expect(refusal(await reject(reference, { kind: 'email', value: 'jan@example.nl', agent: 'anna' }))).to.deep.equal([404, 'not_found']);
    expect((await dossier(reference)).customer.emails).to.deep.equal(['jan@example.nl']);
  });

  it('answers 400 to a kind it cannot confirm, a value that is no address of its kind, or a missing agent', async () => {
    const { reference } = await t.hub.ingest(email('jan@example.nl', 'Mijn meter is kapot'));
    for (const body of [
      { kind: 'chat', value: 'session-1', agent: 'anna' },
      { kind: 'fax', value: '0201234567', agent: 'anna' },
      { kind: 'phone', value: 'geen nummer', agent: 'anna' },
      { kind: 'email', value: 'jan-at-example.nl', agent: 'anna' },
      { kind: 'phone', value: '', agent: 'anna' },
      { kind: 'phone', value: '0612345678' },
      { kind: 'phone', value: '0612345678', agent: 'anna', proof: 'channel' },
    ]) {
      expect(refusal(await confirm(reference, body)), JSON.stringify(body)).to.deep.equal([400, 'invalid_request']);
      expect(refusal(await reject(reference, body)), JSON.stringify(body)).to.deep.equal([400, 'invalid_request']);
    }
    const after = await dossier(reference);
    expect(after.customer.identities.map((identity: { value: string }) => identity.value)).to.deep.equal(['jan@example.nl']);
  });

  it('answers 409 to confirming an address proven for another customer, and leaves it with that customer', async () => {
    const jan = await t.hub.ingest(email('jan@example.nl', 'Mijn meter is kapot'));
    const piet = await t.hub.ingest(email('piet@example.nl', 'Mijn meter ook', { at: TUESDAY_10 + MINUTE }));
    expect(refusal(await confirm(jan.reference, { kind: 'email', value: 'piet@example.nl', agent: 'anna' }))).to.deep.equal([409, 'conflict']);
    expect((await dossier(jan.reference)).customer.emails).to.deep.equal(['jan@example.nl']);
    expect((await dossier(piet.reference)).customer.identities).to.deep.equal([{ kind: 'email', value: 'piet@example.nl', proof: 'channel', by: null, at: '2026-11-24T10:01:00+01:00' }]);
  });

  it('answers 404 for an unknown reference', async () => {
    expect(refusal(await confirm('KL-12345674', { kind: 'phone', value: '0612345678', agent: 'anna' }))[0]).to.equal(404);
  });
});
