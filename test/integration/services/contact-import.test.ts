import { createHash } from "node:crypto";
import fc from "fast-check";
import { importContacts, tidyContactsAfterImport, type ImportOptions } from "../../../src/services/contact-import";
import { MAX_TAGS_BYTES, tagsBytes } from "../../../src/services/contact-staging";
import { ImportRejected } from "../../../src/services/import-file-checks";
import { actor } from "../../support/actors";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

/** The file as Slack would hand it over: bytes, in uneven chunks. */
async function* bytesOf(text: string | Buffer, chunkSize = 7): AsyncGenerator<Uint8Array> {
  const buffer = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  for (let i = 0; i < buffer.length; i += chunkSize) yield buffer.subarray(i, i + chunkSize);
}

describe.each(BACKENDS)("contact import (%s)", (_name, create) => {
  let db: Awaited<ReturnType<typeof openMigratedDatabase>>;
  beforeAll(async () => {
    db = await openMigratedDatabase(create);
  });
  afterAll(() => db?.dispose());
  beforeEach(async () => {
    await db.prisma.contact.deleteMany();
    await db.prisma.optOut.deleteMany();
  });

  const run = (csv: string | Buffer, options?: ImportOptions) =>
    importContacts(db, bytesOf(csv), actor("U0ORGANIZER"), options);

  it("imports good rows, reports bad ones by line, and merges duplicates (later values win, tags union)", async () => {
    const csv = [
      "Given Name,Surname,Mobile,Postal Code,Tags,Precinct,Polling Place",
      "Ana,Nguyen,(212) 555-0143,10001,volunteer,P-12,PS 41",
      "Ben,Smith,not a phone,94103,,P-9,",
      "Chloé,García,+1 415 555 0188,94103,donor; volunteer,P-3,City Hall",
      ",,,,,,",
      "Anita,,212.555.0143,,donor,P-13,",
      "Dee,Okafor,,60601,,,",
    ].join("\n");
    const summary = await run(csv);
    expect(summary).toMatchObject({ rowsRead: 5, imported: 2, updated: 0, invalid: 2, duplicates: 1, suppressed: 0 });
    expect(summary.invalidRows).toEqual([
      { line: 3, reason: '"not a phone" is not a valid phone number', phone: "not a phone" },
      { line: 7, reason: "no phone number", phone: "" },
    ]);
    expect(summary.customFields).toEqual(["Precinct", "Polling Place"]);

    const ana = await db.prisma.contact.findUniqueOrThrow({ where: { phone: "+12125550143" } });
    expect(ana).toMatchObject({
      firstName: "Anita",
      lastName: "Nguyen",
      zip: "10001",
      timeZone: "America/New_York",
      timeZoneSource: "zip",
    });
    expect([...ana.tags].sort()).toEqual(["donor", "volunteer"]);
    expect(ana.customFields).toEqual({ Precinct: "P-13", "Polling Place": "PS 41" });
    const chloe = await db.prisma.contact.findUniqueOrThrow({ where: { phone: "+14155550188" } });
    expect(chloe).toMatchObject({ firstName: "Chloé", timeZone: "America/Los_Angeles" });
  });

  it("merges into existing contacts without erasing what the file leaves empty, and counts opted-out numbers as suppressed", async () => {
    await db.prisma.contact.create({
      data: {
        phone: "+13125550101",
        firstName: "Old",
        lastName: "Keep",
        zip: "60601",
        tags: ["precinct captain"],
        customFields: { Ward: "4" },
      },
    });
    await db.prisma.optOut.create({ data: { phone: "+13125550102", source: "keyword" } });
    const summary = await run(
      "phone,first_name,last_name,tags,ward\n312-555-0101,New,,donor,\n312-555-0102,Opted,Out,,7\n",
    );
    expect(summary).toMatchObject({ rowsRead: 2, imported: 1, updated: 1, suppressed: 1, invalid: 0 });
    const merged = await db.prisma.contact.findUniqueOrThrow({ where: { phone: "+13125550101" } });
    expect(merged).toMatchObject({ firstName: "New", lastName: "Keep", zip: "60601", customFields: { Ward: "4" } });
    expect([...merged.tags].sort()).toEqual(["donor", "precinct captain"]);
    expect(await db.prisma.contact.count({ where: { phone: "+13125550102" } })).toBe(1);
  });

  it("stores tags and values with quotes, backslashes, braces and tabs exactly, new contacts and merged ones alike", async () => {
    const odd = ['say "hi"', "back\\slash", "{braces}", "tab\there", "NULL"];
    const csv = [
      "phone,first,tags,Note",
      `212-555-0171,"Ann ""Q"" \\","${odd.join(";").replace(/"/g, '""')}","{""a"":1}\\N"`,
    ].join("\n");
    // The first import COPYs a new contact; the second merges into it.
    await run(`${csv}\n`);
    await run(`${csv}\n`);
    const stored = await db.prisma.contact.findUniqueOrThrow({ where: { phone: "+12125550171" } });
    expect(stored.firstName).toBe('Ann "Q" \\');
    expect(stored.tags).toEqual(odd.map((t) => t.toLowerCase()));
    expect(stored.customFields).toEqual({ Note: '{"a":1}\\N' });
  });

  it("keeps characters of two, three and four bytes whole however the bytes are cut", async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `Chloé,Gar€ía,(212) 555-${String(1000 + i)},🎉 ${i}`);
    const csv = `first,last,phone,Note\n${rows.join("\n")}\n`;
    const summary = await importContacts(db, bytesOf(csv, csv.length), actor("U0ORGANIZER"));
    expect(summary).toMatchObject({ imported: 3000, invalid: 0 });
    const contacts = await db.prisma.contact.findMany({
      select: { firstName: true, lastName: true, customFields: true },
    });
    expect(contacts.filter((c) => c.firstName !== "Chloé" || c.lastName !== "Gar€ía")).toEqual([]);
    expect(contacts.filter((c) => !/^🎉 \d+$/u.test((c.customFields as { Note: string }).Note))).toEqual([]);
  });

  it("takes the time zone from the area code when there is no ZIP, and records the source", async () => {
    await run("phone\n(602) 555-0110\n");
    expect(await db.prisma.contact.findUniqueOrThrow({ where: { phone: "+16025550110" } })).toMatchObject({
      timeZone: "America/Phoenix",
      timeZoneSource: "area_code",
    });
  });

  it("skips a row whose tags are too long for the audience index, and sizes tags as the database stores them", async () => {
    const tags = (count: number, length: number) =>
      Array.from({ length: count }, (_, i) => `${i}`.padStart(length, "x")).join(";");
    const summary = await run(`phone,tags\n212-555-0181,${tags(120, 16)}\n212-555-0182,${tags(60, 16)}\n`);
    expect(summary).toMatchObject({ imported: 1, invalid: 1 });
    expect(summary.invalidRows).toEqual([
      {
        line: 2,
        reason: "tags too long for one contact (120 tags, 1,920 characters: keep them under about 1,500 in all)",
        phone: "212-555-0181",
      },
    ]);
    // tagsBytes is what PostgreSQL stores: the limit holds in the index, not only on paper.
    for (const sample of [
      [],
      ["a"],
      ["ab", "abc", "abcd", "abcde"],
      ["é", "€", "🎉"],
      ["x".repeat(MAX_TAGS_BYTES - 28)],
    ]) {
      const [row] = await db.prisma.$queryRawUnsafe<{ bytes: number }[]>(
        "SELECT pg_column_size($1::text[])::int AS bytes",
        sample,
      );
      expect(row?.bytes).toBe(tagsBytes(sample));
    }
  });

  it("refuses a file whose rows of one phone add their tags up past the limit, and stores nothing", async () => {
    // Hex digits of a hash: tags PostgreSQL cannot compress, 70 of them under the limit, 140 over the index's.
    const half = (from: number) =>
      Array.from({ length: 70 }, (_, i) =>
        createHash("sha256")
          .update(String(from + i))
          .digest("hex")
          .slice(0, 16),
      ).join(";");
    const error = await run(`phone,tags\n212-555-0183,${half(0)}\n212-555-0184,x\n212-555-0183,${half(100)}\n`).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ImportRejected);
    expect((error as Error).message).toMatch(/more tags than can be stored/);
    expect(await db.prisma.contact.count()).toBe(0);
  });

  it("tidies Contact after a large import (VACUUM ANALYZE), so audience counts can read the audience index alone", async () => {
    const rows = Array.from({ length: 300 }, (_, i) => `(646) 555-${String(1000 + i)},volunteer`).join("\n");
    const summary = await run(`phone,tags\n${rows}\n`);
    const visiblePages = async () => {
      const [row] = await db.prisma.$queryRawUnsafe<{ pages: number }[]>(
        `SELECT relallvisible::int AS pages FROM pg_class WHERE relname = 'Contact'`,
      );
      return row?.pages ?? 0;
    };
    expect(await tidyContactsAfterImport(db, summary, 301)).toBe(false);
    expect(await visiblePages()).toBe(0);
    expect(await tidyContactsAfterImport(db, summary, 300)).toBe(true);
    expect(await visiblePages()).toBeGreaterThan(0);
    const analyzed = await db.prisma.$queryRawUnsafe<{ attname: string }[]>(
      `SELECT attname FROM pg_stats WHERE tablename = 'Contact' AND attname = 'tags'`,
    );
    expect(analyzed).toHaveLength(1);
  });

  describe("refuses a bad file with a clear message and changes nothing", () => {
    const rejects = async (input: string | Buffer, message: RegExp, options?: ImportOptions) => {
      await db.prisma.contact.create({ data: { phone: "+19175550100", firstName: "Existing" } });
      const error = await run(input, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImportRejected);
      expect((error as Error).message).toMatch(message);
      expect(await db.prisma.contact.count()).toBe(1);
    };
    const goodRows = Array.from({ length: 300 }, (_, i) => `Voter,${i},(646) 555-${String(1000 + i)}`).join("\n");

    it("an empty file", () => rejects("", /The file is empty/));
    it("a header without rows", () => rejects("phone,first name\n", /no contacts under it/));
    it("no phone column, naming the columns it found", () =>
      rejects("name,email\nAna,ana@example.org\n", /No phone column found\. The file's columns are: "name", "email"/));
    it("broken quoting after many good rows, with the line", () =>
      rejects(
        `first,last,phone\n${goodRows}\n"Unclosed,Quote,(646) 555-9999\n`,
        /broken quoting near line 302: a quoted value is never closed/,
      ));
    it("invalid UTF-8", () =>
      rejects(
        Buffer.concat([Buffer.from("phone,first\n(646) 555-0100,Jos"), Buffer.from([0xe9]), Buffer.from("\n")]),
        /not UTF-8/,
      ));
    it("an Excel workbook", () =>
      rejects(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), /Excel or zip file, not a CSV/));
    it("binary data far into the file", () =>
      rejects(
        Buffer.concat([Buffer.from(`phone\n${goodRows}\n`), Buffer.from([0x00, 0x0a])]),
        /not text \(it contains binary data\)/,
      ));
    it("more named columns than an import takes", () =>
      rejects(
        `phone,${Array.from({ length: 250 }, (_, i) => `Column ${i}`).join(",")}\n(646) 555-0100${",x".repeat(250)}\n`,
        /The file has 251 columns; an import takes at most 200\. Delete the columns/,
      ));
    it("a column name longer than 100 characters", () =>
      rejects(
        `phone,first name,${"Very long header ".repeat(10)}\n(646) 555-0100,Ana,x\n`,
        /Column 3 has a name of 169 characters \("Very long header Very long header Very l…"\); a column name can have at most 100/,
      ));
    it("a row of empty cells longer than 1 MB", () =>
      rejects(`phone\n(646) 555-0100${",".repeat(1_100_000)}\n`, /A row of the file is longer than 1 MB/));
    it("a quoted value over 1 MB spread over many lines", () =>
      rejects(`phone,notes\n(646) 555-0100,"${"note\n".repeat(250_000)}"\n`, /A row of the file is longer than 1 MB/));
    it("a file over the size limit", () =>
      rejects(`phone\n${goodRows}\n`, /larger than 1 KB\. Split it into smaller CSV files/, { maxBytes: 1000 }));
  });
});

