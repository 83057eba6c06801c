import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { audienceFilterSchema, type AudienceCondition, type AudienceFilter } from "../../../src/domain/audience-filter";
import {
  audienceBreakdownSql,
  audienceBreakdownsSql,
  audienceSampleSql,
  compileAudienceFilter,
  reachableAudienceSql,
  type AudienceBreakdownRow,
  type AudienceSampleRow,
} from "../../../src/domain/audience-sql";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

// ---------------------------------------------------------------------------------------------
// The seeded world: 30 contacts whose attributes follow the index i, so expectations read as rules.

const COUNT = 30;
const TAGS = ["volunteer", "donor", "student", "senior", "spanish"]; // tag k when bit k of i is set
const HOSTILE_TAG = `'; drop table "contact"; --`;
const STATES = ["NY", "NJ", "CA", "AZ", null]; // by i % 5
const ZIPS = ["10001", "10023", "07030", "94110", "85001", null]; // by i % 6
const ZONES = [
  "America/New_York",
  "America/Chicago",
  "America/Los_Angeles",
  "America/Phoenix",
  "America/Indiana/Indianapolis",
  null,
]; // by i / 5
const COUNTIES = ["Kings", "Queens", "kings", "Bronx", "", null, undefined]; // by i % 7; undefined: no key
const OPTED_OUT = [4, 13];
const CAMPAIGN_A = randomUUID(); // even i
const CAMPAIGN_B = randomUUID(); // i in 1..3

const day = (month: number, date: number) => new Date(Date.UTC(2026, month - 1, date, 15));

interface SeedContact {
  i: number;
  id: string;
  phone: string;
  tags: string[];
  customFields: Record<string, string | number | null>;
  state: string | null;
  zip: string | null;
  timeZone: string | null;
}

function seedContact(i: number): SeedContact {
  const customFields: SeedContact["customFields"] = {
    Notes: i % 3 === 0 ? "Likes 100% DOGS_and cats" : "prefers email",
  };
  const county = COUNTIES[i % 7];
  if (county !== undefined) customFields.County = county;
  if (i % 2 === 0) customFields.Precinct = String(i % 4);
  if (i === 7) customFields.Ward = 12; // a number in the JSON: ->> reads it as "12"
  if (i === 8) customFields.Ward = "12";
  const tags = TAGS.filter((_, k) => (i >> k) & 1);
  return {
    i,
    id: randomUUID(),
    phone: `+1202555${String(i).padStart(4, "0")}`,
    tags: i === 29 ? [...tags, HOSTILE_TAG] : tags,
    customFields,
    state: STATES[i % 5] ?? null,
    zip: ZIPS[i % 6] ?? null,
    timeZone: ZONES[Math.floor(i / 5) % 6] ?? null,
  };
}

const contacts = Array.from({ length: COUNT }, (_, i) => seedContact(i));
const contactAt = (i: number) => contacts[i] as SeedContact;
/** A contact outside the seeded phone range, with no history: only the reachable counts see it. */
const outsider: SeedContact = {
  ...seedContact(-1),
  phone: "+13125550100",
  tags: ["volunteer"],
  state: "NY",
  zip: null,
  timeZone: null,
  customFields: {},
};

/** Outbound texts: everyone with i % 3 ≠ 0 on Jan (1 + i); i % 6 = 1 again in March. Replies: i % 4 = 1, and 0 (wrote in first). */
const messages = contacts.flatMap(({ i, id }) => [
  ...(i % 3 !== 0 ? [{ contactId: id, direction: "outbound" as const, createdAt: day(1, 1 + i) }] : []),
  ...(i % 6 === 1 ? [{ contactId: id, direction: "outbound" as const, createdAt: day(3, 1 + (i % 20)) }] : []),
  ...(i % 4 === 1 || i === 0 ? [{ contactId: id, direction: "inbound" as const, createdAt: day(4, 1) }] : []),
]);
/** Conversations: i % 5 = 2 (tagged "Pledged to Vote" when i % 10 = 2, else "moved"), plus one for contact 3 outside campaigns. */
const conversations = [
  ...contacts
    .filter(({ i }) => i % 5 === 2)
    .map(({ i, id }) => ({
      contactId: id,
      campaignId: CAMPAIGN_A,
      tags: i % 10 === 2 ? ["Pledged to Vote"] : ["moved"],
    })),
  { contactId: contactAt(3).id, campaignId: null, tags: ["spanish speaker", "pledged to vote"] },
];
const clickers = contacts.filter(({ i }) => i % 7 === 3);
const memberships = [
  ...contacts.filter(({ i }) => i % 2 === 0).map(({ id }) => ({ campaignId: CAMPAIGN_A, contactId: id })),
  ...[1, 2, 3].map((i) => ({ campaignId: CAMPAIGN_B, contactId: contactAt(i).id })),
];
const optOutPhones = new Set(OPTED_OUT.map((i) => contactAt(i).phone));

