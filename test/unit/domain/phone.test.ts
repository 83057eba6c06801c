import fc from "fast-check";
import { parsePhoneNumberFromString } from "libphonenumber-js";
import { parsePhoneNumberFromString as parseWithMaxMetadata } from "libphonenumber-js/max";
import { AREA_CODE_ZONES } from "../../../src/domain/area-code-zones";
import { areaCodeOf, maskPhone, normalizePhone, normalizePlainUsPhone } from "../../../src/domain/phone";

/** The library's verdict alone, as normalizePhone documents it: the oracle for the fast path. */
function libraryVerdict(raw: string): string | null {
  const parsed = parsePhoneNumberFromString(raw.trim(), { defaultCountry: "US", extract: false });
  return parsed && parsed.ext === undefined && parsed.isValid() ? parsed.number : null;
}

const US_AREA_CODES = Object.keys(AREA_CODE_ZONES);
const digits = (length: number) =>
  fc.integer({ min: 0, max: 10 ** length - 1 }).map((n) => String(n).padStart(length, "0"));

const areaCode = fc.oneof(
  fc.constantFrom(...US_AREA_CODES),
  digits(3),
  // other NANP countries, toll-free, premium, non-geographic, N11, fictional
  fc.constantFrom("787", "284", "876", "416", "800", "888", "900", "500", "521", "555", "211", "911", "983"),
);
const exchange = fc.oneof(fc.integer({ min: 200, max: 999 }).map(String), digits(3));
const separator = fc.constantFrom("", " ", "-", ".", "  ", " - ", "(", ")", ") ", "((", "..");
const prefix = fc.constantFrom(
  "",
  "1",
  "1-",
  "1 ",
  "+1",
  "+1 ",
  "+1-",
  "(1)",
  "+(1)",
  "+ 1 ",
  "+",
  "11",
  "0",
  "+-1",
  "1+",
);
const padding = fc.constantFrom("", " ", "  ", "\t", "\u00a0", "\n");

/** US-shaped inputs in many formats, most of them plain, some malformed. */
const usShapedInput = fc
  .tuple(padding, prefix, separator, areaCode, separator, exchange, separator, digits(4), separator, padding)
  .map((parts) => parts.join(""));

describe("normalizePhone", () => {
  it.each([
    ["(212) 555-0143", "+12125550143"],
    ["212.555.0143", "+12125550143"],
    ["1-212-555-0143", "+12125550143"],
    ["+1 212 555 0143", "+12125550143"],
    [" 2125550143 ", "+12125550143"],
    ["\t+1 (212) 555-0143\n", "+12125550143"],
    ["12125550143", "+12125550143"],
    ["+12125550143", "+12125550143"],
    ["+44 20 7946 0958", "+442079460958"],
    ["011 44 20 7946 0958", "+442079460958"],
    ["(787) 555-0143", "+17875550143"],
    ["800-555-0143", "+18005550143"],
  ])("reads %j as %s", (raw, e164) => {
    expect(normalizePhone(raw)).toBe(e164);
  });

  it.each([
    ["", "empty"],
    ["   ", "blank"],
    ["phone", "letters only"],
    ["1-800-FLOWERS", "a vanity number"],
    ["212555014", "too short"],
    ["21255501433", "too long"],
    ["(112) 555-0143", "area code starting with 1"],
    ["(411) 555-0143", "N11 area code"],
    ["(555) 555-0143", "area code not in service"],
    ["(212) 055-0143", "exchange starting with 0"],
    ["+2125550143", "a + without the country code"],
    ["call 212-555-0143", "text around the number"],
    ["212-555-0143 ext. 12", "an extension"],
    ["212-555-0143 x12", "an extension written x"],
    ["2125550143;ext=12", "an RFC 3966 extension"],
  ])("rejects %j (%s)", (raw) => {
    expect(normalizePhone(raw)).toBeNull();
  });

  it("accepts the fictional 555-0100..0199 numbers and N11 exchanges, as libphonenumber-js does", () => {
    expect(normalizePhone("212-555-0100")).toBe("+12125550100");
    expect(normalizePhone("212-555-0199")).toBe("+12125550199");
    expect(normalizePhone("212-411-0143")).toBe("+12124110143");
  });

  it("reads numbers without + as numbers of the default region", () => {
    expect(normalizePhone("020 7946 0958", "GB")).toBe("+442079460958");
    expect(normalizePhone("+1 212 555 0143", "GB")).toBe("+12125550143");
  });

  it("is idempotent on its own output", () => {
    fc.assert(
      fc.property(usShapedInput, (raw) => {
        const e164 = normalizePhone(raw);
        return e164 === null || normalizePhone(e164) === e164;
      }),
    );
  });
});

describe("the fast path for plain US numbers", () => {
  it("agrees exactly with libphonenumber-js on US-shaped inputs", () => {
    fc.assert(
      fc.property(usShapedInput, (raw) => {
        expect(normalizePhone(raw)).toBe(libraryVerdict(raw));
        const fast = normalizePlainUsPhone(raw.trim());
        if (fast !== undefined) expect(fast).toBe(libraryVerdict(raw));
      }),
      { numRuns: 5000 },
    );
  });

  it("decides every valid plain US number without the library", () => {
    const plain = fc
      .tuple(
        fc.constantFrom("", "1", "1-", "+1", "+1 ", "(1) "),
        fc.constantFrom(...US_AREA_CODES),
        fc.integer({ min: 200, max: 999 }),
        digits(4),
        fc.constantFrom(["(", ") ", "-"], ["", ".", "."], ["", " ", " "], ["", "", ""]),
      )
      .map(([lead, area, exch, line, [open, middle, last]]) => `${lead}${open}${area}${middle}${exch}${last}${line}`);
    fc.assert(
      fc.property(plain, (raw) => {
        if (libraryVerdict(raw) !== null) expect(normalizePlainUsPhone(raw)).not.toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it("needs no bigger metadata: the default and max metadata give the same US verdicts", () => {
    const tenDigits = fc.tuple(areaCode, exchange, digits(4)).map((parts) => parts.join(""));
    fc.assert(
      fc.property(tenDigits, (national) => {
        const small = parsePhoneNumberFromString(national, "US");
        const max = parseWithMaxMetadata(national, "US");
        if (small?.country === "US" || max?.country === "US") {
          expect(small?.isValid()).toBe(max?.isValid());
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe("areaCodeOf", () => {
  it("reads the area code of a NANP number", () => {
    expect(areaCodeOf("+12125550143")).toBe("212");
    expect(areaCodeOf("+18005550143")).toBe("800");
  });

  it("is null for anything but a +1 number in E.164", () => {
    expect(areaCodeOf("+442079460958")).toBeNull();
    expect(areaCodeOf("2125550143")).toBeNull();
    expect(areaCodeOf("+1212555014")).toBeNull();
    expect(areaCodeOf("+11125550143")).toBeNull();
  });
});

describe("maskPhone", () => {
  it("shows only the last four digits of a US number", () => {
    expect(maskPhone("+12125550143")).toBe("•••-•••-0143");
  });

  it("masks other numbers digit by digit, keeping the last four", () => {
    expect(maskPhone("+442079460958")).toBe("+••••••••0958");
  });

  it("shows nothing of something too short to mask", () => {
    expect(maskPhone("+123")).toBe("••••");
  });
});
