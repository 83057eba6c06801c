import fc from "fast-check";
import {
  applyGsmReplacements,
  estimateCost,
  isGsmCharacter,
  measureSms,
  suggestGsmReplacements,
} from "../../../src/domain/sms-length";

const EXTENSION = ["\f", "^", "{", "}", "\\", "[", "]", "~", "|", "€"];
const GSM_SAMPLE = [..."@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà", ...EXTENSION];
const LOOKALIKES = ["‘", "’", "“", "”", "–", "—", "…", "\u00A0", "•", "\t", "\u200B"];

const gsmText = fc.array(fc.constantFrom(...GSM_SAMPLE), { maxLength: 700 }).map((chars) => chars.join(""));
const mixedText = fc
  .array(fc.constantFrom(...GSM_SAMPLE, ...LOOKALIKES, "😀", "ñ", "María"), { maxLength: 400 })
  .map((chars) => chars.join(""));

describe("measureSms", () => {
  it("counts an empty body as no segments", () => {
    expect(measureSms("")).toEqual({ encoding: "GSM-7", segments: 0, nonGsmCharacters: [] });
  });

  it("fits 160 GSM-7 characters in one segment and splits at 161", () => {
    expect(measureSms("a".repeat(160))).toEqual({ encoding: "GSM-7", segments: 1, nonGsmCharacters: [] });
    expect(measureSms("a".repeat(161)).segments).toBe(2);
  });

  it("puts 153 GSM-7 characters in each split segment", () => {
    expect(measureSms("a".repeat(153 * 2)).segments).toBe(2);
    expect(measureSms("a".repeat(153 * 2 + 1)).segments).toBe(3);
    expect(measureSms("a".repeat(153 * 3)).segments).toBe(3);
  });

  it("counts extension characters as two septets", () => {
    for (const char of EXTENSION) {
      expect(measureSms("a".repeat(158) + char)).toMatchObject({ encoding: "GSM-7", segments: 1 });
      expect(measureSms("a".repeat(159) + char).segments).toBe(2);
    }
    expect(measureSms("€".repeat(80)).segments).toBe(1);
    expect(measureSms("€".repeat(81)).segments).toBe(2);
  });

  it("never splits an escape pair across segments", () => {
    // 306 septets is exactly 153 × 2, but "{" at septets 153–154 moves whole to segment 2.
    const text = "a".repeat(152) + "{" + "a".repeat(152);
    expect(measureSms(text).segments).toBe(3);
    expect(measureSms("a".repeat(151) + "{" + "a".repeat(153)).segments).toBe(2);
  });

  it("switches the whole message to UCS-2 for one non-GSM character", () => {
    expect(measureSms("Don’t forget to vote")).toEqual({
      encoding: "UCS-2",
      segments: 1,
      nonGsmCharacters: ["’"],
    });
  });

  it("fits 70 UCS-2 units in one segment, 67 per split segment", () => {
    expect(measureSms("’".repeat(70)).segments).toBe(1);
    expect(measureSms("’".repeat(71)).segments).toBe(2);
    expect(measureSms("’".repeat(67 * 2)).segments).toBe(2);
    expect(measureSms("’".repeat(67 * 2 + 1)).segments).toBe(3);
  });

  it("counts extension characters once in UCS-2", () => {
    expect(measureSms("’" + "{".repeat(69)).segments).toBe(1);
  });

  it("counts an emoji as two UTF-16 units", () => {
    expect(measureSms("😀".repeat(35))).toEqual({ encoding: "UCS-2", segments: 1, nonGsmCharacters: ["😀"] });
    expect(measureSms("😀".repeat(35) + "a").segments).toBe(2);
  });

  it("never splits a surrogate pair across segments", () => {
    // 134 units is exactly 67 × 2, but the emoji at units 67–68 moves whole to segment 2.
    expect(measureSms("a".repeat(66) + "😀" + "a".repeat(66)).segments).toBe(3);
    expect(measureSms("a".repeat(65) + "😀" + "a".repeat(67)).segments).toBe(2);
  });

  it("names each character that forces UCS-2 once, in order", () => {
    expect(measureSms("“Hi” 😀 — it’s Sam 😀").nonGsmCharacters).toEqual(["“", "”", "😀", "—", "’"]);
  });

  it("knows the GSM-7 alphabet", () => {
    expect(["é", "ñ", "Ç", "€", "\n"].every(isGsmCharacter)).toBe(true);
    expect(["ç", "í", "`", "’"].some(isGsmCharacter)).toBe(false);
  });

  it("never gives a longer GSM-7 text fewer segments", () => {
    fc.assert(
      fc.property(gsmText, gsmText, (text, more) => {
        expect(measureSms(text + more).segments).toBeGreaterThanOrEqual(measureSms(text).segments);
      }),
    );
  });

  it("gives every GSM-7 text the GSM-7 encoding and enough segments for its septets", () => {
    fc.assert(
      fc.property(gsmText, (text) => {
        const { encoding, segments } = measureSms(text);
        const septets = Array.from(text).reduce((n, c) => n + (EXTENSION.includes(c) ? 2 : 1), 0);
        expect(encoding).toBe("GSM-7");
        expect(segments).toBeGreaterThanOrEqual(septets <= 160 ? Math.sign(septets) : Math.ceil(septets / 153));
      }),
    );
  });
});

