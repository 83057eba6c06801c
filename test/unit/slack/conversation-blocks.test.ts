import { slackThreadRenderer } from "../../../src/slack/blocks/conversation";

const view = {
  conversationId: "c1",
  campaignName: "GOTV",
  contactName: "<!channel> Bob @here",
  maskedPhone: "•••-•••-0101",
  tags: ["pledged"],
  assignee: null,
  optedOut: false,
  followUpAt: null,
  firstText: "Hi <@U1>, vote!",
  outcomeTag: "pledged",
  cannedReplies: [{ id: "r1", title: "Polling place" }],
};

describe("thread messages", () => {
  it("keep names and texts from imports and voters inert in the root", () => {
    const root = slackThreadRenderer.root(view);
    const json = JSON.stringify(root);
    expect(json).not.toContain("<!channel>");
    expect(json).not.toContain("<@U1>");
    expect(root.text).toBe("&lt;!channel&gt; Bob @\u2060here (•••-•••-0101) replied to GOTV");
  });

  it("offer the controls, with the canned replies and the outcome tag, and none once opted out", () => {
    const actions = (
      JSON.parse(JSON.stringify(slackThreadRenderer.root(view))) as {
        blocks: { block_id?: string; elements?: { action_id: string; options?: { value: string }[] }[] }[];
      }
    ).blocks.find((b) => b.block_id === "thread_controls")!;
    expect(actions.elements!.map((e) => e.action_id)).toEqual([
      "thread_assign",
      "thread_tag",
      "thread_follow_up",
      "thread_canned",
      "thread_show_phone",
      "thread_opt_out",
    ]);
    expect(actions.elements![1]!.options![0]!.value).toBe("c1|pledged");
    expect(JSON.stringify(slackThreadRenderer.root({ ...view, optedOut: true }))).not.toContain("thread_controls");
  });

  it("post a voter's text under their name, unparsed and unfurled", () => {
    expect(
      slackThreadRenderer.voterText({ contactName: "Dana", body: "<https://x.example|bank> @channel", mediaUrls: [] }),
    ).toEqual({
      text: "&lt;https://x.example|bank&gt; @\u2060channel",
      username: "Dana",
      icon_emoji: ":iphone:",
      unfurl_links: false,
      unfurl_media: false,
      parse: "none",
    });
  });
});
