import { expect } from 'chai';
import { parseHubConfig } from '../../src/config/hub-config';
import type { InboundContact } from '../../src/core/contact';
import { ingestContact, type IngestDeps } from '../../src/core/ingest';
import { formatReference, luhnCheckDigit } from '../../src/core/reference';
import { SlaClock } from '../../src/core/sla';
import { createTestDb, storeName, type TestDb } from '../helpers/db';
import demoConfig from '../../config/klachtenhub.json';

const at = Date.parse('2026-11-24T10:00:00+01:00');
let sequence = 0;

function sms(from: string, body: string, extra: Partial<InboundContact> = {}): InboundContact {
  return { channel: 'sms', providerId: `SM${++sequence}`, from: { kind: 'phone', value: from }, body, at: at + sequence * 1000, ...extra };
}

function email(from: string, body: string, extra: Partial<InboundContact> = {}): InboundContact {
  const providerId = `<m${++sequence}@mail.example>`;
  return { channel: 'email', providerId, messageId: providerId, from: { kind: 'email', value: from }, body, at: at + sequence * 1000, ...extra };
}

/** A reference one digit off from `reference`, so its check digit no longer fits. */
function mistype(reference: string): string {
  const digits = reference.slice(3);
  const wrong = ((Number(digits[2]) + 1) % 10).toString();
  return `KL-${digits.slice(0, 2)}${wrong}${digits.slice(3)}`;
}

