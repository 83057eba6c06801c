import { storableText, storableValue } from "../../../src/domain/stored-text";

describe("text the database can store", () => {
  it("shows each NUL as ␀ and leaves everything else as it is", () => {
    expect(storableText("a\u0000b\u0000\u0000")).toBe("a\u2400b\u2400\u2400");
    expect(storableText("Who is this? 🤔 \u0001\uffff")).toBe("Who is this? 🤔 \u0001\uffff");
  });

  it("reaches every string of a value, keys and arrays included, and says whether it replaced any", () => {
    const value = { body: "hi\u0000", raw: { "Bo\u0000dy": "x" }, media: [{ url: "u\u0000" }], count: 1, none: null };
    expect(storableValue(value)).toEqual({
      value: { body: "hi\u2400", raw: { "Bo\u2400dy": "x" }, media: [{ url: "u\u2400" }], count: 1, none: null },
      replaced: true,
    });
    const clean = { body: "hi", raw: { Body: "hi" } };
    expect(storableValue(clean).replaced).toBe(false);
    expect(storableValue(clean).value).toBe(clean);
  });
});
