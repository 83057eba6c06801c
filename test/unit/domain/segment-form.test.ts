import { randomUUID } from "node:crypto";
import {
  EMPTY_SEGMENT_FORM,
  filterFromForm,
  NO_CONDITION_PROBLEM,
  type SegmentForm,
} from "../../../src/domain/segment-form";

const form = (fields: Partial<SegmentForm>): SegmentForm => ({ ...EMPTY_SEGMENT_FORM, ...fields });

describe("the segment form as an audience filter", () => {
  it("is empty, not wrong, before anything is filled in", () => {
    expect(filterFromForm(EMPTY_SEGMENT_FORM)).toEqual({
      ok: false,
      empty: true,
      problems: { match: NO_CONDITION_PROBLEM },
    });
    expect(filterFromForm(form({ zipPrefixes: " , ", outcomeTag: "  ", advanced: "  \n" }))).toMatchObject({
      ok: false,
      empty: true,
    });
  });

  it("turns one field into one bare condition, normalized", () => {
    expect(filterFromForm(form({ tagsAny: ["Volunteer "] }))).toEqual({
      ok: true,
      filter: { tags: { any: ["volunteer"] } },
      fieldsIgnored: false,
      usedAdvanced: false,
    });
  });

  it("joins every filled field with AND, or with OR when the organizer picks any", () => {
    const campaign = randomUUID();
    const fields = form({
      tagsAny: ["volunteer", "donor"],
      tagsAll: ["student"],
      tagsNone: ["moved"],
      states: ["ny", "NJ"],
      zipPrefixes: "100, 112;07030  941",
      timeZones: ["america/new_york"],
      engagement: "never_texted",
      outcomeTag: " Pledged ",
      lastTextedMode: "between",
      lastTextedAfter: "2026-01-01",
      lastTextedBefore: "2026-02-01",
      campaign: { id: campaign, member: false },
    });
    const conditions = [
      { tags: { any: ["volunteer", "donor"] } },
      { tags: { all: ["student"] } },
      { tags: { none: ["moved"] } },
      { state: ["NY", "NJ"] },
      { zipPrefix: ["100", "112", "07030", "941"] },
      { timeZone: ["America/New_York"] },
      { engagement: "never_texted" },
      { hasOutcomeTag: "Pledged" },
      { inCampaign: campaign, is: false },
      { lastTexted: { after: "2026-01-01", before: "2026-02-01" } },
    ];
    expect(filterFromForm(fields)).toMatchObject({ ok: true, filter: { all: conditions } });
    expect(filterFromForm({ ...fields, match: "any" })).toMatchObject({ ok: true, filter: { any: conditions } });
  });

  it("tests one custom field, reading a comma-separated list for “is one of”", () => {
    expect(
      filterFromForm(form({ customField: "Ward", customFieldOp: "equals", customFieldValue: " 4 " })),
    ).toMatchObject({
      filter: { field: "Ward", op: "equals", value: "4" },
    });
    expect(
      filterFromForm(form({ customField: "Ward", customFieldOp: "in", customFieldValue: "4, 5,,6" })),
    ).toMatchObject({
      filter: { field: "Ward", op: "in", value: ["4", "5", "6"] },
    });
    expect(
      filterFromForm(form({ customField: "Ward", customFieldOp: "empty", customFieldValue: "ignored" })),
    ).toMatchObject({
      filter: { field: "Ward", op: "empty" },
    });
    expect(filterFromForm(form({ customField: "Ward", customFieldOp: "contains" }))).toMatchObject({
      problems: { customFieldValue: '"Ward" contains needs one value to compare with.' },
    });
    expect(filterFromForm(form({ customFieldValue: "4" }))).toMatchObject({
      problems: { customField: "Pick the custom field this value is for, or clear the value." },
    });
  });

  it("uses only the dates the last-texted choice asks for", () => {
    const dates = { lastTextedAfter: "2026-01-01", lastTextedBefore: "2026-02-01" };
    expect(filterFromForm(form({ ...dates, lastTextedMode: "any", states: ["NY"] }))).toMatchObject({
      filter: { state: ["NY"] },
    });
    expect(filterFromForm(form({ ...dates, lastTextedMode: "after" }))).toMatchObject({
      filter: { lastTexted: { after: "2026-01-01" } },
    });
    expect(filterFromForm(form({ ...dates, lastTextedMode: "before" }))).toMatchObject({
      filter: { lastTexted: { before: "2026-02-01" } },
    });
  });

  it("puts each problem under the field that caused it", () => {
    expect(filterFromForm(form({ zipPrefixes: "100, 1a2", tagsAny: ["volunteer"] }))).toEqual({
      ok: false,
      empty: false,
      problems: { zipPrefixes: '"1a2" is not a ZIP prefix (1 to 5 digits, like 100 or 94110).' },
    });
    expect(filterFromForm(form({ lastTextedMode: "between", lastTextedAfter: "2026-01-01" }))).toEqual({
      ok: false,
      empty: false,
      problems: { lastTextedBefore: "Pick the date the last text must come before." },
    });
    expect(filterFromForm(form({ lastTextedMode: "after" }))).toMatchObject({
      problems: { lastTextedAfter: "Pick the date the last text must be on or after." },
    });
    expect(
      filterFromForm(
        form({ lastTextedMode: "between", lastTextedAfter: "2026-03-01", lastTextedBefore: "2026-02-01" }),
      ),
    ).toMatchObject({
      problems: { lastTextedBefore: "The after date must come before the before date." },
    });
    expect(filterFromForm(form({ outcomeTag: "x".repeat(101) }))).toMatchObject({
      problems: { outcomeTag: "An outcome tag can be at most 100 characters." },
    });
  });

  it("lets a filled advanced filter replace the fields, and says so", () => {
    const advanced =
      '{"any": [{"tags": {"any": ["volunteer"]}}, {"all": [{"state": ["ny"]}, {"engagement": "replied"}]}]}';
    expect(filterFromForm(form({ advanced, states: ["CA"] }))).toEqual({
      ok: true,
      filter: { any: [{ tags: { any: ["volunteer"] } }, { all: [{ state: ["NY"] }, { engagement: "replied" }] }] },
      fieldsIgnored: true,
      usedAdvanced: true,
    });
    expect(filterFromForm(form({ advanced }))).toMatchObject({ ok: true, fieldsIgnored: false });
  });

  it("explains broken JSON and invalid advanced filters on the advanced field", () => {
    const broken = filterFromForm(form({ advanced: '{"tags": {"any": ["volunteer"]}' }));
    expect(broken).toMatchObject({ ok: false, empty: false });
    expect(!broken.ok && broken.problems.advanced).toMatch(
      /^This is not valid JSON \(.+\)\. Check brackets, quotes and commas, or clear the box to use the fields above\.$/,
    );
    expect(filterFromForm(form({ advanced: '{"all": [{"state": ["XX"]}, {"color": "red"}]}' }))).toEqual({
      ok: false,
      empty: false,
      problems: {
        advanced:
          'Condition 1: "XX" is not a US state code (like NY or CA). Condition 2: Unknown condition (color); expected one of: all, any, tags, field, state, zipPrefix, timeZone, engagement, hasOutcomeTag, lastTexted, inCampaign, response.',
      },
    });
  });
});
