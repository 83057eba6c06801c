import { EMPTY_CAMPAIGN_FORM } from "../../../src/domain/campaign-form";
import type { FollowUpState } from "../../../src/services/follow-up-campaigns";
import { campaignModal } from "../../../src/slack/blocks/campaign-modal";
import {
  FOLLOW_UP_VIEW,
  followUpAction,
  followUpLoadingModal,
  followUpModal,
} from "../../../src/slack/blocks/follow-up-modal";
import { readFollowUpChoice } from "../../../src/slack/follow-up-form";

const STATES: FollowUpState[] = [
  { state: "replied_tagged", reachable: 1234 },
  { state: "replied_untagged", reachable: 1 },
  { state: "no_reply", reachable: 0 },
  { state: "clicked_link", reachable: 7 },
];

type Element = Record<string, unknown> & {
  options?: { text: { text: string }; value: string; description?: unknown }[];
};
const blockOf = (view: { blocks: unknown[] }, id: string) =>
  view.blocks.find((b) => (b as { block_id?: string }).block_id === id) as
    { type: string; element?: Element; elements?: { text: string }[] } | undefined;

describe("follow-up Block Kit builders", () => {
  it("offers the four groups with their reachable counts, and the campaign's tags with theirs", () => {
    const view = followUpModal("{}", "Spring GOTV", STATES, [
      { tag: "pledged", reachable: 12 },
      { tag: "moved", reachable: 0 },
    ]);
    expect(view).toMatchObject({ callback_id: FOLLOW_UP_VIEW, submit: { text: "Next" } });
    const state = blockOf(view, "state")!.element!;
    expect(state).toMatchObject({ type: "radio_buttons", action_id: followUpAction("state") });
    expect(state.options!.map((o) => [o.value, o.text.text, o.description])).toEqual([
      ["replied_tagged", "Replied, and were tagged…", { type: "plain_text", text: "1,234 reachable" }],
      ["replied_untagged", "Replied, with no tag", { type: "plain_text", text: "1 reachable" }],
      ["no_reply", "Were texted, never replied", { type: "plain_text", text: "0 reachable" }],
      ["clicked_link", "Clicked a link", { type: "plain_text", text: "7 reachable" }],
    ]);
    const tag = blockOf(view, "tag")!;
    expect(tag).toMatchObject({ type: "input", optional: true });
    expect(tag.element).toMatchObject({ type: "static_select", action_id: followUpAction("tag") });
    expect(tag.element!.options!.map((o) => [o.value, o.text.text])).toEqual([
      ["pledged", "pledged · 12 reachable"],
      ["moved", "moved · 0 reachable"],
    ]);
  });

  it("says there is no tag instead of showing a menu Slack would refuse", () => {
    const view = followUpModal("{}", "Spring GOTV", STATES, []);
    expect(blockOf(view, "tag")).toBeUndefined();
    expect(blockOf(view, "tag_none")!.elements![0]!.text).toBe("No conversation of this campaign has a tag yet.");
  });

  it("keeps within Slack's limits and escapes the campaign's name", () => {
    const tags = Array.from({ length: 150 }, (_, i) => ({ tag: `tag ${i} ${"x".repeat(40)}`, reachable: 1_000_000 }));
    const view = followUpModal("{}", "<!channel> & friends", STATES, tags);
    expect(blockOf(view, "tag")!.element!.options).toHaveLength(100);
    for (const option of blockOf(view, "tag")!.element!.options!)
      expect(option.text.text.length).toBeLessThanOrEqual(75);
    expect(view.title.text.length).toBeLessThanOrEqual(24);
    const text = JSON.stringify(view.blocks);
    expect(text).toContain("&lt;!channel&gt; &amp; friends");
    expect(text).not.toContain("<!channel>");
    const loading = followUpLoadingModal("{}", "<!here>");
    expect(loading.submit).toBeUndefined();
    expect(JSON.stringify(loading.blocks)).toContain("&lt;!here&gt;");
  });

  it("reads back what was picked", () => {
    const picked = (block: string, value: string) => ({
      [block]: {
        [followUpAction(block as "state")]: {
          type: "static_select",
          selected_option: { text: { type: "plain_text" as const, text: value }, value },
        },
      },
    });
    expect(readFollowUpChoice({ ...picked("state", "replied_tagged"), ...picked("tag", "pledged") })).toEqual({
      state: "replied_tagged",
      tag: "pledged",
    });
    expect(readFollowUpChoice({})).toEqual({ state: null, tag: null });
  });

  it("opens the campaign form with a note on where it comes from, when given one", () => {
    const choices = { segments: [{ id: "s1", name: "Spring GOTV - no reply" }], customFields: [] };
    const form = { ...EMPTY_CAMPAIGN_FORM, segmentId: "s1" };
    const noted = campaignModal("{}", "new", choices, form, "Saved the segment *x*.");
    expect(noted.blocks[0]).toEqual({ type: "section", text: { type: "mrkdwn", text: "Saved the segment *x*." } });
    expect(noted.blocks.slice(1)).toEqual(campaignModal("{}", "new", choices, form).blocks);
  });
});
