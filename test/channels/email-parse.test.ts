import { expect } from 'chai';
import { parseEmail, type InboundEmail, type OwnMail } from '../../src/channels/email/parse-email';
import { newText } from '../../src/channels/email/quoted-text';
import { corpusMail } from '../helpers/eml';

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
  it('ignores mail from the hub\'s own address; a null sender alone is no bounce', async () => {
    expect(await parseEmail(mail({ From: 'Klantenservice <Klachten@Example.nl>' }), OWN, AT)).to.deep.equal({ kind: 'ignored', reason: 'own-address', messageId: '<m1@example.com>' });
    expect(contactOf(await parseEmail(mail({ 'Return-Path': '<>', 'In-Reply-To': '<ack-1@example.nl>' }), OWN, AT)).automatic).to.deep.equal({ kind: 'null-sender', signal: 'Return-Path: <>' });
  });

  // One row per signal real servers send: the headers on top of a plain mail, and what the hub makes of it.
  const signals: [string, Record<string, string>, { kind: string; signal: string } | undefined][] = [
    ['RFC 3834 auto-replied', { 'Auto-Submitted': 'auto-replied' }, { kind: 'auto-reply', signal: 'Auto-Submitted: auto-replied' }],
    ['Zimbra\'s vacation', { 'Auto-Submitted': 'auto-replied (vacation)' }, { kind: 'auto-reply', signal: 'Auto-Submitted: auto-replied (vacation)' }],
    ['RFC 3834 auto-generated', { 'Auto-Submitted': 'auto-generated' }, { kind: 'auto-generated', signal: 'Auto-Submitted: auto-generated' }],
    ['an MDN\'s auto-notified', { 'Auto-Submitted': 'auto-notified' }, { kind: 'auto-generated', signal: 'Auto-Submitted: auto-notified' }],
    ['Auto-Submitted: no', { 'Auto-Submitted': 'no' }, undefined],
    ['X-Autoreply', { 'X-Autoreply': 'yes' }, { kind: 'auto-reply', signal: 'x-autoreply: yes' }],
    ['X-Autorespond', { 'X-Autorespond': 'Out of office' }, { kind: 'auto-reply', signal: 'x-autorespond: out of office' }],
    ['iCloud\'s vacation', { 'X-Apple-Action': 'VACATION', Subject: 'Auto reply: Lamp' }, { kind: 'auto-reply', signal: 'X-Apple-Action: VACATION' }],
    ['Exchange\'s X-Auto-Response-Suppress', { 'X-Auto-Response-Suppress': 'All' }, { kind: 'auto-reply', signal: 'X-Auto-Response-Suppress: all' }],
    ['an out-of-office subject alone', { Subject: 'Automatisch antwoord: Lamp' }, { kind: 'auto-reply', signal: 'Subject: Automatisch antwoord: Lamp' }],
    ['a customer writing about her vacation', { Subject: 'Vacation booking went wrong' }, undefined],
    ['Precedence: auto_reply', { Precedence: 'auto_reply' }, { kind: 'auto-reply', signal: 'Precedence: auto_reply' }],
    ['List-Id', { 'List-Id': '<nieuws.lists.example>' }, { kind: 'mailing-list', signal: 'list-id: <nieuws.lists.example>' }],
    ['List-Unsubscribe', { 'List-Unsubscribe': '<mailto:x@lists.example>' }, { kind: 'mailing-list', signal: 'list-unsubscribe: <mailto:x@lists.example>' }],
    ['a list\'s -request address', { From: 'nieuws-request@lists.example' }, { kind: 'mailing-list', signal: 'From: nieuws-request@lists.example' }],
    ['Precedence: bulk', { Precedence: 'bulk' }, { kind: 'bulk', signal: 'Precedence: bulk' }],
    ['Precedence: junk', { Precedence: 'junk' }, { kind: 'bulk', signal: 'Precedence: junk' }],
    ['noreply@ without Reply-To', { From: 'Shop <noreply@shop.example>' }, { kind: 'no-reply', signal: 'answers to noreply@shop.example' }],
    ['do-not-reply@ with a no-reply Reply-To', { From: 'do-not-reply@bank.example', 'Reply-To': 'no_reply@bank.example' }, { kind: 'no-reply', signal: 'answers to no_reply@bank.example' }],
    ['a web form: noreply@ with the customer in Reply-To', { From: 'noreply@shop.example', 'Reply-To': 'els@example.com' }, undefined],
    ['a MAILER-DAEMON Return-Path on a plain-text bounce', { 'Return-Path': '<MAILER-DAEMON@mx.example.com>', Subject: 'failure notice' }, undefined],
  ];
  for (const [what, headers, expected] of signals) {
    it(`classifies ${what}`, async () => {
      const email = await parseEmail(mail(headers), OWN, AT);
      if (what.includes('bounce')) expect(email.kind).to.equal('bounce');
      else expect(contactOf(email).automatic).to.deep.equal(expected);
    });
  }

  it('reads a delivery report\'s Action: a delayed one is a notice, a failed one a bounce with its status', async () => {
    const report = (action: string, status: string) =>
      Buffer.from(
        [
          'From: Mail Delivery System <MAILER-DAEMON@mx.example.com>',
          'To: klachten@example.nl',
          'Subject: Delivery Status Notification',
          'Message-ID: <dsn-1@mx.example.com>',
          'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
          '',
          '--B',
          'Content-Type: text/plain',
          '',
          'Your message could not be delivered yet.',
          '--B',
          'Content-Type: message/delivery-status',
          '',
          'Reporting-MTA: dns; mx.example.com',
          '',
          'Final-Recipient: rfc822; els@example.com',
          `Action: ${action}`,
          `Status: ${status}`,
          '--B',
          'Content-Type: text/rfc822-headers',
          '',
          'Message-ID: <ack-1@example.nl>',
          '--B--',
          '',
        ].join('\r\n'),
      );
    expect(await parseEmail(report('delayed', '4.4.1'), OWN, AT)).to.deep.equal({ kind: 'ignored', reason: 'delivery-notice', messageId: '<dsn-1@mx.example.com>' });
    expect(await parseEmail(report('failed', '5.1.1'), OWN, AT)).to.deep.equal({ kind: 'bounce', bouncedMessageIds: ['<ack-1@example.nl>'], status: '5.1.1', at: AT });
  });

  it('keeps at most 10 phone claims from the start of a 1.1 MB list mail that holds 3,017 digit runs', async () => {
    const digest = contactOf(await parseEmail(corpusMail('mailparser/large_text.eml'), OWN, AT));
    expect(digest.claimedIdentities).to.have.length.within(1, 10);
    expect(digest.body.length).to.be.at.most(100_010);
  });

  it('takes Hotmail\'s junk-mail report (JMRP: no ARF part, X-HmXmrOriginalRecipient in the enclosed mail) for a feedback report', async () => {
    expect(contactOf(await parseEmail(corpusMail('sisimai/arf-22.eml'), OWN, AT)).automatic).to.deep.equal({ kind: 'feedback-report', signal: 'an enclosed message with X-HmXmrOriginalRecipient' });
  });

  it('keeps an attachment whose Content-Type is broken ("Content-Type: ; name=facejj.jpg") as application/octet-stream', async () => {
    const attachments = contactOf(await parseEmail(corpusMail('flanker/spam--broken-ctype.eml'), OWN, AT)).attachments ?? [];
    expect(attachments.map((attachment) => attachment.contentType)).to.include('application/octet-stream');
  });

  it('drops a display name that only repeats the address, keeps a real one', async () => {
    expect(contactOf(await parseEmail(mail({ From: '"els.jansen@gmail.com" <els.jansen@gmail.com>' }), OWN, AT)).name).to.equal(undefined);
    expect(contactOf(await parseEmail(mail({ From: 'els.jansen <els.jansen@gmail.com>' }), OWN, AT)).name).to.equal(undefined);
    expect(contactOf(await parseEmail(mail({ From: 'Els <els@gmail.com>' }), OWN, AT)).name).to.equal('Els');
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
