import { Metadata, parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js";

/*
 * Phone numbers are stored and compared in E.164 ("+12125550143"). Validity is libphonenumber-js's
 * verdict with its default metadata: for the US that metadata already carries the full list of
 * area codes in service (the same pattern as the "max" metadata, checked in phone.test.ts), so the
 * bigger "max" bundle would change no US verdict.
 *
 * The library parses about 100k numbers a second, too slow for a million-row import, so plain US
 * numbers take a fast path that uses the library's own US pattern and therefore cannot disagree
 * with it (a property test checks this on random inputs in many formats).
 *
 * Decisions, each with a test:
 * - A number with an extension ("ext. 12", "x12") is null: a text cannot reach an extension, and
 *   consent given for one desk is not consent for the switchboard that answers the main number.
 * - Text around a number ("call 212-555-0143") is null: a phone column holds only a number.
 * - Fictional 555-0100..0199 numbers and N11 exchanges (212-411-xxxx) are valid, as the library says.
 */

/** The library's pattern for a valid US (50 states and DC) national number, anchored. */
const US_NATIONAL_NUMBER = new RegExp(`^(?:${libraryUsPattern()})$`);

/** Only digits, the usual separators and one leading "+" may appear in a plain number. */
const PLAIN_NUMBER = /^\+?[\d .()-]+$/;

/**
 * No NANP area code starts with 0 or 1 or is N11 (211…911). (Exchanges starting with 0 or 1 are
 * invalid in the US but valid in some Caribbean NANP countries, so those go to the library.)
 */
const IMPOSSIBLE_AREA_CODE = /^(?:[01]|\d11)/;

/** The library answers nothing for inputs this long; the fast path leaves them to it. */
const MAX_PLAIN_LENGTH = 40;

/**
 * The E.164 form of a phone number as typed in a contact list, or null when it is not a valid,
 * textable number. Numbers without a "+" are read as numbers of `defaultRegion`.
 */
export function normalizePhone(raw: string, defaultRegion: CountryCode = "US"): string | null {
  const text = raw.trim();
  if (text === "") return null;
  if (defaultRegion === "US" || text.startsWith("+")) {
    const fast = normalizePlainUsPhone(text);
    if (fast !== undefined) return fast;
  }
  const parsed = parsePhoneNumberFromString(text, { defaultCountry: defaultRegion, extract: false });
  if (!parsed || parsed.ext !== undefined || !parsed.isValid()) return null;
  return parsed.number;
}

/**
 * The fast path for a trimmed plain US number (10 digits, or 11 starting with 1, with optional
 * leading "+", separated only by spaces, dots, dashes and parentheses): E.164 when valid, null when
 * no NANP number can have that shape, undefined when only the library can tell (another NANP
 * country, an unassigned area code, any other input). Exported for the consistency test.
 */
export function normalizePlainUsPhone(text: string): string | null | undefined {
  if (text.length > MAX_PLAIN_LENGTH || !PLAIN_NUMBER.test(text)) return undefined;
  const digits = text.replace(/\D/g, "");
  let national: string;
  if (digits.length === 11 && digits.startsWith("1")) national = digits.slice(1);
  else if (digits.length === 10 && !text.startsWith("+")) national = digits;
  else return undefined;
  if (US_NATIONAL_NUMBER.test(national)) return `+1${national}`;
  return IMPOSSIBLE_AREA_CODE.test(national) ? null : undefined;
}

/** The area code of a NANP (+1) number in E.164, e.g. "212" for "+12125550143"; null otherwise. */
export function areaCodeOf(e164: string): string | null {
  const match = /^\+1([2-9]\d{2})\d{7}$/.exec(e164);
  return match?.[1] ?? null;
}

/** A phone number safe to show in Slack: only the last four digits, e.g. "•••-•••-0143". */
export function maskPhone(e164: string): string {
  const digits = e164.replace(/\D/g, "");
  if (digits.length <= 4) return "••••";
  const lastFour = digits.slice(-4);
  if (/^\+1\d{10}$/.test(e164)) return `•••-•••-${lastFour}`;
  return `+${"•".repeat(digits.length - 4)}${lastFour}`;
}

/** Reads the US fixed-line/mobile pattern out of the library's metadata, so the fast path follows upgrades. */
function libraryUsPattern(): string {
  // `Metadata` is typed without its numbering-plan accessors; these are the ones the library itself uses.
  const metadata = new Metadata() as unknown as {
    selectNumberingPlan(country: CountryCode): void;
    numberingPlan?: { type(type: "FIXED_LINE"): { pattern(): string } | undefined };
  };
  metadata.selectNumberingPlan("US");
  const pattern = metadata.numberingPlan?.type("FIXED_LINE")?.pattern();
  if (!pattern) throw new Error("libphonenumber-js metadata has no US fixed-line pattern: phone.ts needs updating");
  return pattern;
}
