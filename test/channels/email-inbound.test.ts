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

/** An ingest that holds every contact until the test lets go, as a commit that is still running would. */
function heldIngest() {
  const handedIn: InboundContact[] = [];
  const release: (() => void)[] = [];
  const ingest = (contact: InboundContact) =>
    new Promise<IngestResult>((resolve, reject) => {
      handedIn.push(contact);
      release.push(() => (contact.body.includes('FAIL') ? reject(new Error('disk full')) : resolve({ threadId: 1, reference: 'KL-00000000', customerId: 1, contactId: handedIn.length, outcome: 'opened' })));
    });
  return { handedIn, ingest, release: (i: number) => release[i]?.(), releaseAll: () => release.forEach((go) => go()) };
}

/** Lets the handler parse (mailparser takes several turns of the event loop) until `count` contacts are handed in. */
async function untilHandedIn(handedIn: unknown[], count: number): Promise<void> {
  for (let turns = 0; handedIn.length < count; turns++) {
    if (turns > 10_000) throw new Error(`only ${handedIn.length} of ${count} contacts were handed in`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('email handed over to be stored, a fetched batch at a time', () => {
  const deps = (ingest: (contact: InboundContact) => Promise<IngestResult>) => ({ own: OWN, ingest, recordBounce: async () => 0, clock: () => AT, logger: pino({ level: 'silent' }) });

  it('hands in every contact of the batch, in mailbox order, before any is stored: they can share one commit', async () => {
    const held = heldIngest();
    const outcome = inboundEmailHandler(deps(held.ingest))([fetched(7, numberedComplaint(1)), fetched(8, numberedComplaint(2)), fetched(9, numberedComplaint(3))]);
    await untilHandedIn(held.handedIn, 3);
    expect(held.handedIn.map((contact) => contact.from?.value)).to.deep.equal(['klant1@example.com', 'klant2@example.com', 'klant3@example.com']);
    held.releaseAll();
    expect(await outcome).to.deep.equal([true, true, true]);
  });

  it('a message without a sender is handled without a contact; the others of the batch are stored', async () => {
    const held = heldIngest();
    const outcome = inboundEmailHandler(deps(held.ingest))([fetched(1, numberedComplaint(1)), fetched(2, 'no mail at all'), fetched(3, numberedComplaint(3))]);
    await untilHandedIn(held.handedIn, 2);
    held.releaseAll();
    expect(await outcome).to.deep.equal([true, true, true]);
    expect(held.handedIn.map((contact) => contact.from?.value)).to.deep.equal(['klant1@example.com', 'klant3@example.com']);
  });

  it('throws when one contact could not be stored, only after the rest of the batch has settled', async () => {
    const held = heldIngest();
    const failing = numberedComplaint(2).replace('Bestelling', 'FAIL Bestelling');
    const outcome = inboundEmailHandler(deps(held.ingest))([fetched(1, numberedComplaint(1)), fetched(2, failing), fetched(3, numberedComplaint(3))]);
    let settled = false;
    void outcome.catch(() => (settled = true));
    await untilHandedIn(held.handedIn, 3);
    held.release(1);
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(settled, 'rejected while the others were still being stored').to.equal(false);
    held.release(0);
    held.release(2);
    await outcome.then(
      () => expect.fail('the batch should have failed'),
      (error: Error) => expect(error.message).to.equal('disk full'),
    );
  });
});
