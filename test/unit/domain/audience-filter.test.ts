import fc from "fast-check";
import {
  audienceFilterSchema,
  describeAudienceFilter,
  parseAudienceFilter,
  type AudienceFilter,
} from "../../../src/domain/audience-filter";
import {
  audienceBreakdownSql,
  audienceSampleSql,
  compileAudienceFilter,
  reachableAudienceSql,
} from "../../../src/domain/audience-sql";
import { optedOutSql } from "../../../src/domain/suppression";

const CAMPAIGN_ID = "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed";

function problemsOf(input: unknown): string[] {
  const result = parseAudienceFilter(input);
  if (result.ok) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return result.problems;
}

function parsed(input: unknown): AudienceFilter {
  return audienceFilterSchema.parse(input);
}

describe("audience filter validation", () => {
  it("accepts every condition kind and normalizes what organizers type", () => {
    const filter = parsed({
      all: [
        { tags: { any: [" Volunteer ", "donor", "donor"], none: ["DNC"] } },
        { field: "County", op: "in", value: [" Kings", "Queens"] },
        { state: ["ny", "NJ"] },
        { zipPrefix: ["100", "07030"] },
        { timeZone: ["america/new_york", "America/Indiana/Indianapolis", "UTC"] },
        { engagement: "texted_no_reply" },
        { hasOutcomeTag: "pledged to vote" },
        { lastTexted: { after: "2026-01-01", before: "2026-03-01T09:00:00-05:00" } },
        { inCampaign: CAMPAIGN_ID, is: false },
      ],
    });
    expect(filter).toEqual({
      all: [
        { tags: { any: ["volunteer", "donor"], none: ["dnc"] } },
        { field: "County", op: "in", value: ["Kings", "Queens"] },
        { state: ["NY", "NJ"] },
        { zipPrefix: ["100", "07030"] },
        { timeZone: ["America/New_York", "America/Indiana/Indianapolis", "UTC"] },
        { engagement: "texted_no_reply" },
        { hasOutcomeTag: "pledged to vote" },
        { lastTexted: { after: "2026-01-01", before: "2026-03-01T09:00:00-05:00" } },
        { inCampaign: CAMPAIGN_ID, is: false },
      ],
    });
  });

  it("accepts a response to one campaign, the tag trimmed and lower-cased", () => {
    expect(parsed({ response: { campaign: CAMPAIGN_ID, state: "replied_tagged", tag: " Pledged to Vote " } })).toEqual({
      response: { campaign: CAMPAIGN_ID, state: "replied_tagged", tag: "pledged to vote" },
    });
    for (const state of ["replied_untagged", "no_reply", "clicked_link"])
      expect(parsed({ response: { campaign: CAMPAIGN_ID, state } })).toEqual({
        response: { campaign: CAMPAIGN_ID, state },
      });
  });

  it("names a bad state code and where it is", () => {
    expect(problemsOf({ all: [{ engagement: "replied" }, { state: ["NY", "XX"] }] })).toEqual([
      'Condition 2: "XX" is not a US state code (like NY or CA).',
    ]);
  });

  it("rejects an empty group", () => {
    expect(problemsOf({ all: [] })).toEqual(['An "all" group needs at least one condition.']);
    expect(problemsOf({ all: [{ state: ["NY"] }, { any: [] }] })).toEqual([
      'Condition 2: An "any" group needs at least one condition.',
    ]);
  });

  it("allows groups three deep, not four", () => {
    const leaf = { engagement: "replied" };
    expect(parseAudienceFilter({ all: [{ any: [{ all: [leaf] }] }] }).ok).toBe(true);
    expect(problemsOf({ all: [{ any: [{ all: [{ any: [leaf] }] }] }] })).toEqual([
      "Condition 1.1.1: Groups can be nested at most 3 deep.",
    ]);
  });

  it("allows at most 50 conditions", () => {
    const conditions = (n: number) => Array.from({ length: n }, () => ({ state: ["NY"] }));
    expect(parseAudienceFilter({ all: conditions(50) }).ok).toBe(true);
    expect(problemsOf({ all: [{ any: conditions(26) }, { any: conditions(25) }] })).toEqual([
      "This audience has 51 conditions; the limit is 50.",
    ]);
  });

  it.each([
    [{ zipPrefix: ["1234567"] }, '"1234567" is not a ZIP prefix (1 to 5 digits, like 100 or 94110).'],
    [{ zipPrefix: ["10a"] }, '"10a" is not a ZIP prefix (1 to 5 digits, like 100 or 94110).'],
    [{ timeZone: ["Mars/Olympus_Mons"] }, '"Mars/Olympus_Mons" is not a time zone name (like America/New_York).'],
    [{ timeZone: ["+05:00"] }, '"+05:00" is not a time zone name (like America/New_York).'],
    [{ state: [] }, "Pick at least one state."],
    [{ tags: {} }, "A tags condition needs any, all or none with at least one tag."],
    [{ tags: { any: [" "] } }, "A tag can't be blank."],
    [{ tags: { any: ["x"], some: ["y"] } }, 'A tags condition has an unknown setting: "some".'],
    [{ engagement: "ghosted" }, "Engagement must be one of: never_texted, texted_no_reply, replied, clicked_link."],
    [{ field: "County", op: "equals" }, '"County" equals needs one value to compare with.'],
    [{ field: "County", op: "in", value: "Kings" }, '"County" in needs a list of non-blank values.'],
    [{ field: "County", op: "empty", value: "x" }, '"County" empty takes no value.'],
    [
      { field: "County", op: "like", value: "K%" },
      "A custom field test must be one of: equals, contains, in, empty, notEmpty.",
    ],
    [{ lastTexted: {} }, "A last-texted condition needs a before or after date."],
    [
      { lastTexted: { before: "March 1" } },
      '"March 1" is not a date (use YYYY-MM-DD, or a full ISO time like 2026-03-01T09:00:00-05:00).',
    ],
    [{ lastTexted: { after: "2026-03-01", before: "2026-02-01" } }, "The after date must come before the before date."],
    [{ inCampaign: "GOTV" }, '"GOTV" is not a campaign id.'],
    [{ response: { campaign: "GOTV", state: "no_reply" } }, '"GOTV" is not a campaign id.'],
    [
      { response: { campaign: CAMPAIGN_ID, state: "ghosted" } },
      "A response state must be one of: replied_tagged, replied_untagged, no_reply, clicked_link.",
    ],
    [{ response: { campaign: CAMPAIGN_ID, state: "replied_tagged" } }, 'replied_tagged needs the tag, e.g. "pledged".'],
    [{ response: { campaign: CAMPAIGN_ID, state: "replied_tagged", tag: "  " } }, "A tag can't be blank."],
    [
      { response: { campaign: CAMPAIGN_ID, state: "no_reply", tag: "pledged" } },
      "Only replied_tagged takes a tag, not no_reply.",
    ],
    [
      { response: { campaign: CAMPAIGN_ID, state: "no_reply", since: "2026-01-01" } },
      'A response condition has an unknown setting: "since".',
    ],
    [{ response: "no_reply" }, "A response condition must be an object."],
    [
      { state: ["NY"], zipPrefix: ["1"] },
      'Put one condition per item (found state and zipPrefix together); combine them with { "all": [...] }.',
    ],
    [
      { all: [{ state: ["NY"] }], any: [{ state: ["NJ"] }] },
      'A group has exactly one of "all" or "any"; found "all", "any".',
    ],
    [
      { county: "Kings" },
      expect.stringContaining("Unknown condition (county); expected one of: all, any, tags, field,"),
    ],
    [{ state: ["NY"], is: true }, 'A state condition has an unknown setting: "is".'],
    [[], "Each condition or group must be an object."],
    [null, "Each condition or group must be an object."],
  ])("explains %j", (input, message) => {
    expect(problemsOf(input)).toEqual([message]);
  });

  it("reports every problem at once", () => {
    expect(problemsOf({ any: [{ state: ["XX"] }, { all: [{ zipPrefix: ["abc"] }, { engagement: "x" }] }] })).toEqual([
      'Condition 1: "XX" is not a US state code (like NY or CA).',
      'Condition 2.1: "abc" is not a ZIP prefix (1 to 5 digits, like 100 or 94110).',
      "Condition 2.2: Engagement must be one of: never_texted, texted_no_reply, replied, clicked_link.",
    ]);
  });
});

