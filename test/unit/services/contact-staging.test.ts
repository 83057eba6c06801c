import fc from "fast-check";
import { mapHeaders } from "../../../src/domain/contact-columns";
import {
  ContactChunker,
  MAX_TAGS_BYTES,
  PhoneSlots,
  RowStager,
  chunkPhone,
  chunkStagedLine,
  foldContact,
  parseStagedLine,
  stagedLine,
  tagsBytes,
  type ContactChunk,
  type StagedContact,
} from "../../../src/services/contact-staging";

const NOW = "2026-12-05 03:00:00.123456+00";
/** A chunk's lines as staged lines, in order. */
const stagedLines = (chunk: ContactChunk) => chunk.starts.map((_, i) => chunkStagedLine(chunk, i));

const zoneArb = fc.oneof(
  fc.constant({ timeZone: null, timeZoneSource: "unknown" as const }),
  fc.record({
    timeZone: fc.constantFrom("America/New_York", "America/Chicago"),
    timeZoneSource: fc.constantFrom("zip" as const, "area_code" as const),
  }),
);

const contactArb: fc.Arbitrary<StagedContact> = fc
  .tuple(
    fc.record({
      phone: fc.constantFrom("+12125550101", "+14155550102"),
      firstName: fc.option(fc.constantFrom("Ana", "Ben", "Tab\there", "Back\\slash"), { nil: null }),
      lastName: fc.option(fc.constantFrom("Nguyen", "O'Brien"), { nil: null }),
      zip: fc.option(fc.constantFrom("10001", "94103"), { nil: null }),
      state: fc.option(fc.constantFrom("NY", "CA"), { nil: null }),
      tags: fc.uniqueArray(fc.constantFrom("volunteer", "donor", "new\nline"), { maxLength: 3 }),
      custom: fc
        .dictionary(fc.constantFrom("Ward", 'Quote"d'), fc.constantFrom("1", "2", "back\\slash"))
        .map((o) => JSON.stringify(o)),
    }),
    zoneArb,
  )
  .map(([contact, zone]) => ({ ...contact, ...zone }));

/** Compares contacts as the database will see them: custom fields as objects, tags as a set. */
const comparable = (c: StagedContact) => ({ ...c, custom: JSON.parse(c.custom) as unknown, tags: [...c.tags].sort() });

describe("staged contact lines", () => {
  it("read back as the contact, id and flag they were written from (property)", () => {
    fc.assert(
      fc.property(contactArb, fc.uuid(), fc.boolean(), (contact, id, seenBefore) => {
        const line = stagedLine(contact, id, seenBefore);
        expect(line).not.toContain("\n");
        expect(parseStagedLine(line)).toEqual({ contact, id, seenBefore });
      }),
    );
  });
});

describe("folding a phone's rows", () => {
  it("is associative, so any cut of a file into chunks gives the same contact (property)", () => {
    fc.assert(
      fc.property(contactArb, contactArb, contactArb, (a, b, c) => {
        expect(comparable(foldContact(foldContact(a, b), c))).toEqual(comparable(foldContact(a, foldContact(b, c))));
      }),
    );
  });

  it("lets later non-empty values win, adds tags up, and lets a ZIP's zone beat an area code's", () => {
    const earlier: StagedContact = {
      phone: "+12125550101",
      firstName: "Ana",
      lastName: "Nguyen",
      zip: "10001",
      state: null,
      timeZone: "America/New_York",
      timeZoneSource: "zip",
      tags: ["volunteer"],
      custom: '{"Ward":"4","Precinct":"P-1"}',
    };
    const later: StagedContact = {
      phone: "+12125550101",
      firstName: "Anita",
      lastName: null,
      zip: null,
      state: "NY",
      timeZone: "America/Chicago",
      timeZoneSource: "area_code",
      tags: ["donor", "volunteer"],
      custom: '{"Ward":"5"}',
    };
    expect(foldContact(earlier, later)).toEqual({
      phone: "+12125550101",
      firstName: "Anita",
      lastName: "Nguyen",
      zip: "10001",
      state: "NY",
      timeZone: "America/New_York",
      timeZoneSource: "zip",
      tags: ["volunteer", "donor"],
      custom: '{"Ward":"5","Precinct":"P-1"}',
    });
    expect(foldContact(later, earlier)).toMatchObject({ timeZone: "America/New_York", timeZoneSource: "zip" });
  });
});

