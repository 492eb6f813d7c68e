import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
// Number types (mobile or fixed line) need the full metadata; parsing alone does not.
import { parsePhoneNumberFromString as parseWithTypes } from 'libphonenumber-js/max';
import { domainToASCII, domainToUnicode } from 'node:url';

/** The ways a customer can be recognised. Phones are E.164, emails lower case. */
export type IdentityKind = 'phone' | 'email' | 'chat';

export interface Identity {
  kind: IdentityKind;
  value: string;
}

const DEFAULT_COUNTRY: CountryCode = 'NL';

/** Numbers already parsed, by input and country: the same few numbers text and call again and again. */
const parsedPhones = new Map<string, string | null>();
const PARSED_PHONES_KEPT = 10_000;

/** "06 12345678", "+31 6 1234 5678" and "0031612345678" are all "+31612345678". */
export function normalizePhone(input: string, defaultCountry: CountryCode = DEFAULT_COUNTRY): string | undefined {
  const key = `${defaultCountry}:${input}`;
  let e164 = parsedPhones.get(key);
  if (e164 === undefined) {
    const parsed = parsePhoneNumberFromString(input.trim().replace(/^00/, '+'), defaultCountry);
    e164 = parsed?.isPossible() ? parsed.number : null;
    // Parsing is the costly part of an SMS webhook after the database; a bounded memo of a pure function.
    if (parsedPhones.size >= PARSED_PHONES_KEPT) parsedPhones.delete(parsedPhones.keys().next().value as string);
    parsedPhones.set(key, e164);
  }
  return e164 ?? undefined;
}

/** SMS only reaches mobiles: a call from a fixed line is acknowledged by email or not at all. */
export function isMobileNumber(e164: string): boolean {
  const type = parseWithTypes(e164)?.getType();
  return type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE';
}

/**
 * RFC 5321 dot-atoms with RFC 6531/6532 UTF-8: letters of any script, digits and
 * !#$%&'*+-/=?^_`{|}~, in dot-separated runs. (Quoted local parts are refused: nobody writes a
 * complaint from "john doe"@example.com.)
 */
const LOCAL_PART = /^[\p{L}\p{M}\p{N}!#$%&'*+\-/=?^_`{|}~]+(\.[\p{L}\p{M}\p{N}!#$%&'*+\-/=?^_`{|}~]+)*$/u;
/** A DNS label in ASCII (an internationalised one as its xn-- form). */
const DOMAIN_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * "Els@Example.NL" → "els@example.nl"; also UTF-8 addresses (RFC 6532: "jdöe@mächine.example",
 * the domain in Unicode however it was written) and dotless domains ("xxxxx@xxxxx": RFC 5321
 * allows them, intranets use them). Undefined for what cannot be an address.
 */
export function normalizeEmail(input: string): string | undefined {
  const lowered = input.trim().normalize('NFC').toLowerCase();
  const at = lowered.lastIndexOf('@');
  if (at < 1 || lowered.length > 254) return undefined;
  const local = lowered.slice(0, at);
  const ascii = domainToASCII(lowered.slice(at + 1));
  if (Buffer.byteLength(local) > 64 || !LOCAL_PART.test(local)) return undefined;
  if (!ascii || ascii.length > 253 || !ascii.split('.').every((label) => DOMAIN_LABEL.test(label))) return undefined;
  return `${local}@${domainToUnicode(ascii)}`;
}

/** Normalises an identity; undefined when the value cannot be one of its kind. */
export function normalizeIdentity(identity: Identity): Identity | undefined {
  const value =
    identity.kind === 'phone'
      ? normalizePhone(identity.value)
      : identity.kind === 'email'
        ? normalizeEmail(identity.value)
        : identity.value.trim() || undefined;
  return value ? { kind: identity.kind, value } : undefined;
}