// ---------------------------------------------------------------------------------------------
// Reference evaluator: the documented meaning of each condition, over the rows above.

const lower = (s: string) => s.toLowerCase();
const instant = (value: string) => new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);

function fieldText(contact: SeedContact, field: string): string | null {
  const raw = contact.customFields[field];
  if (raw === undefined || raw === null) return null;
  return typeof raw === "string" ? raw : JSON.stringify(raw);
}

function conditionHolds(condition: AudienceCondition, c: SeedContact): boolean {
  const outbound = messages.filter((m) => m.contactId === c.id && m.direction === "outbound");
  if ("tags" in condition) {
    const { any, all, none } = condition.tags;
    return (
      (!any || any.some((t) => c.tags.includes(t))) &&
      (!all || all.every((t) => c.tags.includes(t))) &&
      (!none || !none.some((t) => c.tags.includes(t)))
    );
  }
  if ("field" in condition) {
    const text = fieldText(c, condition.field);
    const value = condition.value;
    switch (condition.op) {
      case "equals":
        return text !== null && lower(text) === lower(value as string);
      case "contains":
        return text !== null && lower(text).includes(lower(value as string));
      case "in":
        return text !== null && (value as string[]).some((v) => lower(v) === lower(text));
      case "empty":
        return text === null || text.replace(/^ +| +$/g, "") === "";
      case "notEmpty":
        return text !== null && text.replace(/^ +| +$/g, "") !== "";
    }
  }
  if ("state" in condition) return c.state !== null && condition.state.includes(c.state);
  if ("zipPrefix" in condition) return c.zip !== null && condition.zipPrefix.some((p) => c.zip?.startsWith(p));
  if ("timeZone" in condition) return c.timeZone !== null && condition.timeZone.includes(c.timeZone);
  if ("engagement" in condition) {
    const replied = messages.some((m) => m.contactId === c.id && m.direction === "inbound");
    switch (condition.engagement) {
      case "never_texted":
        return outbound.length === 0;
      case "texted_no_reply":
        return outbound.length > 0 && !replied;
      case "replied":
        return replied;
      case "clicked_link":
        return clickers.some((k) => k.id === c.id);
    }
  }
  if ("hasOutcomeTag" in condition) {
    return conversations.some(
      (v) => v.contactId === c.id && v.tags.some((t) => lower(t) === lower(condition.hasOutcomeTag)),
    );
  }
  if ("lastTexted" in condition) {
    if (outbound.length === 0) return false;
    const last = Math.max(...outbound.map((m) => m.createdAt.getTime()));
    const { after, before } = condition.lastTexted;
    return (!after || last >= instant(after).getTime()) && (!before || last < instant(before).getTime());
  }
  if ("response" in condition) throw new Error("responses to a campaign are checked in audience-response.test.ts");
  const member = memberships.some((m) => m.contactId === c.id && m.campaignId === condition.inCampaign);
  return condition.is === false ? !member : member;
}

function holds(filter: AudienceFilter, c: SeedContact): boolean {
  if ("all" in filter) return filter.all.every((f) => holds(f, c));
  if ("any" in filter) return filter.any.some((f) => holds(f, c));
  return conditionHolds(filter, c);
}

/** The seeded phones whose index satisfies `rule`, sorted. */
const phonesWhere = (rule: (i: number) => boolean) =>
  contacts
    .filter(({ i }) => rule(i))
    .map((c) => c.phone)
    .sort();

// ---------------------------------------------------------------------------------------------

