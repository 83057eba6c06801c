/**
 * How long a text is on the wire: its encoding, how many billed segments it takes, and which
 * characters push it out of GSM-7. Source: 3GPP TS 23.038 (GSM 7-bit alphabet) and Twilio's
 * "Message length" rules (see PLATFORM.md).
 */

export type SmsEncoding = "GSM-7" | "UCS-2";

export interface SmsMeasure {
  encoding: SmsEncoding;
  segments: number;
  /** Characters (code points) that force UCS-2: distinct, in order of first appearance. */
  nonGsmCharacters: string[];
}

/** Twilio rejects bodies longer than this (error 21617). */
export const MAX_SMS_BODY_CHARACTERS = 1600;

// 3GPP TS 23.038 basic character set (0x1B, the escape to the extension table, left out).
const GSM_BASIC = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);

// 3GPP TS 23.038 extension table: each is sent as ESC + char, so it costs two septets.
const GSM_EXTENSION = new Set("\f^{}\\[]~|€");

// A lone segment carries 160 septets / 70 UTF-16 units; split messages lose room to the
// concatenation header (UDH), leaving 153 / 67.
const LIMITS: Record<SmsEncoding, { single: number; split: number }> = {
  "GSM-7": { single: 160, split: 153 },
  "UCS-2": { single: 70, split: 67 },
};

export function isGsmCharacter(char: string): boolean {
  return GSM_BASIC.has(char) || GSM_EXTENSION.has(char);
}

/** Septets a GSM-7 character takes: 2 for the extension table, 1 otherwise. */
function gsmSeptets(char: string): number {
  return GSM_EXTENSION.has(char) ? 2 : 1;
}

/** UTF-16 code units a code point takes: 2 outside the Basic Multilingual Plane (emoji). */
function ucs2Units(char: string): number {
  return char.length;
}

/**
 * Segments needed for characters of the given sizes. A character is never split across
 * segments (an escape pair in GSM-7, a surrogate pair in UCS-2), so a split segment may end short.
 */
function countSegments(sizes: number[], limits: { single: number; split: number }): number {
  const total = sizes.reduce((sum, size) => sum + size, 0);
  if (total === 0) return 0;
  if (total <= limits.single) return 1;
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > limits.split) {
      segments += 1;
      used = 0;
    }
    used += size;
  }
  return segments;
}

/**
 * Encoding and segment count of an SMS body. Empty text is 0 segments: there is nothing to send
 * as SMS. (A media-only message is an MMS, which Twilio bills per message, not per segment.)
 */
export function measureSms(text: string): SmsMeasure {
  const chars = Array.from(text);
  const nonGsmCharacters = [...new Set(chars.filter((char) => !isGsmCharacter(char)))];
  const encoding: SmsEncoding = nonGsmCharacters.length === 0 ? "GSM-7" : "UCS-2";
  const sizes = chars.map(encoding === "GSM-7" ? gsmSeptets : ucs2Units);
  return { encoding, segments: countSegments(sizes, LIMITS[encoding]), nonGsmCharacters };
}

export interface GsmReplacement {
  from: string;
  to: string;
}

// Look-alikes that word processors and phones type in place of plain GSM-7 punctuation.
// Letters are never replaced: "María" must stay her name, even if it costs a segment.
const GSM_LOOKALIKES: Record<string, string> = {
  "\u2018": "'", // ‘ left single quote
  "\u2019": "'", // ’ right single quote / typographic apostrophe
  "\u201A": "'", // ‚ low single quote
  "\u201B": "'", // ‛ reversed single quote
  "\u2032": "'", // ′ prime
  "\u2039": "'", // ‹
  "\u203A": "'", // ›
  "\u201C": '"', // “ left double quote
  "\u201D": '"', // ” right double quote
  "\u201E": '"', // „ low double quote
  "\u201F": '"', // ‟ reversed double quote
  "\u2033": '"', // ″ double prime
  "\u00AB": '"', // «
  "\u00BB": '"', // »
  "\u2010": "-", // ‐ hyphen
  "\u2011": "-", // ‑ non-breaking hyphen
  "\u2012": "-", // ‒ figure dash
  "\u2013": "-", // – en dash
  "\u2014": "-", // — em dash
  "\u2015": "-", // ― horizontal bar
  "\u2212": "-", // − minus sign
  "\u2022": "-", // • bullet
  "\u2026": "...", // … ellipsis
  "\u00A0": " ", // non-breaking space
  "\u2002": " ", // en space
  "\u2003": " ", // em space
  "\u2009": " ", // thin space
  "\u200A": " ", // hair space
  "\u202F": " ", // narrow non-breaking space
  "\u3000": " ", // ideographic space
  "\t": " ", // tab
  "\u200B": "", // zero-width space
  "\u00AD": "", // soft hyphen
  "\uFEFF": "", // byte-order mark / zero-width no-break space
};

/** GSM-7 replacements for the look-alike characters in `text`: distinct, in order of appearance. */
export function suggestGsmReplacements(text: string): GsmReplacement[] {
  const seen = new Set<string>();
  const found: GsmReplacement[] = [];
  for (const char of text) {
    const to = GSM_LOOKALIKES[char];
    if (to === undefined || seen.has(char)) continue;
    seen.add(char);
    found.push({ from: char, to });
  }
  return found;
}

/**
 * `text` with every look-alike replaced by its GSM-7 equivalent, unless that would cost more
 * segments (an ellipsis becomes three characters), in which case `text` is returned unchanged.
 */
export function applyGsmReplacements(text: string): string {
  const replaced = Array.from(text, (char) => GSM_LOOKALIKES[char] ?? char).join("");
  return measureSms(replaced).segments <= measureSms(text).segments ? replaced : text;
}

/**
 * Cost in US dollars of `segments` segments at `perSegmentUsd` each, rounded up to the cent so an
 * estimate never comes in under the bill. Pass a campaign's total segments, not per-contact counts,
 * so rounding happens once.
 */
export function estimateCost(segments: number, perSegmentUsd: number): number {
  if (!Number.isInteger(segments) || segments < 0) {
    throw new RangeError(`segments must be a whole number ≥ 0, got ${segments}`);
  }
  if (!Number.isFinite(perSegmentUsd) || perSegmentUsd < 0) {
    throw new RangeError(`perSegmentUsd must be a price ≥ 0, got ${perSegmentUsd}`);
  }
  // Work in millionths of a dollar so 0.0079 × 10,000 is exactly $79.00, not $79.01.
  const microUsd = segments * Math.round(perSegmentUsd * 1_000_000);
  return Math.ceil(microUsd / 10_000) / 100;
}