describe("audience filter compilation", () => {
  it("uses the array operators on tags so the GIN index applies", () => {
    expect(compileAudienceFilter(parsed({ tags: { any: ["a"], all: ["b", "c"], none: ["d"] } }))).toEqual({
      where: '((c."tags" && $1::text[] AND c."tags" @> $2::text[] AND NOT (c."tags" && $3::text[])))',
      params: [["a"], ["b", "c"], ["d"]],
    });
  });

  it("numbers placeholders after paramOffset", () => {
    const { where, params } = compileAudienceFilter(parsed({ any: [{ state: ["NY"] }, { hasOutcomeTag: "moved" }] }), {
      paramOffset: 3,
    });
    expect(where).toContain("$4::text[]");
    expect(where).toContain("$5::text");
    expect(where).not.toMatch(/\$[1-3]\b/);
    expect(params).toEqual([["NY"], "moved"]);
  });

  it("reads engagement from messages and link clicks with EXISTS subqueries", () => {
    const sql = (engagement: string) => compileAudienceFilter(parsed({ engagement })).where;
    expect(sql("never_texted")).toBe(
      `(NOT EXISTS (SELECT 1 FROM "Message" m WHERE m."contactId" = c.id AND m.direction = 'outbound'))`,
    );
    expect(sql("replied")).toBe(
      `(EXISTS (SELECT 1 FROM "Message" m WHERE m."contactId" = c.id AND m.direction = 'inbound'))`,
    );
    expect(sql("clicked_link")).toBe(`(EXISTS (SELECT 1 FROM "LinkClick" l WHERE l."contactId" = c.id))`);
  });

  it("scopes a response to its campaign with a uuid placeholder, and the tag with a text one", () => {
    const tagged = compileAudienceFilter(
      parsed({ response: { campaign: CAMPAIGN_ID, state: "replied_tagged", tag: "pledged" } }),
      { paramOffset: 2 },
    );
    expect(tagged.params).toEqual([CAMPAIGN_ID, "pledged"]);
    expect(tagged.where).toContain(`cc."campaignId" = $3::uuid`);
    expect(tagged.where).toContain("lower(vt) = lower($4::text)");
    expect(tagged.where).not.toContain(CAMPAIGN_ID);
    for (const state of ["replied_untagged", "no_reply"]) {
      const { where, params } = compileAudienceFilter(parsed({ response: { campaign: CAMPAIGN_ID, state } }));
      expect(params).toEqual([CAMPAIGN_ID]);
      expect(where).toContain(`(cc.status = 'sent' OR cc.step > 0)`);
    }
    const clicked = compileAudienceFilter(parsed({ response: { campaign: CAMPAIGN_ID, state: "clicked_link" } }));
    expect(clicked.where).toBe(
      `(EXISTS (SELECT 1 FROM "LinkClick" l JOIN "ShortLink" s ON s.id = l."shortLinkId" WHERE l."contactId" = c.id AND s."campaignId" = $1::uuid))`,
    );
  });

  it("turns a bare date into midnight UTC and ZIP prefixes into LIKE patterns", () => {
    expect(compileAudienceFilter(parsed({ lastTexted: { before: "2026-03-01" } })).params).toEqual([
      "2026-03-01T00:00:00.000Z",
    ]);
    expect(compileAudienceFilter(parsed({ lastTexted: { after: "2026-03-01T09:00:00-05:00" } })).params).toEqual([
      "2026-03-01T14:00:00.000Z",
    ]);
    expect(compileAudienceFilter(parsed({ zipPrefix: ["100", "07"] })).params).toEqual([["100%", "07%"]]);
  });

  it("builds the reachable count, breakdown and sample queries, all excluding opted-out numbers", () => {
    const filter = parsed({ state: ["NY"] });
    // The suppression rule's own SQL (src/domain/suppression.ts), not a copy of it.
    const optOut = `NOT ${optedOutSql("c.phone")}`;
    for (const query of [
      reachableAudienceSql(filter),
      audienceBreakdownSql(filter, "state"),
      audienceBreakdownSql(filter, "timeZone"),
    ]) {
      expect(query.sql).toContain(optOut);
      expect(query.params).toEqual([["NY"]]);
    }
    const sample = audienceSampleSql(filter, 5);
    expect(sample.sql).toContain(optOut);
    expect(sample.sql).toMatch(/LIMIT \$2::int$/);
    expect(sample.params).toEqual([["NY"], 5]);
    expect(() => audienceSampleSql(filter, 0)).toThrow(RangeError);
  });
});