describe("cutting contacts into chunks", () => {
  const stager = (() => {
    const headers = mapHeaders(["phone", "first name", "zip", "tags", "Ward"]);
    if (!headers.ok) throw new Error(headers.message);
    return new RowStager(headers.mapping, "US");
  })();
  const stage = (row: string[]) => stager.stage(row, 2) as StagedContact;

  it("counts the bytes the chunk holds, folded lines included, and starts again at zero", () => {
    const chunker = new ContactChunker(NOW);
    const total = () => chunker.take().text.length;
    chunker.add(stage(["(212) 555-0101", "Ana", "10001", "volunteer", ""]));
    chunker.add(stage(["(415) 555-0102", "Ben", "", "", "7"]));
    chunker.add(stage(["212.555.0101", "Anastasia", "", "donor", "4"]));
    const counted = chunker.bytes;
    expect(counted).toBeGreaterThan(0);
    expect(total()).toBe(counted);
    expect(chunker.bytes).toBe(0);
  });

  it("keeps only the start of a long bad phone cell for the skipped-rows report", () => {
    const bad = stager.stage(["x".repeat(10_000), "Ana", "", "", ""], 7);
    expect(bad).toEqual({
      line: 7,
      reason: `"${"x".repeat(39)}…" is not a valid phone number`,
      phone: `${"x".repeat(39)}…`,
    });
  });

  it("folds a phone repeated inside a chunk and flags one repeated from an earlier chunk", () => {
    const chunker = new ContactChunker(NOW);
    expect(chunker.add(stage(["(212) 555-0101", "Ana", "10001", "volunteer", ""]))).toBe(false);
    expect(chunker.add(stage(["(415) 555-0102", "Ben", "", "", "7"]))).toBe(false);
    expect(chunker.add(stage(["212.555.0101", "", "", "donor", "4"]))).toBe(true);
    const first = chunker.take();
    expect(first.firstSeen).toBe(2);
    expect(stagedLines(first).map((line) => parseStagedLine(line).contact)).toMatchObject([
      { phone: "+12125550101", firstName: "Ana", zip: "10001", tags: ["volunteer", "donor"], custom: '{"Ward":"4"}' },
      { phone: "+14155550102", firstName: "Ben", timeZoneSource: "area_code", custom: '{"Ward":"7"}' },
    ]);

    expect(chunker.add(stage(["+1 212 555 0101", "Anita", "", "", ""]))).toBe(true);
    const second = chunker.take();
    expect(second.firstSeen).toBe(0);
    const [repeat] = stagedLines(second).map(parseStagedLine);
    expect(repeat).toMatchObject({ seenBefore: true, contact: { firstName: "Anita", tags: [] } });
    expect(repeat!.id).not.toBe(parseStagedLine(chunkStagedLine(first, 0)).id);
  });

  it("holds each line as Contact's COPY line of its staged line, in a buffer reused only after recycle (property)", () => {
    const named = fc.record({
      phone: fc.constantFrom("+12125550101", "+14155550102", "+13035550103", "+447911123456"),
      firstName: fc.option(fc.constantFrom("Chloé", "García", "Ana", "Tab\there", "Ünïcødé 🎉"), { nil: null }),
    });
    const step = fc.oneof(
      { weight: 5, arbitrary: fc.tuple(contactArb, named).map(([c, n]) => ({ add: { ...c, ...n } })) },
      { weight: 1, arbitrary: fc.constant({ take: true as const }) },
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const chunker = new ContactChunker(NOW);
        /** The model: phones of earlier chunks, and the current chunk's folded contacts. */
        const seenEarlier = new Set<string>();
        let current = new Map<string, StagedContact>();
        let waiting: { chunk: ContactChunk; bytes: Buffer } | undefined;
        const check = (chunk: ContactChunk, want: Map<string, StagedContact>) => {
          const lines = stagedLines(chunk).map(parseStagedLine);
          expect(lines.map((l) => l.contact)).toEqual([...want.values()]);
          lines.forEach((line, i) => {
            expect(chunkPhone(chunk, i)).toBe(line.contact.phone);
            expect(line.seenBefore).toBe(chunk.seenBefore[i]);
            const bytes = chunk.text.subarray(chunk.starts[i], chunk.ends[i]).toString("utf8");
            const staged = stagedLine(line.contact, line.id, line.seenBefore);
            expect(bytes).toBe(`${staged.slice(0, -2)}\t${NOW}\t${NOW}\n`);
          });
        };
        const take = () => {
          const chunk = chunker.take();
          check(chunk, current);
          for (const phone of current.keys()) seenEarlier.add(phone);
          current = new Map();
          // As the import does: the previous chunk is merged (and recycled) after this one is taken.
          if (waiting) {
            expect(waiting.chunk.text.equals(waiting.bytes)).toBe(true);
            chunker.recycle(waiting.chunk);
          }
          waiting = { chunk, bytes: Buffer.from(chunk.text) };
        };
        for (const s of steps) {
          if ("take" in s) {
            take();
            continue;
          }
          const contact = s.add;
          const inChunk = current.get(contact.phone);
          const duplicate = chunker.add(contact);
          expect(duplicate).toBe(inChunk !== undefined || seenEarlier.has(contact.phone));
          const folded = inChunk ? foldContact(inChunk, contact) : contact;
          current.set(contact.phone, folded);
        }
        take();
      }),
    );
  });

  it("grows a chunk's buffer past its starting size and keeps every line", () => {
    const chunker = new ContactChunker(NOW);
    const wide = (phone: string, ward: string) =>
      stager.stage([phone, "Ana", "", "", ward.repeat(300_000)], 2) as StagedContact;
    for (let i = 0; i < 10; i++) chunker.add(wide(`(212) 555-01${10 + i}`, String(i)));
    expect(chunker.bytes).toBeGreaterThan(2_000_000);
    const chunk = chunker.take();
    expect(stagedLines(chunk).map((line) => JSON.parse(parseStagedLine(line).contact.custom).Ward)).toEqual(
      Array.from({ length: 10 }, (_, i) => String(i).repeat(300_000)),
    );
  });

  it("explains rows it cannot stage", () => {
    expect(stager.stage(["", "Ana", "", "", ""], 7)).toEqual({ line: 7, reason: "no phone number", phone: "" });
    expect(stager.stage(["555-CALL-NOW", "Ana", "", "", ""], 8)).toEqual({
      line: 8,
      reason: '"555-CALL-NOW" is not a valid phone number',
      phone: "555-CALL-NOW",
    });
    // 100 tags of 16 characters take 24 + 100 × 20 bytes: over MAX_TAGS_BYTES. 90 take 1,824: under.
    const tags = (count: number) => Array.from({ length: count }, (_, i) => `${i}`.padStart(16, "t")).join(";");
    expect(stager.stage(["(212) 555-0143", "Ana", "", tags(100), ""], 9)).toEqual({
      line: 9,
      reason: "tags too long for one contact (100 tags, 1,600 characters: keep them under about 1,500 in all)",
      phone: "(212) 555-0143",
    });
    expect((stager.stage(["(212) 555-0143", "Ana", "", tags(90), ""], 10) as StagedContact).tags).toHaveLength(90);
    expect(tagsBytes(tags(100).split(";"))).toBeGreaterThan(MAX_TAGS_BYTES);
  });
});

