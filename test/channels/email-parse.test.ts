import { expect } from 'chai';
import { parseEmail, type InboundEmail, type OwnMail } from '../../src/channels/email/parse-email';
import { newText } from '../../src/channels/email/quoted-text';

const OWN: OwnMail = { addresses: new Set(['klachten@example.nl']), domains: new Set(['example.nl']) };
const AT = Date.parse('2026-11-24T10:00:00+01:00');

function mail(headers: Record<string, string>, body = 'Mijn lamp is kapot.'): Buffer {
  const lines = Object.entries({ From: 'Els <els@example.com>', To: 'klachten@example.nl', Subject: 'Lamp', 'Message-ID': '<m1@example.com>', ...headers }).map(([name, value]) => `${name}: ${value}`);
  return Buffer.from([...lines, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
}

function contactOf(email: InboundEmail) {
  if (email.kind !== 'contact') throw new Error(`expected a contact, got ${email.kind}`);
  return email.contact;
}

describe('email parsing (RFC 3834 guards, keys, quoted history)', () => {
  it('marks an Exchange out-of-office without Auto-Submitted by its subject, and list and bulk mail by their headers', async () => {
    expect(contactOf(await parseEmail(mail({ Subject: 'Automatisch antwoord: Lamp' }), OWN, AT)).automatic).to.equal('auto-reply');
    expect(contactOf(await parseEmail(mail({ 'X-Auto-Response-Suppress': 'All' }), OWN, AT)).automatic).to.equal('auto-reply');
    expect(contactOf(await parseEmail(mail({ 'List-Unsubscribe': '<mailto:x@lists.example>' }), OWN, AT)).automatic).to.equal('mailing-list');
    expect(contactOf(await parseEmail(mail({ Precedence: 'bulk' }), OWN, AT)).automatic).to.equal('bulk');
    expect(contactOf(await parseEmail(mail({ 'Auto-Submitted': 'no' }), OWN, AT)).automatic).to.equal(undefined);
  });

  it('ignores mail from the hub\'s own address, and treats the null sender as a bounce', async () => {
    expect(await parseEmail(mail({ From: 'Klantenservice <Klachten@Example.nl>' }), OWN, AT)).to.deep.equal({ kind: 'ignored', reason: 'own-address', messageId: '<m1@example.com>' });
    expect((await parseEmail(mail({ 'Return-Path': '<>', 'In-Reply-To': '<ack-1@example.nl>' }), OWN, AT))).to.deep.equal({ kind: 'bounce', bouncedMessageIds: ['<ack-1@example.nl>'], status: undefined, at: AT });
  });

  it('keys a message by Message-ID and content: a second delivery is the same, a reused Message-ID with other text is not', async () => {
    const first = contactOf(await parseEmail(mail({}), OWN, AT));
    const redelivered = contactOf(await parseEmail(Buffer.concat([Buffer.from('Received: from mx2 by mx1; Tue, 24 Nov 2026 10:00:01 +0100\r\n'), mail({})]), OWN, AT));
    const reused = contactOf(await parseEmail(mail({}, 'Een heel ander bericht.'), OWN, AT));
    expect(redelivered.providerId).to.equal(first.providerId);
    expect(reused.providerId).not.to.equal(first.providerId);
    expect(first.providerId.startsWith('<m1@example.com>#')).to.equal(true);
  });

  it('does not let an outsider pose as another customer by forwarding', async () => {
    const forwarded = mail({ From: 'Mallory <mallory@evil.example>', Subject: 'Fwd: klacht' }, '---------- Forwarded message ---------\r\nFrom: Els <els@example.com>\r\n\r\nHallo');
    const contact = contactOf(await parseEmail(forwarded, OWN, AT));
    expect(contact.from).to.deep.equal({ kind: 'email', value: 'mallory@evil.example' });
  });

  it('reads In-Reply-To and References in order, without duplicates', async () => {
    const contact = contactOf(await parseEmail(mail({ 'In-Reply-To': '<b@x>', References: '<a@x> <b@x>' }), OWN, AT));
    expect(contact.inReplyTo).to.deep.equal(['<b@x>', '<a@x>']);
  });
});

describe('the new text of a reply', () => {
  it('cuts English Gmail history whose "On … wrote:" line is wrapped', () => {
    expect(newText('Still broken.\n\nOn Tue, 24 Nov 2026 at 10:02, Klantenservice <klachten@example.nl>\nwrote:\n> Dear Els,')).to.equal('Still broken.');
  });

  it('cuts Outlook\'s "-----Original Message-----" and its English From/Sent block', () => {
    expect(newText('Any news?\n\n-----Original Message-----\nFrom: Klantenservice\nSent: Tuesday\n\nDear Els')).to.equal('Any news?');
    expect(newText('Any news?\n\nFrom: Klantenservice <klachten@example.nl>\nSent: Tuesday, November 24, 2026 10:02\nTo: Els')).to.equal('Any news?');
  });

  it('keeps a line that merely starts with "Van:" in the customer\'s own words', () => {
    expect(newText('Van: mijn buurman hoorde ik dat het bij hem ook zo is.\nGroet')).to.equal('Van: mijn buurman hoorde ik dat het bij hem ook zo is.\nGroet');
  });

  it('keeps the text of a message that is nothing but a quote', () => {
    expect(newText('> Uw klacht is ontvangen.')).to.equal('> Uw klacht is ontvangen.');
  });
});