const HOSTILE = [
  `'; DROP TABLE "Contact"; --`,
  `' OR '1'='1`,
  `Robert'); DELETE FROM "OptOut";--`,
  `$$; SELECT pg_sleep(10); $$`,
  `") OR 1=1 --`,
  `%' OR phone LIKE '%`,
  `\\'; TRUNCATE "Message" CASCADE; --`,
  `$1::text); DROP TABLE x; --`,
];

/** Free text an organizer could type: always carries an injection attempt, plus random noise. */
const hostileText = fc
  .tuple(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 12 }), fc.boolean())
  .map(([attack, noise, noiseFirst]) => (noiseFirst ? noise + attack : attack + noise));

const condition: fc.Arbitrary<unknown> = fc.oneof(
  fc
    .record(
      {
        any: fc.array(hostileText, { minLength: 1, maxLength: 3 }),
        all: fc.array(hostileText, { minLength: 1, maxLength: 3 }),
        none: fc.array(hostileText, { minLength: 1, maxLength: 3 }),
      },
      { requiredKeys: ["any"] },
    )
    .map((tags) => ({ tags })),
  fc.record({ field: hostileText, op: fc.constantFrom("equals", "contains"), value: hostileText }),
  fc.record({
    field: hostileText,
    op: fc.constant("in"),
    value: fc.array(hostileText, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ field: hostileText, op: fc.constantFrom("empty", "notEmpty") }),
  fc.record({ state: fc.subarray(["NY", "NJ", "CA", "TX", "DC", "PR"], { minLength: 1 }) }),
  fc.record({ zipPrefix: fc.array(fc.stringMatching(/^\d{1,5}$/), { minLength: 1, maxLength: 3 }) }),
  fc.record({ timeZone: fc.subarray(["America/New_York", "America/Chicago", "Pacific/Honolulu"], { minLength: 1 }) }),
  fc.record({ engagement: fc.constantFrom("never_texted", "texted_no_reply", "replied", "clicked_link") }),
  fc.record({ hasOutcomeTag: hostileText }),
  fc
    .record({
      lastTexted: fc.record(
        { before: fc.constant("2026-05-01"), after: fc.constant("2026-04-01") },
        { requiredKeys: [] },
      ),
    })
    .filter((c) => Object.keys(c.lastTexted).length > 0),
  fc.record({ inCampaign: fc.uuid({ version: 4 }), is: fc.boolean() }, { requiredKeys: ["inCampaign"] }),
  fc
    .tuple(fc.uuid({ version: 4 }), fc.constantFrom("replied_untagged", "no_reply", "clicked_link"))
    .map(([campaign, state]) => ({ response: { campaign, state } })),
  fc
    .tuple(fc.uuid({ version: 4 }), hostileText)
    .map(([campaign, tag]) => ({ response: { campaign, state: "replied_tagged", tag } })),
);

const filterArbitrary: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true, maxDepth: 3 },
    condition,
    fc.record({ all: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ any: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) }),
  ),
})).node;