describe("GSM replacements", () => {
  it("suggests plain punctuation for smart quotes, dashes, ellipses and odd spaces", () => {
    expect(suggestGsmReplacements("“Don’t wait”\u00A0— vote… ’")).toEqual([
      { from: "“", to: '"' },
      { from: "’", to: "'" },
      { from: "”", to: '"' },
      { from: "\u00A0", to: " " },
      { from: "—", to: "-" },
      { from: "…", to: "..." },
    ]);
  });

  it("turns a smart-quoted text into GSM-7", () => {
    const fixed = applyGsmReplacements("“Don’t wait” – vote…");
    expect(fixed).toBe(`"Don't wait" - vote...`);
    expect(measureSms(fixed).encoding).toBe("GSM-7");
  });

  it("never replaces letters", () => {
    expect(suggestGsmReplacements("María, José, François")).toEqual([]);
  });

  it("keeps the text when replacing would cost a segment", () => {
    const ellipses = "…".repeat(70);
    expect(measureSms(ellipses).segments).toBe(1);
    expect(applyGsmReplacements(ellipses)).toBe(ellipses);
  });

  it("only replaces characters outside GSM-7", () => {
    for (const { from, to } of suggestGsmReplacements(LOOKALIKES.join(""))) {
      expect(isGsmCharacter(from)).toBe(false);
      expect(Array.from(to).every(isGsmCharacter)).toBe(true);
    }
  });

  it("never increases segments", () => {
    fc.assert(
      fc.property(mixedText, (text) => {
        expect(measureSms(applyGsmReplacements(text)).segments).toBeLessThanOrEqual(measureSms(text).segments);
      }),
    );
  });

  it("leaves GSM-7 text unchanged", () => {
    fc.assert(
      fc.property(gsmText, (text) => {
        expect(suggestGsmReplacements(text)).toEqual([]);
        expect(applyGsmReplacements(text)).toBe(text);
      }),
    );
  });
});

describe("estimateCost", () => {
  it("multiplies segments by the price, rounded up to the cent", () => {
    expect(estimateCost(0, 0.0079)).toBe(0);
    expect(estimateCost(1, 0.0079)).toBe(0.01);
    expect(estimateCost(10_000, 0.0079)).toBe(79);
    expect(estimateCost(3, 0.0083)).toBe(0.03);
    expect(estimateCost(1_234, 0.0079)).toBe(9.75);
  });

  it("rejects impossible inputs", () => {
    expect(() => estimateCost(-1, 0.01)).toThrow(RangeError);
    expect(() => estimateCost(1.5, 0.01)).toThrow(RangeError);
    expect(() => estimateCost(1, Number.NaN)).toThrow(RangeError);
  });
});
