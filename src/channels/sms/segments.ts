/**
 * SMS encoding and segment arithmetic (3GPP TS 23.038). A text that fits the GSM-7 alphabet
 * costs 7 bits a character: 160 in one segment, 153 per segment when concatenated. One
 * character outside it (Dutch "ë", an emoji) makes the whole text UCS-2: 70, or 67 per segment.
 * "€" is in GSM-7's extension table: it fits, but costs two septets.
 */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '\f^{}\\[~]|€';
const basic = new Set(GSM7_BASIC);
const extension = new Set(GSM7_EXTENSION);

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
}

/** "Uw klacht" → GSM-7, 1 segment; "Geachte heer Hoëvenaars" → UCS-2 (ë is not GSM-7). */
export function countSegments(text: string): SegmentCount {
  let septets = 0;
  for (const char of text) {
    if (basic.has(char)) septets += 1;
    else if (extension.has(char)) septets += 2;
    else {
      const units = text.length;
      return { encoding: 'UCS-2', units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
    }
  }
  return { encoding: 'GSM-7', units: septets, segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
}

/** Twilio concatenates up to 1600 characters into one message; longer bodies are refused (21617). */
export const MAX_MESSAGE_LENGTH = 1600;

// Spans a split must not cut: a reference as customers write it ("KL-12345674", "KL 1234 5674").
const UNBREAKABLE = /\bKL[\s-]?\d{4}\s?\d{4}\b/gi;

/**
 * A body over the limit goes out as several messages, each cut at a word boundary outside a
 * reference; a single "word" longer than the limit is cut hard (still never inside a reference).
 */
export function splitMessage(body: string, limit = MAX_MESSAGE_LENGTH): string[] {
  const parts: string[] = [];
  let rest = body.trim();
  while (rest.length > limit) {
    const protectedSpans = [...rest.matchAll(UNBREAKABLE)].map((match) => [match.index, match.index + match[0].length] as const);
    const inside = (at: number) => protectedSpans.some(([start, end]) => at > start && at < end);
    let cut = -1;
    for (let at = limit; at > 0; at--) {
      if (/\s/.test(rest[at] ?? '') && !inside(at)) {
        cut = at;
        break;
      }
    }
    if (cut <= 0) {
      cut = limit;
      const span = protectedSpans.find(([start, end]) => cut > start && cut < end);
      if (span && span[0] > 0) cut = span[0];
    }
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}
