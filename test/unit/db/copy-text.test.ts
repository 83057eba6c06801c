import fc from "fast-check";
import { copyField, copyLine, parseCopyLine } from "../../../src/db/copy-text";

describe("COPY text format", () => {
  it("escapes backslash, tab, newline and carriage return, and writes NULL as \\N", () => {
    expect(copyField(null)).toBe("\\N");
    expect(copyField("O'Brien")).toBe("O'Brien");
    expect(copyField("a\tb\nc\rd\\e")).toBe("a\\tb\\nc\\rd\\\\e");
    expect(copyField("\\N")).toBe("\\\\N");
    expect(copyLine(["x", null, ""])).toBe("x\t\\N\t\n");
  });

  it("reads back every row it writes, NULLs and empty strings kept apart (property)", () => {
    const value = fc.option(fc.string({ unit: fc.constantFrom("a", "é", "\\", "\t", "\n", "\r", "N", " ", '"') }), {
      nil: null,
    });
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 8 }), (values) => {
        expect(parseCopyLine(copyLine(values))).toEqual(values);
      }),
    );
  });
});
