import fc from "fast-check";
import { audienceFilterSchema } from "../../../src/domain/audience-filter";
import { MAX_NAME_LENGTH, nameKey, nameProblem } from "../../../src/domain/display-name";
import {
  checkFollowUpChoice,
  followUpCampaignNames,
  followUpSegmentNames,
  NAME_ATTEMPTS,
  responseCondition,
} from "../../../src/domain/follow-up-campaign";

const CAMPAIGN_ID = "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed";
const valid = (name: string) => nameProblem(name, { noun: "segment", example: "x" });

describe("the follow-up form's choice", () => {
  it("asks for the group when none (or an unknown one) is picked", () => {
    for (const state of [null, "", "replied"])
      expect(checkFollowUpChoice({ state, tag: "pledged" })).toEqual({
        ok: false,
        problems: {
          state:
            "Pick who to text: people who replied and were tagged, replied without a tag, never replied, or clicked a link.",
        },
      });
  });

  it("asks for the tag under the tag menu when the group is replied-with-a-tag", () => {
    for (const tag of [null, "", "   "])
      expect(checkFollowUpChoice({ state: "replied_tagged", tag })).toEqual({
        ok: false,
        problems: { tag: "Pick the tag: the follow-up goes to people whose conversation has it." },
      });
    expect(checkFollowUpChoice({ state: "replied_tagged", tag: " Pledged " })).toEqual({
      ok: true,
      state: "replied_tagged",
      tag: "pledged",
    });
  });

  it("ignores a tag left picked when another group is chosen", () => {
    expect(checkFollowUpChoice({ state: "no_reply", tag: "pledged" })).toEqual({
      ok: true,
      state: "no_reply",
      tag: null,
    });
  });

  it("becomes a response condition the audience schema accepts as it is", () => {
    for (const choice of [
      { state: "replied_tagged", tag: "pledged" },
      { state: "clicked_link", tag: null },
    ] as const) {
      const condition = responseCondition(CAMPAIGN_ID, choice);
      expect(audienceFilterSchema.parse(condition)).toEqual(condition);
    }
    expect(responseCondition(CAMPAIGN_ID, { state: "no_reply", tag: null })).toEqual({
      response: { campaign: CAMPAIGN_ID, state: "no_reply" },
    });
  });
});

describe("follow-up names", () => {
  it("name the segment after the campaign and the group, then number it", () => {
    const names = followUpSegmentNames("Spring GOTV", { state: "replied_tagged", tag: "pledged" });
    expect(names.slice(0, 3)).toEqual([
      "Spring GOTV - replied: pledged",
      "Spring GOTV - replied: pledged (2)",
      "Spring GOTV - replied: pledged (3)",
    ]);
    expect(names).toHaveLength(NAME_ATTEMPTS);
    expect(followUpSegmentNames("GOTV", { state: "replied_untagged", tag: null })[0]).toBe("GOTV - replied, no tag");
    expect(followUpSegmentNames("GOTV", { state: "no_reply", tag: null })[0]).toBe("GOTV - no reply");
    expect(followUpSegmentNames("GOTV", { state: "clicked_link", tag: null })[0]).toBe("GOTV - clicked a link");
    expect(followUpCampaignNames("GOTV").slice(0, 2)).toEqual(["GOTV follow-up", "GOTV follow-up (2)"]);
  });

  it("keep a tag's characters that names refuse out of the name", () => {
    expect(followUpSegmentNames("GOTV", { state: "replied_tagged", tag: "yes *maybe* <later>" })[0]).toBe(
      "GOTV - replied: yes maybe later",
    );
    expect(followUpSegmentNames("GOTV", { state: "replied_tagged", tag: "👍" })[0]).toBe("GOTV - replied: tagged");
  });

  it("shorten a long campaign name first, so the group and the number stay whole", () => {
    const long = `Get out the vote ${"x".repeat(MAX_NAME_LENGTH - 17)}`;
    expect(long).toHaveLength(MAX_NAME_LENGTH);
    const names = followUpSegmentNames(long, { state: "replied_tagged", tag: "pledged to vote" });
    expect(names[0]).toBe(`${long.slice(0, 33)} - replied: pledged to vote`);
    expect(names[9]).toBe(`${long.slice(0, 28)} - replied: pledged to vote (10)`);
    expect(followUpCampaignNames(long)[1]).toBe(`${long.slice(0, 46)} follow-up (2)`);
  });

  it("are always valid, distinct names within the limit, whatever the campaign and tag", () => {
    const campaignName = fc
      .tuple(fc.constantFrom("A", "Spring", "9"), fc.string({ maxLength: 70 }))
      .map(([start, rest]) => `${start}${rest.replace(/[^\w .'-]/g, " ")}`.trim().slice(0, MAX_NAME_LENGTH))
      .filter((name) => valid(name) === null);
    fc.assert(
      fc.property(
        campaignName,
        fc.constantFrom("replied_tagged", "replied_untagged", "no_reply", "clicked_link"),
        fc.string({ minLength: 1, maxLength: 40 }),
        (name, state, tag) => {
          for (const names of [
            followUpSegmentNames(name, { state, tag: state === "replied_tagged" ? tag : null }),
            followUpCampaignNames(name),
          ]) {
            for (const candidate of names) {
              expect(candidate.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
              expect(valid(candidate)).toBeNull();
            }
            expect(new Set(names.map(nameKey)).size).toBe(NAME_ATTEMPTS);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
