import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FIXTURES = join(__dirname, '..', 'fixtures', 'email');

/**
 * A recorded mail from test/fixtures/email, with `{{name}}` placeholders filled (the reference and
 * the Message-ID of the hub's acknowledgement are only known once the test has run that far),
 * and CRLF line ends as on the wire.
 */
export function emlFixture(name: string, values: Record<string, string> = {}): string {
  const text = readFileSync(join(FIXTURES, `${name}.eml`), 'latin1');
  const filled = text.replace(/\{\{(\w+)\}\}/g, (_match, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`fixture ${name} needs a value for {{${key}}}`);
    return value;
  });
  return filled.replace(/\r?\n/g, '\r\n');
}

/** A phone camera's mail: a 2 KB photo and a video of `largeBytes`, base64 in 76-character lines. */
export function largeAttachmentMail(args: { from: string; largeBytes: number }): Buffer {
  const part = (filename: string, type: string, bytes: number) =>
    [
      '--KH-BOUNDARY',
      `Content-Type: ${type}; name="${filename}"`,
      `Content-Disposition: attachment; filename="${filename}"`,
      'Content-Transfer-Encoding: base64',
      '',
      (randomBytes(bytes).toString('base64').match(/.{1,76}/g) ?? []).join('\r\n'),
    ].join('\r\n');
  return Buffer.from(
    [
      `From: ${args.from}`,
      'To: klachten@example.nl',
      'Subject: Lekkage na installatie',
      'Date: Tue, 24 Nov 2026 09:30:00 +0100',
      `Message-ID: <${randomBytes(8).toString('hex')}@mail.gmail.com>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="KH-BOUNDARY"',
      '',
      '--KH-BOUNDARY',
      'Content-Type: text/plain; charset="UTF-8"',
      '',
      'Na de installatie lekt de boiler. Foto en video in de bijlage.',
      part('doos.jpg', 'image/jpeg', 2048),
      part('video-lekkage.mp4', 'video/mp4', args.largeBytes),
      '--KH-BOUNDARY--',
      '',
    ].join('\r\n'),
  );
}

/** The n-th of many customers' first complaints: each its own sender, Message-ID and text. */
export function numberedComplaint(n: number): string {
  return [
    `From: Klant ${n} <klant${n}@example.com>`,
    'To: klachten@example.nl',
    `Subject: Klacht ${n}: levering te laat`,
    `Date: Tue, 24 Nov 2026 09:${String(n % 60).padStart(2, '0')}:00 +0100`,
    `Message-ID: <complaint-${n}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="UTF-8"',
    '',
    `Bestelling ${100000 + n} is nog steeds niet geleverd. Ik wacht al twee weken.`,
    '',
    'Met vriendelijke groet,',
    `Klant ${n}`,
    '',
  ].join('\r\n');
}

const CORPUS = join(FIXTURES, 'corpus');

/**
 * A mail of the regression corpus (test/fixtures/email/corpus, see SOURCES.md there), as a
 * mailbox holds it: the mbox envelope line ("From sender date") some files start with is not part
 * of the message, and a delivery into a mailbox drops it.
 */
export function corpusMail(path: string): Buffer {
  const source = readFileSync(join(CORPUS, path));
  if (!source.subarray(0, 5).equals(Buffer.from('From '))) return source;
  const lineEnd = source.indexOf(0x0a);
  return source.subarray(lineEnd + 1);
}