describe("PhoneSlots", () => {
  it("answers like a Map, through collisions (property)", () => {
    const keyArb = fc.integer({ min: 1, max: 300 }).map((n) => 12_000_000_000 + n * 65_536);
    fc.assert(
      fc.property(fc.array(fc.tuple(keyArb, fc.nat(1_000_000)), { maxLength: 200 }), (entries) => {
        const slots = new PhoneSlots();
        const map = new Map<number, number>();
        for (const [key, slot] of entries) {
          expect(slots.get(key)).toBe(map.get(key));
          slots.set(key, slot);
          map.set(key, slot);
        }
        expect(slots.size).toBe(map.size);
        for (const [key, slot] of map) expect(slots.get(key)).toBe(slot);
      }),
    );
  });

  it("keeps every entry while it grows to a million phones", () => {
    const slots = new PhoneSlots();
    for (let i = 0; i < 1_000_000; i++) slots.set(12_125_550_000 + i * 37, i);
    expect(slots.size).toBe(1_000_000);
    for (let i = 0; i < 1_000_000; i += 997) expect(slots.get(12_125_550_000 + i * 37)).toBe(i);
    expect(slots.get(12_125_550_001)).toBeUndefined();
  });

  it("refuses keys that are not phone digits", () => {
    const slots = new PhoneSlots();
    expect(() => slots.set(0, 1)).toThrow(RangeError);
    expect(() => slots.set(1.5, 1)).toThrow(RangeError);
    expect(() => slots.set(2 ** 53, 1)).toThrow(RangeError);
  });
});