describe.each(BACKENDS)("audience filters in SQL (%s)", (backend, create) => {
  let db: Awaited<ReturnType<typeof openMigratedDatabase>>;

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    const p = db.prisma;
    await p.campaign.createMany({
      data: [
        { id: CAMPAIGN_A, name: "Spring GOTV", createdBy: "U1" },
        { id: CAMPAIGN_B, name: "Fall persuasion", createdBy: "U1" },
      ],
    });
    await p.contact.createMany({
      data: [...contacts, outsider].map(({ id, phone, tags, customFields, state, zip, timeZone }) => ({
        id,
        phone,
        tags,
        customFields,
        state,
        zip,
        timeZone,
      })),
    });
    await p.message.createMany({
      data: [
        ...messages.map((m) => ({
          ...m,
          fromPhone: "+15555550999",
          toPhone: "+15555550000",
          body: "Hi",
          status: "delivered",
        })),
        {
          direction: "inbound",
          contactId: null,
          fromPhone: "+15555551111",
          toPhone: "+15555550999",
          body: "who is this",
          status: "received",
        },
      ],
    });
    await p.conversation.createMany({ data: conversations });
    for (const [n, contactId] of [...clickers.map((c) => c.id), null].entries()) {
      const link = await p.shortLink.create({
        data: { code: `code${n}`, targetUrl: "https://example.org/vote", contactId },
      });
      await p.linkClick.create({ data: { shortLinkId: link.id, contactId } });
    }
    await p.campaignContact.createMany({ data: memberships });
    await p.optOut.createMany({
      data: [...optOutPhones, "+19999999999"].map((phone) => ({ phone, source: "keyword" as const })),
    });
  });
  afterAll(() => db?.dispose());

  /** Seeded phones matching the filter, through the compiled fragment behind a parameter of our own. */
  async function phones(input: unknown): Promise<string[]> {
    const { where, params } = compileAudienceFilter(audienceFilterSchema.parse(input), { paramOffset: 1 });
    const rows = await db.prisma.$queryRawUnsafe<{ phone: string }[]>(
      `SELECT c.phone FROM "Contact" c WHERE c.phone LIKE $1 AND ${where} ORDER BY c.phone`,
      "+1202555%",
      ...params,
    );
    return rows.map((r) => r.phone);
  }

  it("matches tags with any, all and none", async () => {
    expect(await phones({ tags: { any: ["student", "senior"] } })).toEqual(phonesWhere((i) => (i & 12) !== 0));
    expect(await phones({ tags: { all: ["volunteer", "donor"] } })).toEqual(phonesWhere((i) => (i & 3) === 3));
    expect(await phones({ tags: { none: ["volunteer"] } })).toEqual(phonesWhere((i) => i % 2 === 0));
    expect(await phones({ tags: { any: ["Volunteer "], none: ["donor"] } })).toEqual(phonesWhere((i) => (i & 3) === 1));
    expect(await phones({ tags: { any: [HOSTILE_TAG] } })).toEqual(phonesWhere((i) => i === 29));
  });

  it("matches custom fields case-insensitively, with literal % and _", async () => {
    const county = (op: string, value?: string | string[]) => phones({ field: "County", op, value });
    expect(await county("equals", "KINGS")).toEqual(phonesWhere((i) => i % 7 === 0 || i % 7 === 2));
    expect(await county("contains", "ee")).toEqual(phonesWhere((i) => i % 7 === 1));
    expect(await county("in", ["bronx", "QUEENS"])).toEqual(phonesWhere((i) => i % 7 === 1 || i % 7 === 3));
    expect(await county("empty")).toEqual(phonesWhere((i) => i % 7 >= 4));
    expect(await county("notEmpty")).toEqual(phonesWhere((i) => i % 7 < 4));
    expect(await phones({ field: "Notes", op: "contains", value: "100% dogs_AND" })).toEqual(
      phonesWhere((i) => i % 3 === 0),
    );
    expect(await phones({ field: "Notes", op: "contains", value: "1_0" })).toEqual([]);
    expect(await phones({ field: "Ward", op: "equals", value: "12" })).toEqual(phonesWhere((i) => i === 7 || i === 8));
    expect(await phones({ field: "county", op: "notEmpty" })).toEqual([]); // field names are exact
  });

  it("matches state, ZIP prefix and time zone", async () => {
    expect(await phones({ state: ["NY", "nj"] })).toEqual(phonesWhere((i) => i % 5 <= 1));
    expect(await phones({ zipPrefix: ["100"] })).toEqual(phonesWhere((i) => i % 6 <= 1));
    expect(await phones({ zipPrefix: ["0", "941"] })).toEqual(phonesWhere((i) => i % 6 === 2 || i % 6 === 3));
    expect(await phones({ timeZone: ["America/Indiana/Indianapolis", "america/phoenix"] })).toEqual(
      phonesWhere((i) => i >= 15 && i < 25),
    );
  });

  it("matches engagement from messages and link clicks", async () => {
    const replied = (i: number) => i % 4 === 1 || i === 0;
    expect(await phones({ engagement: "never_texted" })).toEqual(phonesWhere((i) => i % 3 === 0));
    expect(await phones({ engagement: "texted_no_reply" })).toEqual(phonesWhere((i) => i % 3 !== 0 && !replied(i)));
    expect(await phones({ engagement: "replied" })).toEqual(phonesWhere(replied));
    expect(await phones({ engagement: "clicked_link" })).toEqual(phonesWhere((i) => i % 7 === 3));
    expect(await phones({ hasOutcomeTag: "pledged to VOTE" })).toEqual(phonesWhere((i) => [2, 3, 12, 22].includes(i)));
  });

  it("matches the last outbound text against before (exclusive) and after (inclusive)", async () => {
    expect(await phones({ lastTexted: { before: "2026-01-15" } })).toEqual(
      phonesWhere((i) => i % 3 !== 0 && i % 6 !== 1 && i <= 13),
    );
    expect(await phones({ lastTexted: { after: "2026-03-07" } })).toEqual(phonesWhere((i) => [7, 13, 19].includes(i)));
    expect(await phones({ lastTexted: { after: "2026-01-30T10:00:00-05:00" } })).toEqual(
      phonesWhere((i) => [1, 7, 13, 19, 25, 29].includes(i)),
    );
    expect(await phones({ lastTexted: { before: "2026-01-30T15:00:00Z", after: "2026-01-29T15:00:00Z" } })).toEqual(
      phonesWhere((i) => i === 28),
    );
    expect(await phones({ lastTexted: { after: "2026-01-20", before: "2026-03-07" } })).toEqual(
      phonesWhere((i) => [1, 20, 22, 23, 25, 26, 28, 29].includes(i)),
    );
  });

  it("matches campaign membership either way", async () => {
    expect(await phones({ inCampaign: CAMPAIGN_A })).toEqual(phonesWhere((i) => i % 2 === 0));
    expect(await phones({ inCampaign: CAMPAIGN_A, is: false })).toEqual(phonesWhere((i) => i % 2 === 1));
    expect(await phones({ inCampaign: CAMPAIGN_B, is: true })).toEqual(phonesWhere((i) => i >= 1 && i <= 3));
  });

  it("combines nested AND/OR groups", async () => {
    const filter = {
      all: [
        { any: [{ state: ["NY"] }, { tags: { any: ["spanish"] } }] },
        { engagement: "never_texted" },
        { any: [{ all: [{ zipPrefix: ["1"] }, { inCampaign: CAMPAIGN_A }] }, { field: "County", op: "empty" }] },
      ],
    };
    expect(await phones(filter)).toEqual(
      phonesWhere((i) => (i % 5 === 0 || (i & 16) !== 0) && i % 3 === 0 && ((i % 6 <= 1 && i % 2 === 0) || i % 7 >= 4)),
    );
    expect(
      await phones({ any: [{ state: ["AZ"] }, { all: [{ state: ["CA"] }, { tags: { all: ["donor"] } }] }] }),
    ).toEqual(phonesWhere((i) => i % 5 === 3 || (i % 5 === 2 && (i & 2) !== 0)));
  });

  const studentFilter = audienceFilterSchema.parse({ tags: { any: ["student"] } });
  const isStudent = (i: number) => (i & 4) !== 0;
  const reachableStudent = (i: number) => isStudent(i) && !OPTED_OUT.includes(i);

  it("never counts opted-out numbers as reachable", async () => {
    expect(contacts.filter(({ i }) => isStudent(i) && OPTED_OUT.includes(i))).toHaveLength(2);
    const { sql, params } = reachableAudienceSql(studentFilter);
    const [row] = await db.prisma.$queryRawUnsafe<{ reachable: number }[]>(sql, ...params);
    expect(row).toEqual({ reachable: phonesWhere(reachableStudent).length });
  });

  it("breaks reachable contacts down by state and time zone", async () => {
    const expected = (key: (c: SeedContact) => string | null) => {
      const counts = new Map<string | null, number>();
      for (const c of contacts.filter(({ i }) => reachableStudent(i)))
        counts.set(key(c), (counts.get(key(c)) ?? 0) + 1);
      return [...counts].map(([value, n]) => ({ value, contacts: n }));
    };
    const sorted = (rows: AudienceBreakdownRow[]) =>
      [...rows].sort((a, b) => String(a.value).localeCompare(String(b.value)));
    for (const [by, key] of [
      ["state", (c: SeedContact) => c.state],
      ["timeZone", (c: SeedContact) => c.timeZone],
    ] as const) {
      const { sql, params } = audienceBreakdownSql(studentFilter, by);
      const rows = await db.prisma.$queryRawUnsafe<AudienceBreakdownRow[]>(sql, ...params);
      expect(sorted(rows)).toEqual(sorted(expected(key)));
      expect(rows.map((r) => r.contacts)).toEqual([...rows.map((r) => r.contacts)].sort((a, b) => b - a));
    }
  });

  it("gives both breakdowns in one pass, row for row as the two separate queries", async () => {
    const both = audienceBreakdownsSql(studentFilter);
    const rows = await db.prisma.$queryRawUnsafe<(AudienceBreakdownRow & { by: string })[]>(both.sql, ...both.params);
    for (const by of ["state", "timeZone"] as const) {
      const { sql, params } = audienceBreakdownSql(studentFilter, by);
      const separate = await db.prisma.$queryRawUnsafe<AudienceBreakdownRow[]>(sql, ...params);
      expect(separate.length).toBeGreaterThan(1);
      expect(rows.filter((r) => r.by === by).map(({ value, contacts }) => ({ value, contacts }))).toEqual(separate);
    }
  });

  it("samples five reachable contacts", async () => {
    const { sql, params } = audienceSampleSql(studentFilter);
    const rows = await db.prisma.$queryRawUnsafe<AudienceSampleRow[]>(sql, ...params);
    expect(rows).toHaveLength(5);
    const allowed = new Set(phonesWhere(reachableStudent));
    for (const row of rows) {
      expect(allowed.has(row.phone)).toBe(true);
      expect(row).toEqual(
        expect.objectContaining({ id: contacts.find((c) => c.phone === row.phone)?.id, firstName: null }),
      );
    }
  });

  it("agrees with the reference evaluator on random filters", async () => {
    const condition = fc.oneof(
      fc
        .record(
          {
            any: fc.subarray([...TAGS, "nobody"], { minLength: 1 }),
            all: fc.subarray(TAGS, { minLength: 1, maxLength: 2 }),
            none: fc.subarray(TAGS, { minLength: 1 }),
          },
          { requiredKeys: [] },
        )
        .filter((t) => Object.keys(t).length > 0)
        .map((tags) => ({ tags })),
      fc.record({
        field: fc.constantFrom("County", "Notes", "Ward", "Missing"),
        op: fc.constantFrom("equals", "contains"),
        value: fc.constantFrom("kings", "QUEENS", "e", "12", "dogs", "email"),
      }),
      fc.record({
        field: fc.constantFrom("County", "Ward"),
        op: fc.constant("in"),
        value: fc.subarray(["Kings", "bronx", "12", ""], { minLength: 1 }).filter((v) => !v.includes("")),
      }),
      fc.record({ field: fc.constantFrom("County", "Precinct", "Missing"), op: fc.constantFrom("empty", "notEmpty") }),
      fc.record({ state: fc.subarray(["NY", "NJ", "CA", "AZ", "TX"], { minLength: 1 }) }),
      fc.record({ zipPrefix: fc.subarray(["1", "10", "100", "0", "85001", "9"], { minLength: 1 }) }),
      fc.record({
        timeZone: fc.subarray(
          ZONES.filter((z): z is string => z !== null),
          { minLength: 1 },
        ),
      }),
      fc.record({ engagement: fc.constantFrom("never_texted", "texted_no_reply", "replied", "clicked_link") }),
      fc.record({ hasOutcomeTag: fc.constantFrom("pledged to vote", "Moved", "spanish speaker", "none") }),
      fc
        .record(
          {
            after: fc.constantFrom("2026-01-10", "2026-01-25", "2026-03-07"),
            before: fc.constantFrom("2026-01-20", "2026-03-05", "2026-04-01"),
          },
          { requiredKeys: [] },
        )
        .filter(
          ({ after, before }) => (after !== undefined || before !== undefined) && (!after || !before || after < before),
        )
        .map((lastTexted) => ({ lastTexted })),
      fc.record(
        { inCampaign: fc.constantFrom(CAMPAIGN_A, CAMPAIGN_B, randomUUID()), is: fc.boolean() },
        { requiredKeys: ["inCampaign"] },
      ),
    );
    const filter = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: "small", maxDepth: 3 },
        condition,
        fc.record({ all: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) }),
        fc.record({ any: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) }),
      ),
    })).node;

    await fc.assert(
      fc.asyncProperty(filter, async (input) => {
        const parsed = audienceFilterSchema.parse(input);
        const expected = contacts.filter((c) => holds(parsed, c));
        expect(await phones(parsed)).toEqual(expected.map((c) => c.phone).sort());
        const { sql, params } = reachableAudienceSql(parsed);
        const [row] = await db.prisma.$queryRawUnsafe<{ reachable: number }[]>(sql, ...params);
        const reachable = [...contacts, outsider].filter((c) => holds(parsed, c) && !optOutPhones.has(c.phone));
        expect(row?.reachable).toBe(reachable.length);
      }),
      { numRuns: 30 },
    );
  });
});
