import { EMPTY_CAMPAIGN_FORM } from "../../../src/domain/campaign-form";
import { campaignReportMessage } from "../../../src/slack/blocks/campaign-messages";
import { campaignModal, campaignNeedsSegmentModal, modalMetadata } from "../../../src/slack/blocks/campaign-modal";
import type { CampaignReport } from "../../../src/services/campaign-report";

describe("campaign blocks", () => {
  it("keeps private_metadata under Slack's 3,000 characters however many custom fields there are", () => {
    const fields = Array.from({ length: 400 }, (_, i) => `Custom column number ${i}`);
    const metadata = modalMetadata({ channelId: "C1", mode: "new" }, fields);
    expect(metadata.length).toBeLessThanOrEqual(3_000);
    const kept = (JSON.parse(metadata) as { fields: string[] }).fields;
    expect(kept.length).toBeGreaterThan(50);
    expect(kept).toEqual(fields.slice(0, kept.length));
  });

  it("builds a form within Slack's limits, one block per field, with the saved values filled in", () => {
    const view = campaignModal(
      "{}",
      "edit",
      { segments: Array.from({ length: 150 }, (_, i) => ({ id: `s${i}`, name: `Segment ${i}` })), customFields: [] },
      {
        ...EMPTY_CAMPAIGN_FORM,
        name: "GOTV",
        goalType: "turnout",
        segmentId: "s3",
        addMissing: true,
      },
    );
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    const ids = view.blocks.flatMap((b) => (b.block_id ? [b.block_id] : []));
    expect(new Set(ids).size).toBe(ids.length);
    const element = (id: string) =>
      (view.blocks.find((b) => b.block_id === id) as unknown as { element: Record<string, unknown> }).element;
    expect(element("segment").options).toHaveLength(100); // Slack's static_select limit
    expect(element("segment").initial_option).toMatchObject({ value: "s3" });
    expect(element("goalType").initial_option).toMatchObject({ value: "turnout" });
    expect(element("addMissing").initial_options).toHaveLength(1);
    expect(view.submit).toEqual({ type: "plain_text", text: "Save changes" });
    expect(view.title.text.length).toBeLessThanOrEqual(24);
  });

  it("offers the daily digest time in half hours from 7 AM to 8 PM, keeping a time stored some other way", () => {
    const form = (digestTime: string | null) =>
      campaignModal("{}", "edit", { segments: [], customFields: [] }, { ...EMPTY_CAMPAIGN_FORM, digestTime });
    const select = (digestTime: string | null) =>
      (
        form(digestTime).blocks.find((b) => b.block_id === "digestTime") as unknown as {
          optional: boolean;
          element: { options: { text: { text: string }; value: string }[]; initial_option?: { value: string } };
        }
      ).element;
    const options = select("570").options;
    expect(options).toHaveLength(27);
    expect(options[0]).toMatchObject({ text: { text: "7:00 AM" }, value: "420" });
    expect(options.at(-1)).toMatchObject({ text: { text: "8:00 PM" }, value: "1200" });
    expect(select("570").initial_option).toMatchObject({ text: { text: "9:30 AM" }, value: "570" });
    const kept = select("495");
    expect(kept.options).toHaveLength(28);
    expect(kept.initial_option).toMatchObject({ text: { text: "8:15 AM" }, value: "495" });
  });

  it("offers no form to save when there is no segment, only how to make one", () => {
    const view = campaignNeedsSegmentModal("{}");
    expect(view.submit).toBeUndefined();
    expect(JSON.stringify(view.blocks)).toContain("/segment new");
  });

  it("keeps a report with many findings within 50 blocks and escapes what organizers typed", () => {
    const report = {
      campaign: {
        id: "c1",
        name: "<!channel> drive",
        status: "draft",
        goalType: "turnout",
        goalTarget: 5,
        goalOutcomeTag: "yes",
        callToAction: "Vote",
        senderIdentity: "Sam & co",
        helpText: null,
        conversationChannelId: "C2",
        digestMinute: null,
        quietHoursPolicy: null,
        frequencyCapCount: 3,
        frequencyCapDays: 7,
        mediaUrls: [],
        mediaIds: [],
        mediaFileIds: [],
        createdBy: "U1",
        createdAt: new Date(),
        segment: null,
        scripts: [],
      },
      audience: null,
      variants: [],
      findings: Array.from({ length: 80 }, (_, i) => ({
        severity: "error" as const,
        about: `Script ${i}`,
        message: "Problem <@U123>",
      })),
      progress: {
        queued: 0,
        sent: 0,
        skipped: 0,
        deferred: 0,
        replies: 0,
        goal: { outcomeTag: "pledged", target: 10, reached: 0, share: 0 },
      },
      capExposure: null,
      pricePerSegmentUsd: 0.0083,
      pricePerMmsUsd: 0.02,
      timeZone: "America/New_York",
    } satisfies CampaignReport;
    const message = campaignReportMessage(report);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    const text = JSON.stringify(message.blocks);
    expect(text).not.toContain("<!channel>");
    expect(text).not.toContain("<@U123>");
    expect(text).toContain("&lt;!channel&gt; drive");
    expect(text).toContain("…and 65 more");
  });
});
