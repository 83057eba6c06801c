import { EMPTY_CAMPAIGN_FORM } from "../../../src/domain/campaign-form";
import { campaignModal } from "../../../src/slack/blocks/campaign-modal";
import { readCampaignForm } from "../../../src/slack/campaign-form";
import type { ViewStateValues } from "../../../src/slack/segment-form";

/** A file as Slack puts it in a file_input's `files` in view_submission state (fields we do not read left out). */
const slackFile = (id: string, name: string, mimetype: string) => ({
  id,
  name,
  title: name,
  mimetype,
  filetype: name.split(".").pop(),
  size: 120_000,
  url_private: `https://files.slack.com/files-pri/T1-${id}/${name}`,
  url_private_download: `https://files.slack.com/files-pri/T1-${id}/download/${name}`,
});

describe("readCampaignForm: media", () => {
  it("reads the chosen files, the attached files still ticked and the scripts ticked text only", () => {
    const values = {
      mediaUrls: { "campaign.mediaUrls": { type: "plain_text_input", value: "https://example.org/a.jpg" } },
      mediaFiles: {
        "campaign.mediaFiles": {
          type: "file_input",
          files: [slackFile("F1", "flyer.jpg", "image/jpeg"), slackFile("F2", "rally.mov", "video/quicktime")],
        },
      },
      attachedMedia: {
        "campaign.attachedMedia": {
          type: "checkboxes",
          selected_options: [{ text: { type: "plain_text", text: "old.png · 2 MB → 300 KB" }, value: "m1" }],
        },
      },
      textOnly: {
        "campaign.textOnly": {
          type: "checkboxes",
          selected_options: [{ text: { type: "plain_text", text: "Script B: text only" }, value: "B" }],
        },
      },
    } as unknown as ViewStateValues;
    const form = readCampaignForm(values);
    expect(form.mediaUrls).toBe("https://example.org/a.jpg");
    expect(form.mediaFiles).toEqual([
      { id: "F1", name: "flyer.jpg", mimetype: "image/jpeg" },
      { id: "F2", name: "rally.mov", mimetype: "video/quicktime" },
    ]);
    expect(form.attachedMediaIds).toEqual(["m1"]);
    expect(form.textOnly).toEqual(["B"]);
  });

  it("reads nothing attached when the file input is left empty (Slack sends an empty list)", () => {
    const form = readCampaignForm({
      mediaFiles: { "campaign.mediaFiles": { type: "file_input", files: [] } },
    } as unknown as ViewStateValues);
    expect(form).toMatchObject({ mediaFiles: [], attachedMediaIds: [], textOnly: [] });
  });
});

describe("campaignModal: media", () => {
  const element = (view: ReturnType<typeof campaignModal>, id: string) =>
    (view.blocks.find((b) => b.block_id === id) as unknown as { element: Record<string, unknown> } | undefined)
      ?.element;

  it("shows files attached before as ticked boxes with their sizes, and leaves room in the file input for the rest", () => {
    const view = campaignModal(
      "{}",
      "edit",
      {
        segments: [],
        customFields: [],
        attachedMedia: [
          { id: "m1", name: "flyer.jpg", bytes: 400 * 1024, originalBytes: 3 * 1024 * 1024 },
          { id: "m2", name: "rally.mp4", bytes: 580 * 1024, originalBytes: 9 * 1024 * 1024 },
        ],
      },
      { ...EMPTY_CAMPAIGN_FORM, attachedMediaIds: ["m1", "m2"], textOnly: ["B"] },
    );
    expect(element(view, "attachedMedia")).toMatchObject({
      type: "checkboxes",
      options: [
        { text: { text: "flyer.jpg · 3.0 MB → 400 KB" }, value: "m1" },
        { text: { text: "rally.mp4 · 9.0 MB → 580 KB" }, value: "m2" },
      ],
      initial_options: [{ value: "m1" }, { value: "m2" }],
    });
    expect(element(view, "mediaFiles")).toMatchObject({ type: "file_input", max_files: 8 });
    expect((element(view, "mediaFiles")!.filetypes as string[]).sort()).toEqual(
      ["gif", "heic", "jpeg", "jpg", "mov", "mp4", "png", "webm", "webp"].sort(),
    );
    expect(element(view, "textOnly")).toMatchObject({ initial_options: [{ value: "B" }] });
    expect(view.blocks.length).toBeLessThanOrEqual(100);
  });

  it("has no attached-files box when nothing is attached", () => {
    const view = campaignModal("{}", "new", { segments: [], customFields: [] }, EMPTY_CAMPAIGN_FORM);
    expect(element(view, "attachedMedia")).toBeUndefined();
    expect(element(view, "mediaFiles")).toMatchObject({ type: "file_input", max_files: 10 });
  });
});
