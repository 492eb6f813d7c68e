import { expect } from 'chai';
import pino from 'pino';
import { inboundEmailHandler } from '../../src/channels/email/inbound';
import type { FetchedMessage } from '../../src/channels/email/mailbox-watcher';
import type { OwnMail } from '../../src/channels/email/parse-email';
import type { InboundContact, IngestResult } from '../../src/core/contact';
import { numberedComplaint } from '../helpers/eml';

const OWN: OwnMail = { addresses: new Set(['klachten@example.nl']), domains: new Set(['example.nl']) };
const AT = Date.parse('2026-11-24T10:00:00+01:00');

function fetched(uid: number, source: string | Buffer): FetchedMessage {
  return { uid, source: Buffer.from(source), receivedAt: AT };
}

const stored = (contactId: number): PromiseSettledResult<IngestResult> => ({
  status: 'fulfilled',
  value: { threadId: 1, reference: 'KL-00000000', customerId: 1, contactId, outcome: 'opened', verified: true },
});

/** A store that records what it was handed, and refuses contacts whose body says FAIL. */
function recordingStore() {
  const calls: InboundContact[][] = [];
  const ingestInOrder = async (contacts: InboundContact[]) => {
    calls.push(contacts);
    return contacts.map((contact, i): PromiseSettledResult<IngestResult> => (contact.body.includes('FAIL') ? { status: 'rejected', reason: new Error('disk full') } : stored(i + 1)));
  };
  return { calls, ingestInOrder };
}

describe('email handed over to be stored, a fetched batch at a time', () => {
  const deps = (ingestInOrder: (contacts: InboundContact[]) => Promise<PromiseSettledResult<IngestResult>[]>) => ({
    own: OWN,
    ingestInOrder,
    recordBounce: async () => 0,
    clock: () => AT,
    logger: pino({ level: 'silent' }),
  });

  it('hands the batch\'s contacts to the store at once, in mailbox order, so one commit can store them', async () => {
    const store = recordingStore();
    const handled = await inboundEmailHandler(deps(store.ingestInOrder))([fetched(7, numberedComplaint(1)), fetched(8, numberedComplaint(2)), fetched(9, numberedComplaint(3))]);
    expect(handled).to.deep.equal([true, true, true]);
    expect(store.calls.map((contacts) => contacts.map((contact) => contact.from?.value))).to.deep.equal([['klant1@example.com', 'klant2@example.com', 'klant3@example.com']]);
  });

  it('a message without a sender is handled without a contact; the others of the batch are stored', async () => {
    const store = recordingStore();
    const handled = await inboundEmailHandler(deps(store.ingestInOrder))([fetched(1, numberedComplaint(1)), fetched(2, 'no mail at all'), fetched(3, numberedComplaint(3))]);
    expect(handled).to.deep.equal([true, true, true]);
    expect(store.calls[0]?.map((contact) => contact.from?.value)).to.deep.equal(['klant1@example.com', 'klant3@example.com']);
  });

  it('throws when one contact could not be stored, so the batch is fetched again', async () => {
    const store = recordingStore();
    const failing = numberedComplaint(2).replace('Bestelling', 'FAIL Bestelling');
    const handling = inboundEmailHandler(deps(store.ingestInOrder))([fetched(1, numberedComplaint(1)), fetched(2, failing), fetched(3, numberedComplaint(3))]);
    await handling.then(
      () => expect.fail('the batch should have failed'),
      (error: Error) => expect(error.message).to.equal('disk full'),
    );
    expect(store.calls[0]).to.have.length(3);
  });
});
