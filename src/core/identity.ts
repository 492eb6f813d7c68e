import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
// Number types (mobile or fixed line) need the full metadata; parsing alone does not.
import { parsePhoneNumberFromString as parseWithTypes } from 'libphonenumber-js/max';
import { z } from 'zod';

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

const emailSchema = z.email();

export function normalizeEmail(input: string): string | undefined {
  const lowered = input.trim().toLowerCase();
  return emailSchema.safeParse(lowered).success ? lowered : undefined;
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
