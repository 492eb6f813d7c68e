import { prng } from './harness';

/**
 * Complaint mail as a contact center's mailbox receives it, deterministic per seed:
 * - 45% first complaints from Gmail: text and HTML alternatives, about 4 KB
 * - 20% replies from Outlook: heavy HTML with a style block and an inline logo, about 45 KB,
 *   quoting the hub's acknowledgement with the reference in the subject
 * - 15% first complaints with a phone photo attached (1.5 MB JPEG)
 * - 15% short plain-text mails from a phone
 * - 5% automatic mail (out-of-office, mailing list)
 */
export function complaintMailbox(count: number, seed = 7): Buffer[] {
  const random = prng(seed);
  const photo = randomBase64(1_500_000, random);
  const logo = randomBase64(12_000, random);
  return Array.from({ length: count }, (_, index) => {
    const n = index + 1;
    const pick = random();
    if (pick < 0.45) return gmail(n);
    if (pick < 0.65) return outlookReply(n, logo);
    if (pick < 0.8) return withPhoto(n, photo);
    if (pick < 0.95) return phoneText(n);
    return automatic(n);
  }).map((text) => Buffer.from(text.replace(/\r?\n/g, '\r\n')));
}

function headers(n: number, args: { from: string; subject: string; type: string; extra?: string[] }): string {
  return [
    `From: ${args.from}`,
    'To: klachten@example.nl',
    `Subject: ${args.subject}`,
    `Date: Tue, 24 Nov 2026 ${String(8 + (n % 9)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}:00 +0100`,
    `Message-ID: <mix-${n}@mail.example.com>`,
    'MIME-Version: 1.0',
    ...(args.extra ?? []),
    `Content-Type: ${args.type}`,
    '',
  ].join('\n');
}

const COMPLAINT = 'Mijn bestelling is nog steeds niet geleverd, terwijl de track-and-trace al vijf dagen "onderweg" zegt. Ik heb twee keer gebeld en kreeg twee verschillende antwoorden.';

function gmail(n: number): string {
  const html = `<div dir="ltr"><div>Goedemorgen,</div><div><br></div><div>${COMPLAINT}</div><div><br></div><div>Bestelling ${200000 + n}.</div><div>Met vriendelijke groet,</div><div>Klant ${n}</div></div>`.repeat(4);
  return `${headers(n, { from: `Klant ${n} <klant${n}@gmail.com>`, subject: `Bestelling ${200000 + n} niet geleverd`, type: 'multipart/alternative; boundary="gm"' })}
--gm
Content-Type: text/plain; charset="UTF-8"

Goedemorgen,

${COMPLAINT}

Bestelling ${200000 + n}.
Met vriendelijke groet,
Klant ${n}

--gm
Content-Type: text/html; charset="UTF-8"

${html}
--gm--
`;
}

function outlookReply(n: number, logo: string): string {
  const style = `<style>${'p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;} '.repeat(60)}</style>`;
  const quoted = `<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p class="MsoNormal"><b>Van:</b> Klantenservice &lt;klachten@example.nl&gt;<br><b>Verzonden:</b> dinsdag 24 november 2026 10:02</p></div>${'<p class="MsoNormal">Bedankt voor uw bericht. We hebben uw klacht ontvangen.</p>'.repeat(80)}`;
  return `${headers(n, {
    from: `"Jansen, K." <k${n}@outlook.com>`,
    subject: 'Antw: [EXT] RE: Uw klacht is ontvangen [KL-0000000]',
    type: 'multipart/related; boundary="ol-rel"',
    extra: ['Thread-Index: AQHbPj1uV2x3k8d9Q0mN2b1uYyVqkg==', 'Content-Language: nl-NL'],
  })}
--ol-rel
Content-Type: text/html; charset="iso-8859-1"

<html><head>${style}</head><body><p class="MsoNormal">Ik heb nog steeds niets gehoord. Wanneer komt de vervangende lamp?</p><p class="MsoNormal"><img src="cid:logo001"></p>${quoted}</body></html>
--ol-rel
Content-Type: image/png; name="image001.png"
Content-ID: <logo001>
Content-Disposition: inline; filename="image001.png"
Content-Transfer-Encoding: base64

${logo}
--ol-rel--
`;
}

function withPhoto(n: number, photo: string): string {
  return `${headers(n, { from: `Klant ${n} <foto${n}@icloud.com>`, subject: 'Beschadigd geleverd', type: 'multipart/mixed; boundary="ph"' })}
--ph
Content-Type: text/plain; charset="UTF-8"

${COMPLAINT} Foto in de bijlage.

Verstuurd vanaf mijn iPhone

--ph
Content-Type: image/jpeg; name="IMG_${4000 + n}.jpeg"
Content-Disposition: attachment; filename="IMG_${4000 + n}.jpeg"
Content-Transfer-Encoding: base64

${photo}
--ph--
`;
}

function phoneText(n: number): string {
  return `${headers(n, { from: `sms${n}@ziggo.nl`, subject: 'klacht', type: 'text/plain; charset="UTF-8"' })}
Nog steeds geen monteur geweest. Bel me op 06 ${String(10000000 + n).slice(-8)}.
`;
}

function automatic(n: number): string {
  return n % 2 === 0
    ? `${headers(n, { from: `Afwezig ${n} <afwezig${n}@example.org>`, subject: 'Automatisch antwoord: Uw klacht is ontvangen', type: 'text/plain; charset="UTF-8"', extra: ['Auto-Submitted: auto-replied'] })}
Ik ben afwezig tot maandag.
`
    : `${headers(n, { from: 'Nieuws <nieuws@lists.example.org>', subject: '[nieuws] November', type: 'text/plain; charset="UTF-8"', extra: ['List-Id: <nieuws.lists.example.org>', 'Precedence: list'] })}
Het nieuws van november.
`;
}

/** Base64 in 76-character lines, as mail clients write attachments. */
function randomBase64(bytes: number, random: () => number): string {
  const buffer = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) buffer[i] = Math.floor(random() * 256);
  return (buffer.toString('base64').match(/.{1,76}/g) ?? []).join('\n');
}