describe(`ingest: one complaint thread per issue (${storeName})`, () => {
  let store: TestDb;
  let deps: IngestDeps;

  beforeEach(async () => {
    store = await createTestDb();
    deps = { db: store.db, sla: new SlaClock(parseHubConfig(demoConfig, 'config/klachtenhub.json')) };
  });
  afterEach(() => store.destroy());

  const ingest = (contact: InboundContact) => ingestContact(deps, contact);
  const count = async (table: string) => Number((await store.db(table).count({ n: '*' }))[0]?.n);

  it('a first contact opens a thread with a check-digit reference, due times, its promises, an acknowledgement job and the watch of each promise', async () => {
    const result = await ingest(sms('06 12345678', 'Mijn telefoon doet het niet', { name: 'Els Jansen', at }));
    expect(result).to.include({ outcome: 'opened', verified: true });
    expect(result.reference).to.match(/^KL-\d{8}$/);
    const digits = result.reference.slice(3);
    expect(luhnCheckDigit(digits.slice(0, 7))).to.equal(Number(digits[7]));

    const thread = await store.db('threads').where({ id: result.threadId }).first();
    expect(thread.summary).to.equal('Mijn telefoon doet het niet');
    // Tuesday 10:00 + 8 opening hours: 2.5 h before lunch, 3.5 h after, 2 h on Wednesday: 11:00.
    expect(new Date(thread.first_response_due).toISOString()).to.equal('2026-11-25T10:00:00.000Z');
    const identity = await store.db('identities').first('kind', 'value', 'proof');
    expect(identity).to.deep.equal({ kind: 'phone', value: '+31612345678', proof: 'channel' });
    const jobs = await store.db('jobs').orderBy('id').select('kind', 'dedupe_key', 'run_at');
    const promises = await store.db('promises').where({ thread_id: result.threadId }).orderBy('id').select('kind', 'due', 'state');
    expect(promises).to.deep.equal([
      { kind: 'acknowledgement', due: at + 60_000, state: 'open' },
      { kind: 'first-response', due: thread.first_response_due, state: 'open' },
      { kind: 'resolution', due: thread.resolution_due, state: 'open' },
    ]);
    // One watch scan per minute in which something falls due (the demo escalates at 100%: at each due time).
    expect(jobs).to.deep.equal([
      { kind: 'acknowledge', dedupe_key: `acknowledge:${result.threadId}`, run_at: at },
      { kind: 'promise-watch', dedupe_key: 'promise-watch:2026-11-24T09:01:00.000Z', run_at: at + 60_000 },
      { kind: 'promise-watch', dedupe_key: 'promise-watch:2026-11-25T10:00:00.000Z', run_at: thread.first_response_due },
      { kind: 'promise-watch', dedupe_key: 'promise-watch:2026-11-27T10:00:00.000Z', run_at: thread.resolution_due },
    ]);
  });

  it('a known customer with exactly one open thread joins it, whatever phone notation they use', async () => {
    const first = await ingest(sms('+31612345678', 'Geen bereik'));
    const second = await ingest(sms('0031 6 1234 5678', 'Nog steeds geen bereik'));
    expect(second).to.include({ outcome: 'joined', matchedBy: 'identity', threadId: first.threadId });
    expect(await count('threads')).to.equal(1);
    expect(await count('jobs')).to.equal(4); // the new thread's acknowledgement and the watch of its three promises, no more
  });

  it('the same provider id twice (a Twilio retry) is one contact', async () => {
    const contact = sms('+31612345678', 'Geen bereik');
    const first = await ingest(contact);
    const retry = await ingest({ ...contact });
    expect(retry).to.include({ outcome: 'duplicate', threadId: first.threadId, contactId: first.contactId });
    expect(await count('contacts')).to.equal(1);
  });

  it('simultaneous retries of one message still store it once', async () => {
    const contact = sms('+31687654321', 'Dubbel verzonden');
    const results = await Promise.all([ingest(contact), ingest({ ...contact }), ingest({ ...contact })]);
    expect(results.filter((result) => result.outcome === 'opened')).to.have.length(1);
    expect(await count('contacts')).to.equal(1);
    expect(await count('threads')).to.equal(1);
  });

  it('a reference from a new number reaches that thread unverified; the number is only a claim and joins nothing later', async () => {
    const opened = await ingest(email('els@example.nl', 'Factuur klopt niet', { name: 'Els Jansen' }));
    const bySms = await ingest(sms('+31611112222', `Over ${opened.reference.toLowerCase()}: nog niets gehoord`, { name: 'Mallory' }));
    expect(bySms).to.include({ outcome: 'joined', matchedBy: 'reference', threadId: opened.threadId, customerId: opened.customerId, verified: false });
    expect(await store.db('identities').where({ customer_id: opened.customerId, kind: 'phone' }).pluck('value')).to.deep.equal([]);
    expect(await store.db('identity_claims').where({ customer_id: opened.customerId }).first('kind', 'value', 'via')).to.deep.equal({ kind: 'phone', value: '+31611112222', via: 'reference' });
    expect(Boolean((await store.db('contacts').where({ id: bySms.contactId }).first('verified')).verified)).to.equal(false);

    // The stranger's next message, without the reference, is not hers.
    const later = await ingest(sms('+31611112222', 'Stuur het maar naar mijn adres'));
    expect(later.outcome).to.equal('opened');
    expect(later.customerId).to.not.equal(opened.customerId);
    // Her name is hers: an unverified contact fills in nothing.
    expect(await store.db('customers').where({ id: opened.customerId }).first('name')).to.deep.equal({ name: 'Els Jansen' });
  });

  it('a reference keyed on the phone keypad joins that thread; from her own number verified, withheld not', async () => {
    const opened = await ingest(sms('+31612345678', 'Storing'));
    const withheld: InboundContact = { channel: 'voice', providerId: 'CA1', body: 'Storing nog steeds', keyedReference: opened.reference.slice(3), at: at + 60_000 };
    expect(await ingest(withheld)).to.include({ outcome: 'joined', matchedBy: 'reference', threadId: opened.threadId, verified: false });
    const own: InboundContact = { ...withheld, providerId: 'CA2', from: { kind: 'phone', value: '+31612345678' } };
    expect(await ingest(own)).to.include({ outcome: 'joined', matchedBy: 'reference', threadId: opened.threadId, verified: true });
  });

  it('a mistyped reference is never matched: a new thread with a note for the agent', async () => {
    const opened = await ingest(sms('+31612345678', 'Storing'));
    const typo = mistype(opened.reference);
    const result = await ingest(email('iemand@example.nl', `Graag status van ${typo}`));
    expect(result.outcome).to.equal('opened');
    expect(result.threadId).to.not.equal(opened.threadId);
    const note = await store.db('timeline_events').where({ thread_id: result.threadId, kind: 'reference-mistyped' }).first('data');
    expect(JSON.parse(note.data)).to.deep.equal({ text: typo });
  });

  it('a mistyped reference from a known customer still reaches their one open thread by identity', async () => {
    const opened = await ingest(sms('+31612345678', 'Storing'));
    const result = await ingest(sms('+31612345678', `Zie ${mistype(opened.reference)}`));
    expect(result).to.include({ outcome: 'joined', matchedBy: 'identity', threadId: opened.threadId });
  });

  it('an email reply (In-Reply-To) from the customer joins the thread it answers', async () => {
    const opened = await ingest(email('els@example.nl', 'Factuur klopt niet'));
    const original = await store.db('contacts').where({ id: opened.contactId }).first('message_id');
    await ingest(email('els@example.nl', 'Tweede klacht: bezorging', {}));
    // Two open threads now: only the reply headers can say which one this is.
    const reply = await ingest(email('ELS@example.nl', 'Aanvulling op de factuur', { inReplyTo: [original.message_id] }));
    expect(reply).to.include({ outcome: 'joined', matchedBy: 'reply-headers', threadId: opened.threadId });
  });

  it('References are searched when In-Reply-To is unknown (a client that rewrote it)', async () => {
    const opened = await ingest(email('els@example.nl', 'Factuur klopt niet'));
    const original = await store.db('contacts').where({ id: opened.contactId }).first('message_id');
    await ingest(email('els@example.nl', 'Andere klacht'));
    const reply = await ingest(email('els@example.nl', 'Aanvulling', { inReplyTo: ['<rewritten@outlook.example>', original.message_id] }));
    expect(reply).to.include({ matchedBy: 'reply-headers', threadId: opened.threadId });
  });

  it('a reply from someone who is not the thread\'s customer opens their own thread, linked (Zammad\'s bug)', async () => {
    const opened = await ingest(email('els@example.nl', 'Factuur klopt niet'));
    const original = await store.db('contacts').where({ id: opened.contactId }).first('message_id');
    const stranger = await ingest(email('piet@other.example', 'Ik heb hetzelfde probleem', { inReplyTo: [original.message_id] }));
    expect(stranger.outcome).to.equal('opened');
    expect(stranger.linkedThreadId).to.equal(opened.threadId);
    expect(stranger.customerId).to.not.equal(opened.customerId);
    const bodies = await store.db('contacts').where({ thread_id: opened.threadId }).pluck('body');
    expect(bodies).to.deep.equal(['Factuur klopt niet']);
    const links = await store.db('timeline_events').where({ kind: 'thread-linked' }).pluck('thread_id');
    expect(links.sort()).to.deep.equal([opened.threadId, stranger.threadId].sort());
  });

  it('a reference to a resolved thread opens a new linked thread: the customer\'s own from her number, the sender\'s own from a stranger', async () => {
    const opened = await ingest(sms('+31612345678', 'Storing'));
    await store.db('threads').where({ id: opened.threadId }).update({ status: 'resolved' });
    const again = await ingest(sms('+31612345678', `Weer mis, zie ${opened.reference}`));
    expect(again).to.include({ outcome: 'opened', linkedThreadId: opened.threadId, customerId: opened.customerId, verified: true });
    await store.db('threads').where({ id: again.threadId }).update({ status: 'resolved' });
    const stranger = await ingest(email('nieuw@example.nl', `Weer mis, zie ${opened.reference}`));
    expect(stranger).to.include({ outcome: 'opened', linkedThreadId: opened.threadId, verified: true });
    expect(stranger.customerId).to.not.equal(opened.customerId);
    expect(await store.db('identities').where({ customer_id: stranger.customerId }).pluck('value')).to.deep.equal(['nieuw@example.nl']);
  });

  it('a customer with two open threads and no reference gets a new thread instead of a guess', async () => {
    const first = await ingest(sms('+31612345678', 'Storing'));
    await ingest(email('els@example.nl', `Factuur, en zie ${first.reference}`, {}));
    // Give the email customer a second open thread by merging identities directly: a second thread of one customer.
    await store.db('threads').insert({
      reference: formatReference('00000000'), customer_id: first.customerId, status: 'open', language: 'nl', channel: 'sms', created_at: at, updated_at: at,
    });
    const third = await ingest(sms('+31612345678', 'Welke van de twee?'));
    expect(third.outcome).to.equal('opened');
  });

  it('addresses typed into a chat are claims: kept for the agent, proven nowhere, and the number\'s own SMS is not the chat\'s', async () => {
    const chat: InboundContact = {
      channel: 'chat', providerId: 'chat-1', from: { kind: 'chat', value: 'session-abc' }, name: 'Els Jansen', body: 'Hallo, mijn modem werkt niet',
      claimedIdentities: [{ kind: 'email', value: 'Els@Example.NL', via: 'chat-form' }, { kind: 'phone', value: '06-12345678', via: 'chat-form' }], at,
    };
    const opened = await ingest(chat);
    expect(await store.db('identities').where({ customer_id: opened.customerId }).select('kind', 'value', 'proof')).to.deep.equal([{ kind: 'chat', value: 'session-abc', proof: 'channel' }]);
    const claims = await store.db('identity_claims').where({ customer_id: opened.customerId }).orderBy('kind').select('kind', 'value', 'via');
    expect(claims).to.deep.equal([
      { kind: 'email', value: 'els@example.nl', via: 'chat-form' },
      { kind: 'phone', value: '+31612345678', via: 'chat-form' },
    ]);
    const bySms = await ingest(sms('+31612345678', 'Nog steeds kapot'));
    expect(bySms.outcome).to.equal('opened');
    expect(bySms.customerId).to.not.equal(opened.customerId);
  });

  it('a chat that types someone\'s proven address gets a thread of its own, linked to hers; her address stays hers', async () => {
    const els = await ingest(sms('+31612345678', 'Storing', { name: 'Els' }));
    const chat: InboundContact = {
      channel: 'chat', providerId: 'chat-2', from: { kind: 'chat', value: 'session-xyz' }, body: 'Ik ben Els, wat is de status?', name: 'Els',
      claimedIdentities: [{ kind: 'phone', value: '0612345678', via: 'chat-form' }], at,
    };
    const impostor = await ingest(chat);
    expect(impostor).to.include({ outcome: 'opened', linkedThreadId: els.threadId, verified: true });
    expect(impostor.customerId).to.not.equal(els.customerId);
    const owner = await store.db('identities').where({ kind: 'phone', value: '+31612345678' }).first('customer_id');
    expect(owner.customer_id).to.equal(els.customerId);
    // The chat continues on its own thread, not hers.
    const next = await ingest({ ...chat, providerId: 'chat-3', body: 'Hallo?', conversationThreadId: impostor.threadId });
    expect(next).to.include({ outcome: 'joined', matchedBy: 'conversation', threadId: impostor.threadId });
  });

  it('a phone number in a mail\'s text is a claim: its owner\'s first SMS opens her own thread', async () => {
    const sender = await ingest(email('piet@example.nl', 'Bel mij op 06 12345678', { claimedIdentities: [{ kind: 'phone', value: '+31612345678', via: 'email-text' }] }));
    expect(await store.db('identity_claims').where({ customer_id: sender.customerId }).first('kind', 'value', 'via')).to.deep.equal({ kind: 'phone', value: '+31612345678', via: 'email-text' });
    const owner = await ingest(sms('+31612345678', 'Mijn pakket is niet bezorgd'));
    expect(owner.outcome).to.equal('opened');
    expect(owner.customerId).to.not.equal(sender.customerId);
  });

  it('a sender the channel cannot vouch for (DMARC failed, a Reply-To) never joins by identity and proves nothing', async () => {
    const els = await ingest(email('els@example.nl', 'Factuur klopt niet'));
    for (const unprovenBecause of ['dmarc-fail', 'reply-to'] as const) {
      const spoofed = await ingest(email('els@example.nl', 'Stuur de factuur naar mijn nieuwe adres', { unprovenBecause }));
      expect(spoofed).to.include({ outcome: 'opened', verified: false });
      expect(spoofed.customerId).to.not.equal(els.customerId);
      expect(await store.db('identity_claims').where({ customer_id: spoofed.customerId }).first('value', 'via')).to.deep.equal({ value: 'els@example.nl', via: unprovenBecause });
    }
    expect(await store.db('identities').where({ kind: 'email' }).select('customer_id', 'value')).to.deep.equal([{ customer_id: els.customerId, value: 'els@example.nl' }]);
  });

  it('a thread is in the language of its first contact, else of its customer, else Dutch', async () => {
    const english = await ingest(email('jane@example.com', 'My lamp is broken', { language: 'en', name: 'Jane' }));
    await store.db('threads').where({ id: english.threadId }).update({ status: 'resolved' });
    const laterBySms = await ingest(email('jane@example.com', `About ${english.reference}: still broken`));
    const dutch = await ingest(sms('+31687650000', 'Mijn lamp is kapot'));
    const language = async (threadId: number) => (await store.db('threads').where({ id: threadId }).first('language')).language;
    expect(await language(english.threadId)).to.equal('en');
    expect(laterBySms).to.include({ outcome: 'opened', customerId: english.customerId });
    expect(await language(laterBySms.threadId)).to.equal('en');
    expect(await language(dutch.threadId)).to.equal('nl');
  });

  it('a withheld caller ID still makes a thread with the contact on it', async () => {
    const call: InboundContact = { channel: 'voice', providerId: 'CA-anon', body: 'Ik bel over mijn rekening', at };
    const result = await ingest(call);
    expect(result).to.include({ outcome: 'opened', verified: true });
    expect(await count('identities')).to.equal(0);
    expect(await count('contacts')).to.equal(1);
  });
});
