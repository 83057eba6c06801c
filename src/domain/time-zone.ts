import { lookup } from "zipcode-to-timezone";
import { AREA_CODE_ZONES, TERRITORY_AREA_CODE_ZONES } from "./area-code-zones";
import { areaCodeOf, normalizePhone } from "./phone";

/**
 * One zone for each distinct clock found in the 50 states: used when nothing is known about where
 * a recipient lives, so a text goes out only while it is allowed everywhere (PLATFORM.md, quiet hours).
 */
export const US_STATE_ZONES: readonly string[] = Object.freeze([
  "America/New_York",
  "America/Chicago",
  "America/Denver",
  "America/Phoenix", // Arizona: no daylight saving time
  "America/Los_Angeles",
  "America/Anchorage",
  "America/Adak", // Aleutian Islands: Hawaii-Aleutian time with daylight saving time
  "Pacific/Honolulu", // Hawaii: no daylight saving time
]);

export type TimeZoneSource = "zip" | "area_code" | "unknown";

/** A 5-digit ZIP, optionally followed by its +4 part ("90210-1234", "90210 1234" or "902101234"). */
const ZIP = /^(\d{5})(?:[- ]?\d{4})?$/;

// zipcode-to-timezone still answers with a deprecated alias for the Navajo Nation.
const CANONICAL_ZONE: Readonly<Record<string, string>> = { "America/Shiprock": "America/Denver" };

/** The IANA zone of a US ZIP code, or null when it is missing, malformed or unknown. */
export function zoneForZip(zip: string | null | undefined): string | null {
  const match = zip ? ZIP.exec(zip.trim()) : null;
  const zone = match?.[1] ? lookup(match[1]) : null;
  return zone ? (CANONICAL_ZONE[zone] ?? zone) : null;
}

/** The IANA zones a US area code covers, most populous first; [] for toll-free, non-geographic and non-US codes. */
export function zonesForAreaCode(areaCode: string): string[] {
  return [...areaCodeZones(areaCode)];
}

/** The zones of a phone number's area code (E.164 or as typed); [] when it has none we know. */
export function zonesForPhone(phone: string): string[] {
  const areaCode = areaCodeOf(phone) ?? areaCodeOf(normalizePhone(phone) ?? "");
  return areaCode ? zonesForAreaCode(areaCode) : [];
}

/**
 * The time zone to store for an imported contact: the ZIP's zone when known (it names the place),
 * else the main zone of the phone's area code, else none.
 */
export function assignTimeZone(contact: { zip?: string | null; phone: string }): {
  timeZone: string | null;
  source: TimeZoneSource;
} {
  const zipZone = zoneForZip(contact.zip);
  if (zipZone) return { timeZone: zipZone, source: "zip" };
  const [areaCodeZone] = zonesForPhone(contact.phone);
  if (areaCodeZone) return { timeZone: areaCodeZone, source: "area_code" };
  return { timeZone: null, source: "unknown" };
}

function areaCodeZones(areaCode: string): readonly string[] {
  if (Object.hasOwn(AREA_CODE_ZONES, areaCode)) return AREA_CODE_ZONES[areaCode] ?? [];
  if (Object.hasOwn(TERRITORY_AREA_CODE_ZONES, areaCode)) return TERRITORY_AREA_CODE_ZONES[areaCode] ?? [];
  return [];
}
