import fc from "fast-check";
import { PLACEHOLDER_VALUES, usableValue } from "../../../src/domain/merge-values";

describe("merge values", () => {
  it("treat blanks and placeholders in any case as missing, and trim the rest", () => {
    expect(usableValue(null)).toBeNull();
    expect(usableValue(" \u00a0\t")).toBeNull();
    for (const placeholder of PLACEHOLDER_VALUES) {
      expect(usableValue(placeholder.toUpperCase())).toBeNull();
      expect(usableValue(`\u3000${placeholder}\n`)).toBeNull();
    }
    expect(usableValue("  Ana ")).toBe("Ana");
    expect(usableValue("nullify")).toBe("nullify");
  });

  it("trim exactly what JavaScript's trim does, so the SQL twin can list the same characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const trimmed = text.trim();
        const expected =
          trimmed && !(PLACEHOLDER_VALUES as readonly string[]).includes(trimmed.toLowerCase()) ? trimmed : null;
        expect(usableValue(text)).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });
});
