import {
  mapHeaders,
  MAX_COLUMNS,
  MAX_HEADER_CHARS,
  normalizeHeader,
  splitTags,
} from "../../../src/domain/contact-columns";

describe("contact CSV headers", () => {
  it("normalizes the ways spreadsheets write a header", () => {
    expect(normalizeHeader("First_Name")).toBe("first name");
    expect(normalizeHeader("\uFEFFfirstName")).toBe("first name");
    expect(normalizeHeader("  ZIP-code ")).toBe("zip code");
    expect(normalizeHeader("Phone.Number")).toBe("phone number");
  });

  it.each([
    [["first_name", "last_name", "phone", "zip"], { firstName: 0, lastName: 1, phone: 2, zip: 3 }],
    [
      ["Given Name", "Surname", "Cell", "Postal Code", "Tags"],
      { firstName: 0, lastName: 1, phone: 2, zip: 3, tags: 4 },
    ],
    [["FNAME", "Mobile Number", "zipcode", "ST"], { firstName: 0, phone: 1, zip: 2, state: 3 }],
    [["Phone Number", "Cell Phone"], { phone: 0 }],
  ])("maps %j", (headers, standard) => {
    const result = mapHeaders(headers);
    expect(result.ok && result.mapping.standard).toEqual(standard);
  });

  it("keeps every other column as a custom field, once, under its own name", () => {
    const result = mapHeaders(["phone", "Precinct", "Polling Place", "precinct", ""]);
    expect(result.ok && result.mapping.custom).toEqual([
      { index: 1, name: "Precinct" },
      { index: 2, name: "Polling Place" },
    ]);
  });

  it("without a phone column, says which columns it saw and what to name it", () => {
    const result = mapHeaders(["name", "email"]);
    expect(result).toEqual({
      ok: false,
      message:
        'No phone column found. The file\'s columns are: "name", "email". Name the column with the cell numbers "phone" (also accepted: cell, mobile, phone number) and upload again.',
    });
  });

  it("takes up to 200 named columns of up to 100 characters; empty columns (trailing commas) do not count", () => {
    const widest = [
      "phone",
      ...Array.from({ length: 199 }, (_, i) => `${String(i).padStart(3, "0")}${"x".repeat(97)}`),
    ];
    expect(widest.every((h) => h.length <= MAX_HEADER_CHARS)).toBe(true);
    expect(mapHeaders([...widest, ...Array<string>(500).fill("")]).ok).toBe(true);
    expect(mapHeaders([...widest, "one more"])).toEqual({
      ok: false,
      message: expect.stringMatching(/^The file has 201 columns; an import takes at most 200\./),
    });
    expect(mapHeaders(["phone", `${"y".repeat(MAX_HEADER_CHARS)}z`])).toEqual({
      ok: false,
      message: expect.stringMatching(
        /^Column 2 has a name of 101 characters \("y{40}…"\); a column name can have at most 100\./,
      ),
    });
    expect(MAX_COLUMNS).toBe(200);
  });

  it("without a phone column, quotes at most 20 of the columns it saw", () => {
    const result = mapHeaders(Array.from({ length: 50 }, (_, i) => `col${i}`));
    expect(result.ok).toBe(false);
    const message = result.ok ? "" : result.message;
    expect(message).toContain('"col19", and 30 more.');
    expect(message).not.toContain('"col20"');
  });

  it("splits tags on semicolons, pipes or commas, trimmed, lowercased and unique", () => {
    expect(splitTags("Volunteer; donor|DONOR , ,precinct captain")).toEqual(["volunteer", "donor", "precinct captain"]);
    expect(splitTags("")).toEqual([]);
    expect(splitTags(undefined)).toEqual([]);
  });
});
