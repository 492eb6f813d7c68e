import { expect } from 'chai';
import { ParsePool } from '../../src/channels/email/parse-pool';
import type { InboundEmail } from '../../src/channels/email/parse-email';
import { largeAttachmentMail, numberedComplaint } from '../helpers/eml';

const OWN = { addresses: new Set(['klachten@example.nl']), domains: new Set(['example.nl']) };
const AT = Date.parse('2026-11-24T10:00:00+01:00');

function contactOf(email: InboundEmail) {
  if (email.kind !== 'contact') throw new Error(`expected a contact, got ${email.kind}`);
  return email.contact;
}

describe('mail parsed on worker threads', function () {
  this.timeout(30_000);
  let pool: ParsePool;
  afterEach(async () => {
    await pool?.close();
  });

  it('gives what parseEmail gives, attachments as Buffers, in the order asked', async () => {
    pool = new ParsePool({ own: OWN, size: 2 });
    const [photo, second, third] = await Promise.all([
      pool.parse(largeAttachmentMail({ from: 'Els <els@example.com>', largeBytes: 64 * 1024 }), AT),
      pool.parse(Buffer.from(numberedComplaint(2)), AT),
      pool.parse(Buffer.from(numberedComplaint(3)), AT),
    ]);
    const attachments = contactOf(photo as InboundEmail).attachments ?? [];
    expect(attachments.map((attachment) => [attachment.filename, Buffer.isBuffer(attachment.content), attachment.content?.length])).to.deep.equal([
      ['doos.jpg', true, 2048],
      ['video-lekkage.mp4', true, 64 * 1024],
    ]);
    expect([second, third].map((email) => contactOf(email as InboundEmail).from?.value)).to.deep.equal(['klant2@example.com', 'klant3@example.com']);
  });

  it('a mail the parser cannot read is rejected with why', async () => {
    pool = new ParsePool({ own: OWN, size: 1 });
    const parts = Array.from({ length: 1_001 }, (_, i) => `--B\r\nContent-Type: text/plain\r\n\r\n${i}\r\n`).join('');
    const refused = await pool.parse(Buffer.from(`From: a@example.com\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n${parts}--B--\r\n`), AT).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(refused).to.match(/child nodes/);
  });

  it('a parse that runs over its time ends its worker and is rejected; the next mail is parsed by a new one', async () => {
    pool = new ParsePool({ own: OWN, size: 1, timeoutMs: 100 });
    await pool.parse(Buffer.from(numberedComplaint(1)), AT);
    // 40 MB of base64 takes mailparser well over 100 ms.
    const slow = await pool.parse(largeAttachmentMail({ from: 'Els <els@example.com>', largeBytes: 30 * 1024 * 1024 }), AT).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(slow).to.equal('parsing took longer than 0.1 s');
    expect(contactOf(await pool.parse(Buffer.from(numberedComplaint(2)), AT)).from?.value).to.equal('klant2@example.com');
  });
});
