import { expect } from 'chai';
import pino from 'pino';
import { inboundEmailHandler } from '../../src/channels/email/inbound';
import { ParserUnavailable } from '../../src/channels/email/parse-pool';
import type { FetchedMessage } from '../../src/channels/email/batch-settler';
import { parseEmail, type OwnMail } from '../../src/channels/email/parse-email';
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

/** A store that records what it was handed, refuses contacts whose body says FAIL, and is unreachable for DOWN. */
function recordingStore() {
  const calls: InboundContact[][] = [];
  const ingestInOrder = async (contacts: InboundContact[]) => {
    calls.push(contacts);
    return contacts.map((contact, i): PromiseSettledResult<IngestResult> => {
      if (contact.body.includes('FAIL')) return { status: 'rejected', reason: new Error('value too long for type character varying(255)') };
      if (contact.body.includes('DOWN')) return { status: 'rejected', reason: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }) };
      return stored(i + 1);
    });
  };
  return { calls, ingestInOrder };
}

const HANDLED = { kind: 'handled' };

describe('email handed over to be stored, a fetched batch at a time', () => {
  const deps = (ingestInOrder: (contacts: InboundContact[]) => Promise<PromiseSettledResult<IngestResult>[]>) => ({
    parse: (source: Buffer, receivedAt: number) => parseEmail(source, OWN, receivedAt),
    closeParser: async () => undefined,
    ingestInOrder,
    recordBounce: async () => 0,
    clock: () => AT,
    logger: pino({ level: 'silent' }),
  });

  it('hands the batch\'s contacts to the store at once, in mailbox order, so one commit can store them', async () => {
    const store = recordingStore();
    const handled = await inboundEmailHandler(deps(store.ingestInOrder)).handle([fetched(7, numberedComplaint(1)), fetched(8, numberedComplaint(2)), fetched(9, numberedComplaint(3))]);
    expect(handled).to.deep.equal([HANDLED, HANDLED, HANDLED]);
    expect(store.calls.map((contacts) => contacts.map((contact) => contact.from?.value))).to.deep.equal([['klant1@example.com', 'klant2@example.com', 'klant3@example.com']]);
  });

  it('a message without a sender is stored as a contact without an address, in its place in the batch', async () => {
    const store = recordingStore();
    const handled = await inboundEmailHandler(deps(store.ingestInOrder)).handle([fetched(1, numberedComplaint(1)), fetched(2, 'no mail at all'), fetched(3, numberedComplaint(3))]);
    expect(handled).to.deep.equal([HANDLED, HANDLED, HANDLED]);
    expect(store.calls[0]?.map((contact) => contact.from?.value)).to.deep.equal(['klant1@example.com', undefined, 'klant3@example.com']);
  });

  it('a contact the store refused is refused with the error and what its headers say; the others are handled', async () => {
    const store = recordingStore();
    const failing = numberedComplaint(2).replace('Bestelling', 'FAIL Bestelling');
    const outcomes = await inboundEmailHandler(deps(store.ingestInOrder)).handle([fetched(1, numberedComplaint(1)), fetched(2, failing), fetched(3, numberedComplaint(3))]);
    expect(outcomes).to.deep.equal([
      HANDLED,
      {
        kind: 'refused',
        reason: 'not-stored',
        error: 'value too long for type character varying(255)',
        summary: { sender: 'Klant 2 <klant2@example.com>', subject: 'Klacht 2: levering te laat', messageId: '<complaint-2@example.com>' },
      },
      HANDLED,
    ]);
  });

  it('a store that cannot be reached refuses nothing: the batch throws, to be fetched again', async () => {
    const store = recordingStore();
    const down = numberedComplaint(2).replace('Bestelling', 'DOWN Bestelling');
    const handling = inboundEmailHandler(deps(store.ingestInOrder)).handle([fetched(1, numberedComplaint(1)), fetched(2, down)]);
    await handling.then(
      () => expect.fail('the batch should have failed'),
      (error: Error) => expect(error.message).to.equal('connect ECONNREFUSED 127.0.0.1:5432'),
    );
  });

  it('without a parser nothing is refused as unreadable: the batch throws, to be fetched again', async () => {
    const noParser = { ...deps(recordingStore().ingestInOrder), parse: async () => Promise.reject(new ParserUnavailable("the parser's worker thread did not start: Cannot find module")) };
    const handling = inboundEmailHandler(noParser).handle([fetched(1, numberedComplaint(1))]);
    await handling.then(
      () => expect.fail('the batch should have failed'),
      (error: Error) => expect(error).to.be.instanceOf(ParserUnavailable),
    );
  });

  it('a message of more than 1,000 MIME parts is refused as unreadable, with its encoded subject decoded', async () => {
    const parts = Array.from({ length: 1_001 }, (_, i) => `--B\r\nContent-Type: text/plain\r\n\r\ndeel ${i}\r\n`).join('');
    const source = `From: Els <els@example.com>\r\nSubject: =?utf-8?Q?Caf=C3=A9?=\r\nMessage-ID: <parts@example.com>\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n${parts}--B--\r\n`;
    const [outcome] = await inboundEmailHandler(deps(recordingStore().ingestInOrder)).handle([fetched(1, source)]);
    expect(outcome).to.deep.include({ kind: 'refused', reason: 'unreadable' });
    expect(outcome).to.have.nested.property('summary.subject', 'Café');
    expect(outcome).to.have.nested.property('error').that.matches(/child nodes/);
  });
});
