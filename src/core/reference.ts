import { randomInt } from 'node:crypto';

/**
 * Thread references: "KL-" + 8 digits, the last a Luhn check digit over the first 7.
 * Random rather than sequential, so a reference is not guessable; the check digit catches the
 * usual keypad slips (one wrong digit, two neighbours swapped).
 */
const PREFIX = 'KL-';

export function luhnCheckDigit(payload: string): number {
  let sum = 0;
  // Walking from the right, every second digit starting with the rightmost payload digit is doubled.
  for (let i = 0; i < payload.length; i++) {
    let digit = Number(payload[payload.length - 1 - i]);
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

export function isValidReferenceDigits(digits: string): boolean {
  return /^\d{8}$/.test(digits) && luhnCheckDigit(digits.slice(0, 7)) === Number(digits[7]);
}

export function newReference(): string {
  const payload = String(randomInt(0, 10_000_000)).padStart(7, '0');
  return `${PREFIX}${payload}${luhnCheckDigit(payload)}`;
}

export function formatReference(digits: string): string {
  return `${PREFIX}${digits}`;
}

export type ReferenceMention =
  | { kind: 'valid'; reference: string }
  /** Looks like a reference but the check digit is wrong: a typo, never silently matched. */
  | { kind: 'mistyped'; text: string };

// "KL-12345674", "kl 1234 5674", "KL12345674"; bare digits only when the whole input is the reference (keypad).
const MENTION = /\bKL[\s-]?(\d{4}\s?\d{4})\b/gi;

/** The reference a customer wrote in a subject, SMS body or chat message, or keyed in. */
export function findReference(text: string): ReferenceMention | undefined {
  let mistyped: ReferenceMention | undefined;
  for (const match of text.matchAll(MENTION)) {
    const digits = (match[1] ?? '').replace(/\s/g, '');
    if (isValidReferenceDigits(digits)) return { kind: 'valid', reference: formatReference(digits) };
    mistyped ??= { kind: 'mistyped', text: match[0] };
  }
  if (mistyped) return mistyped;
  const keyed = text.trim().replace(/[\s#*]/g, '');
  if (/^\d{8}$/.test(keyed)) {
    return isValidReferenceDigits(keyed) ? { kind: 'valid', reference: formatReference(keyed) } : { kind: 'mistyped', text: keyed };
  }
  return undefined;
}

/** "KL-12345674" in a URL or API call, in any case; undefined when malformed or the check digit fails. */
export function parseReference(text: string): string | undefined {
  const match = /^KL-?(\d{8})$/i.exec(text.trim());
  return match?.[1] && isValidReferenceDigits(match[1]) ? formatReference(match[1]) : undefined;
}
