/**
 * What the customer wrote in this message, without the history their mail client quoted below
 * it and without their signature. Used for the thread's summary and the dossier; the full text
 * stays in the raw message.
 *
 * Example (Gmail, Dutch):
 *   "Nog steeds geen monteur.\n\nOp di 24 nov 2026 om 10:02 schreef Klantenservice <…>:\n> Uw klacht…"
 *   → "Nog steeds geen monteur."
 */
export function newText(text: string): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const end = lines.findIndex((line, index) => startsQuotedHistory(line, lines.slice(index + 1, index + 4)));
  const kept = (end === -1 ? lines : lines.slice(0, end)).filter((line) => !line.startsWith('>'));
  const signature = kept.findIndex((line) => line === '-- ' || line === '--');
  const body = (signature === -1 ? kept : kept.slice(0, signature)).join('\n').trim();
  // A message that is only a quote (a forward without comment) keeps its text rather than becoming empty.
  return body || text.trim();
}

/** "On … wrote:" (Gmail, Apple Mail, Thunderbird), in English and Dutch, possibly wrapped onto two lines. */
const REPLY_HEADER = /^(on|op)\s.+(wrote|schreef)( het volgende)?:\s*$/i;
const REPLY_HEADER_START = /^(on|op)\s.*\d/i;
const REPLY_HEADER_END = /(wrote|schreef)( het volgende)?:\s*$/i;
/** Outlook's separators and its header block ("From: … Sent: …" / "Van: … Verzonden: …"). */
const OUTLOOK_SEPARATOR = /^\s*-{2,}\s*(original message|oorspronkelijk bericht|forwarded message|doorgestuurd bericht)\s*-{2,}\s*$/i;
const OUTLOOK_FROM = /^\s*\*?(from|van):\*?\s/i;
const OUTLOOK_SENT = /^\s*\*?(sent|verzonden|date|datum):\*?\s/i;
const UNDERSCORES = /^_{10,}\s*$/;

function startsQuotedHistory(line: string, next: string[]): boolean {
  if (REPLY_HEADER.test(line) || OUTLOOK_SEPARATOR.test(line) || UNDERSCORES.test(line)) return true;
  if (REPLY_HEADER_START.test(line) && !REPLY_HEADER_END.test(line) && REPLY_HEADER_END.test(next[0] ?? '')) return true;
  return OUTLOOK_FROM.test(line) && next.some((following) => OUTLOOK_SENT.test(following));
}
