import { expect } from 'chai';
import { storeName } from '../helpers/db';
import { corpusMail, numberedComplaint } from '../helpers/eml';
import { useMailHub } from '../helpers/mail-hub';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+01:00');

describe(`no mail blocks the mailbox: bounded work per message (${storeName})`, function () {
  this.timeout(60_000);
  const mail = useMailHub({ folderPrefix: 'Bounds', now: TUESDAY_10 });

  it('a 1.1 MB list mail full of digit runs is stored with at most 10 claims, and the complaint behind it arrives', async () => {
    // The Ubuntu bug list's digest from mailparser's own tests: 3,017 "phone numbers" once built one SQL term each.
    await mail.deliver(corpusMail('mailparser/large_text.eml'));
    const behind = await mail.deliver(numberedComplaint(1));
    await mail.readPast(behind, 20_000);

    const [digest, complaint] = await mail.inboundEmails();
    expect(complaint?.from_value).to.equal('klant1@example.com');
    expect(digest?.body.length).to.be.within(90_000, 100_010);
    const claims = await mail.t.hub.ctx.db('identity_claims').where({ via: 'email-text' }).count({ n: '*' });
    expect(Number(claims[0]?.n)).to.be.within(1, 10);
  });

  it('what PostgreSQL cannot hold is made storable: NUL in the text, a 300-character Message-ID, a long name and file name', async () => {
    const longId = `<${'x'.repeat(300)}@example.com>`;
    const longName = `Els ${'J'.repeat(300)}`;
    const longFile = `${'foto'.repeat(80)}.jpg`;
    const source = [
      `From: "${longName}" <els@example.com>`,
      'To: klachten@example.nl',
      // A NUL cannot travel raw over IMAP, but quoted-printable and encoded words carry it.
      'Subject: =?utf-8?Q?Lamp=00_kapot?=',
      `Message-ID: ${longId}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="B"',
      '',
      '--B',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Mijn lamp=00 is kapot.',
      '--B',
      `Content-Type: image/jpeg; name="${longFile}"`,
      `Content-Disposition: attachment; filename="${longFile}"`,
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('jpeg').toString('base64'),
      '--B--',
      '',
    ].join('\r\n');
    const uid = await mail.deliver(source);
    await mail.readPast(uid);
    const [contact] = await mail.inboundEmails();
    expect(contact?.body).to.equal('Mijn lamp is kapot.');
    const stored = await mail.t.hub.ctx.db('contacts').where({ id: contact?.id }).first('message_id');
    expect(stored.message_id).to.match(/@long-message-id\.invalid>$/);
    const file = await mail.t.hub.ctx.db('attachments').where({ contact_id: contact?.id }).first('filename');
    expect(file.filename).to.have.length(200);
    const customer = await mail.t.hub.ctx.db('customers').first('name');
    expect(customer.name).to.have.length(200);

    // Her reply names the long id in References: it still finds the thread.
    const reply = ['From: els@example.com', 'To: klachten@example.nl', 'Subject: Re: Lamp', 'Message-ID: <r1@example.com>', `References: ${longId}`, '', 'En nu?', ''].join('\r\n');
    const replyUid = await mail.deliver(reply);
    await mail.readPast(replyUid);
    const [, second] = await mail.inboundEmails();
    expect(second?.thread_id).to.equal(contact?.thread_id);
  });
});