describe.each(BACKENDS)("contact import merges the same way whatever the batch size (%s)", (_name, create) => {
  let db: Awaited<ReturnType<typeof openMigratedDatabase>>;
  beforeAll(async () => {
    db = await openMigratedDatabase(create);
  });
  afterAll(() => db?.dispose());

  const PHONES = ["(212) 555-0101", "(212) 555-0102", "(415) 555-0103", "(602) 555-0104"];
  const e164 = (raw: string) => `+1${raw.replace(/\D/g, "")}`;
  type Row = { phone: string; first: string; zip: string; tags: string[]; ward: string };
  const rowArb: fc.Arbitrary<Row> = fc.record({
    phone: fc.constantFrom(...PHONES),
    first: fc.constantFrom("", "Ana", "Ben", "Cy"),
    zip: fc.constantFrom("", "10001", "94103"),
    tags: fc.subarray(["a", "b", "c"]),
    ward: fc.constantFrom("", "1", "2"),
  });

  type Expected = {
    first: string | null;
    tags: string[];
    ward?: string;
    timeZone: string | null;
    timeZoneSource: string;
  };
  const ZIP_ZONES: Record<string, string> = { "10001": "America/New_York", "94103": "America/Los_Angeles" };
  const AREA_CODE_ZONES: Record<string, string> = {
    "212": "America/New_York",
    "415": "America/Los_Angeles",
    "602": "America/Phoenix",
  };

  /** What the import promises, computed the simple way: walk the rows in order. */
  function expected(existing: Map<string, Expected>, rows: Row[]) {
    const contacts = new Map([...existing].map(([p, c]) => [p, { ...c, tags: new Set(c.tags) }]));
    for (const r of rows) {
      const phone = e164(r.phone);
      const c = contacts.get(phone) ?? {
        first: null,
        tags: new Set<string>(),
        ward: undefined,
        timeZone: null,
        timeZoneSource: "unknown",
      };
      if (r.first) c.first = r.first;
      r.tags.forEach((t) => c.tags.add(t));
      if (r.ward) c.ward = r.ward;
      // A ZIP's zone beats an area code's, whether the ZIP came from this file or was stored before.
      if (r.zip) Object.assign(c, { timeZone: ZIP_ZONES[r.zip], timeZoneSource: "zip" });
      else if (c.timeZoneSource !== "zip")
        Object.assign(c, { timeZone: AREA_CODE_ZONES[phone.slice(2, 5)], timeZoneSource: "area_code" });
      contacts.set(phone, c);
    }
    const distinct = new Set(rows.map((r) => e164(r.phone)));
    return {
      contacts,
      imported: [...distinct].filter((p) => !existing.has(p)).length,
      updated: [...distinct].filter((p) => existing.has(p)).length,
      duplicates: rows.length - distinct.size,
    };
  }

  it("final contacts and counts match a row-by-row reading of the file (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(undefined, 1, 120),
        fc.boolean(),
        async (rows, batchContacts, chunkBytes, withExisting) => {
          await db.prisma.contact.deleteMany();
          const existing = new Map<string, Expected>();
          if (withExisting) {
            const old = {
              first: "Old",
              tags: ["old"],
              ward: "9",
              timeZone: "America/Chicago",
              timeZoneSource: "zip",
            } as const;
            existing.set(e164(PHONES[0]!), { ...old, tags: [...old.tags] });
            await db.prisma.contact.create({
              data: {
                phone: e164(PHONES[0]!),
                firstName: "Old",
                zip: "60601",
                tags: ["old"],
                customFields: { Ward: "9" },
                timeZone: old.timeZone,
                timeZoneSource: old.timeZoneSource,
              },
            });
          }
          const csv = [
            "phone,first name,zip,tags,Ward",
            ...rows.map((r) => `${r.phone},${r.first},${r.zip},${r.tags.join(";")},${r.ward}`),
          ].join("\n");
          const summary = await run(csv, { batchContacts, ...(chunkBytes ? { chunkBytes } : {}) });
          const want = expected(existing, rows);
          expect(summary).toMatchObject({
            imported: want.imported,
            updated: want.updated,
            duplicates: want.duplicates,
            invalid: 0,
          });
          const stored = await db.prisma.contact.findMany();
          expect(stored).toHaveLength(want.contacts.size);
          for (const contact of stored) {
            const w = want.contacts.get(contact.phone)!;
            expect(contact.firstName).toBe(w.first);
            expect([...contact.tags].sort()).toEqual([...w.tags].sort());
            expect((contact.customFields as Record<string, string>).Ward).toBe(w.ward);
            expect({ timeZone: contact.timeZone, timeZoneSource: contact.timeZoneSource }).toEqual({
              timeZone: w.timeZone,
              timeZoneSource: w.timeZoneSource,
            });
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  const run = (csv: string, options?: ImportOptions) => importContacts(db, bytesOf(csv), actor("U0ORGANIZER"), options);
});
