import { cannedReplyModal, cannedReplySavedMessage, MAX_CANNED_MEDIA } from "../../../src/slack/blocks/canned-reply";

describe("the canned-reply form", () => {
  const metadata = JSON.stringify({ channelId: "C0ORG", campaignId: "c1", fields: [] });

  it("takes up to ten pictures or videos as files or links, both optional, and lists what saved replies carry", () => {
    const view = cannedReplyModal(metadata, "Spring GOTV", [{ title: "Flyer", body: "Here it is", mediaCount: 2 }], []);
    const blocks = view.blocks as Array<{ block_id?: string; optional?: boolean; element?: Record<string, unknown> }>;
    const files = blocks.find((b) => b.block_id === "files")!;
    expect(files.optional).toBe(true);
    expect(files.element).toMatchObject({ type: "file_input", action_id: "canned.files", max_files: MAX_CANNED_MEDIA });
    const links = blocks.find((b) => b.block_id === "links")!;
    expect(links.optional).toBe(true);
    expect(links.element).toMatchObject({ type: "plain_text_input", multiline: true, action_id: "canned.links" });
    expect(JSON.stringify(view)).toContain(":frame_with_picture: 2");
  });

  it("shown again after a refused file: what was typed, and why nothing was saved", () => {
    const view = cannedReplyModal(metadata, "Spring GOTV", [], [], {
      title: "Flyer",
      body: "Here it is",
      links: "https://example.org/a.jpg",
      refused: "“a.pdf”: A PDF cannot be sent by text.",
    });
    const json = JSON.stringify(view);
    expect(json).toContain('"initial_value":"Flyer"');
    expect(json).toContain('"initial_value":"https://example.org/a.jpg"');
    expect(json).toContain("Nothing was saved. “a.pdf”: A PDF cannot be sent by text.");
  });

  it("the confirmation gives each item's size before and after, or stays as it was without media", () => {
    const saved = cannedReplySavedMessage("Spring GOTV", "Flyer", [
      { label: "flyer.jpg", ok: true, originalBytes: 4_200_000, bytes: 580_000, contentType: "image/jpeg" },
    ]);
    expect(saved.text).toContain("1. :white_check_mark: flyer.jpg: 4.0 MB → *566 KB* JPEG");
    expect(cannedReplySavedMessage("Spring GOTV", "Flyer").text).not.toContain("picture message");
  });
});