/** Every string an organizer supplied, after normalization: free text, and values checked against a list or pattern. */
function userStrings(filter: AudienceFilter): { free: string[]; listed: string[] } {
  if ("all" in filter || "any" in filter) {
    const parts = ("all" in filter ? filter.all : filter.any).map(userStrings);
    return { free: parts.flatMap((p) => p.free), listed: parts.flatMap((p) => p.listed) };
  }
  if ("tags" in filter) return { free: Object.values(filter.tags).flat(), listed: [] };
  if ("field" in filter) return { free: [filter.field, ...[filter.value ?? []].flat()], listed: [] };
  if ("hasOutcomeTag" in filter) return { free: [filter.hasOutcomeTag], listed: [] };
  if ("state" in filter) return { free: [], listed: filter.state };
  if ("timeZone" in filter) return { free: [], listed: filter.timeZone };
  if ("inCampaign" in filter) return { free: [], listed: [filter.inCampaign] };
  if ("response" in filter) {
    const { campaign, tag } = filter.response;
    return { free: tag === undefined ? [] : [tag], listed: [campaign] };
  }
  return { free: [], listed: [] };
}

describe("no user text in SQL", () => {
  it("keeps every organizer-supplied value in the parameters, never in the SQL text", () => {
    fc.assert(
      fc.property(filterArbitrary, fc.nat(20), (input, paramOffset) => {
        const result = parseAudienceFilter(input);
        if (!result.ok) throw new Error(result.problems.join("\n"));
        const { where, params } = compileAudienceFilter(result.filter, { paramOffset });
        const { free, listed } = userStrings(result.filter);
        for (const value of free) expect(where).not.toContain(value);
        // State codes can be substrings of SQL words ("NY" in "ANY"), so those only have to be parameters.
        for (const value of [...free, ...listed]) expect(params.flat()).toContain(value);
        const numbers = [...where.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
        expect(Math.max(paramOffset, ...numbers)).toBe(paramOffset + params.length);
        expect(new Set(numbers)).toEqual(new Set(params.map((_, i) => paramOffset + i + 1)));
        // The only quotes in the text are our own fixed literals.
        expect(where.replace(/'(outbound|inbound|sent)?'/g, "")).not.toContain("'");
      }),
      { numRuns: 300 },
    );
  });
});

describe("audience filter description", () => {
  it("reads like a sentence", () => {
    expect(
      describeAudienceFilter(
        parsed({
          all: [{ tags: { any: ["volunteer", "donor"] } }, { state: ["NY", "NJ"] }, { engagement: "never_texted" }],
        }),
      ),
    ).toBe("Tagged volunteer or donor, in NY or NJ, never texted");
  });

  it("brackets nested groups and names campaigns when it can", () => {
    const filter = parsed({
      any: [
        { all: [{ field: "County", op: "equals", value: "Kings" }, { lastTexted: { before: "2026-03-01" } }] },
        { inCampaign: CAMPAIGN_ID, is: false },
        { hasOutcomeTag: "pledged to vote" },
      ],
    });
    expect(describeAudienceFilter(filter, { campaignName: (id) => (id === CAMPAIGN_ID ? "GOTV" : undefined) })).toBe(
      "(“County” is “Kings”, last texted before 2026-03-01) or not in campaign “GOTV” or with outcome “pledged to vote”",
    );
    expect(describeAudienceFilter(parsed({ inCampaign: CAMPAIGN_ID }))).toBe("In campaign 1b9d6bcd");
  });

  it("says where contacts stand in the campaign, by name when it is known", () => {
    const names = { campaignName: (id: string) => (id === CAMPAIGN_ID ? "Spring GOTV" : undefined) };
    const response = (state: string, tag?: string) =>
      describeAudienceFilter(parsed({ response: { campaign: CAMPAIGN_ID, state, ...(tag ? { tag } : {}) } }), names);
    expect(response("replied_tagged", "Pledged")).toBe("Replied to campaign “Spring GOTV”, tagged “pledged”");
    expect(response("replied_untagged")).toBe("Replied to campaign “Spring GOTV”, no tag");
    expect(response("no_reply")).toBe("Texted by campaign “Spring GOTV”, no reply");
    expect(response("clicked_link")).toBe("Clicked a link from campaign “Spring GOTV”");
    expect(
      describeAudienceFilter(
        parsed({ all: [{ state: ["NY"] }, { response: { campaign: CAMPAIGN_ID, state: "no_reply" } }] }),
      ),
    ).toBe("In NY, texted by campaign 1b9d6bcd, no reply");
  });

  it("shortens long lists", () => {
    expect(describeAudienceFilter(parsed({ zipPrefix: ["100", "101", "102", "103", "104", "105", "106"] }))).toBe(
      "ZIP starting 100, 101, 102, 103 or 3 more",
    );
    expect(describeAudienceFilter(parsed({ field: "Team", op: "in", value: ["red", "blue"] }))).toBe(
      "“Team” is “red” or “blue”",
    );
  });
});
