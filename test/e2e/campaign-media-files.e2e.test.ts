import {
  blockActionsPayload,
  interactionBody,
  postToSlackApp,
  slashCommandBody,
  viewSubmissionPayload,
} from "../fakes/signing";
import type { SlackFile } from "../fakes/slack-api";
import { BOT_TOKEN, PUBLIC_URL, SIGNING_SECRET, startHarness, type Harness } from "../support/app-harness";
import { channelPicked, chosen, filesChosen, numberTyped, ticked, typed } from "../support/campaign-form-state";
import { BACKENDS } from "../support/databases";
import { corruptJpeg, noisyJpeg } from "../support/media-fixtures";

/**
 * Files attached in the campaign modal (Slack's file input): read with the bot token, fitted to a
 * text and stored before the campaign is saved; a variant ticked "text only" sends without them,
 * and the report compares the two like any variants.
 */

jest.setTimeout(180_000);

const ORGANIZER = "U0ORGANIZER";
const VOLUNTEER = "U0ANA";
const CHANNEL = "C0ORGANIZE";
// Monday Nov 30 2026, 10:00 in New York: inside the default sending hours.
const NOW = new Date("2026-11-30T15:00:00Z");
const PHONES = ["+12125550401", "+12125550402"];

type Block = { block_id?: string; text?: { text?: string }; elements?: Array<{ action_id?: string; value?: string }> };
type Card = { text?: string; blocks: Block[] };

describe.each(BACKENDS)("campaign files from the modal, per-variant media (%s)", (_name, create) => {
  let h: Harness;
  let photo: Buffer;
  let segmentId: string;

  beforeAll(async () => {
    photo = await noisyJpeg(1400, 1000); // about 1.1 MB: over the 600 KB limit (so it is fitted), shown in MB, quick to fit
    h = await startHarness(create, { clock: () => NOW });
    await h.app.db.prisma.contact.createMany({
      data: PHONES.map((phone, i) => ({
        phone,
        firstName: `Voter${i}`,
        state: "NY",
        zip: "10001",
        timeZone: "America/New_York",
        tags: ["ab-media"],
      })),
    });
    segmentId = (
      await h.app.db.prisma.segment.create({
        data: { name: "A/B media voters", filter: { tags: { any: ["ab-media"] } }, createdBy: ORGANIZER },
      })
    ).id;
  });
  afterAll(() => h?.close());
  beforeEach(() => h.slack.reset());

  const slack = (body: string) => postToSlackApp(h.app.localUrl, { secret: SIGNING_SECRET, body });
  const formValues = (name: string, files: SlackFile[], textOnly: string[] = []) => ({
    ...typed("name", name),
    ...chosen("goalType", "turnout"),
    ...numberTyped("goalTarget", "10"),
    ...typed("goalOutcomeTag", "pledged"),
    ...typed("callToAction", "Will you vote on Nov 3?"),
    ...typed("senderIdentity", "Sam with Neighbors for B"),
    ...typed(
      "scriptA",
      "Hi {firstName}, this is Sam with Neighbors for B. Will you vote on Nov 3? Reply STOP to opt out.",
    ),
    ...typed(
      "scriptB",
      "Hello {firstName}! Sam with Neighbors for B here. Will you vote on Nov 3? Reply STOP to opt out.",
    ),
    ...typed("scriptC", ""),
    ...typed("scriptD", ""),
    ...ticked("addMissing", []),
    ...typed("followUp1", ""),
    ...typed("followUp2", ""),
    ...channelPicked("channel", "C0REPLIES"),
    ...chosen("segment", segmentId),
    ...chosen("sendWindow", "standard"),
    ...numberTyped("capCount", "3"),
    ...numberTyped("capDays", "7"),
    ...typed("helpText", ""),
    ...typed("mediaUrls", ""),
    ...filesChosen("mediaFiles", files),
    ...ticked("textOnly", textOnly),
  });
  const submit = (name: string, opts: { files: SlackFile[]; textOnly?: string[]; viewId?: string }) =>
    slack(
      interactionBody(
        viewSubmissionPayload({
          callbackId: "campaign_form",
          viewId: opts.viewId,
          privateMetadata: JSON.stringify({ channelId: CHANNEL, mode: "new", fields: [] }),
          userId: ORGANIZER,
          values: formValues(name, opts.files, opts.textOnly),
        }),
      ),
    );
  const command = (text: string, user: string, responseId: string) =>
    slack(
      slashCommandBody({
        command: "/campaign",
        text,
        channel_id: CHANNEL,
        user_id: user,
        response_url: h.slack.responseUrl(responseId),
      }),
    );
  const answer = async (responseId: string) =>
    (await h.slack.waitFor("response_url", (c) => c.args.responseId === responseId, 30_000)).args as Card;
  const ephemeral = (pattern: RegExp) =>
    // Compressing takes seconds: the organizer hears back after it, not within Slack's 3 s.
    h.slack.waitFor("chat.postEphemeral", (c) => pattern.test(String(c.args.text)), 60_000);
  async function sendNext(card: Card, responseId: string): Promise<Card> {
    const send = card.blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === "texting_send");
    if (!send?.value) throw new Error(`no send button on: ${card.text}`);
    await slack(
      interactionBody(
        blockActionsPayload({
          actionId: "texting_send",
          value: send.value,
          userId: VOLUNTEER,
          channelId: CHANNEL,
          responseUrl: h.slack.responseUrl(responseId),
        }),
      ),
    );
    return answer(responseId);
  }

  it("reads an attached photo with the bot token, fits and stores it, and sends it with script A only; the report compares A (media) with B (text only)", async () => {
    const file = h.slack.addFile({ name: "flyer.jpg", bytes: photo, mimetype: "image/jpeg", user: ORGANIZER });
    const submitted = await submit("File drive", { files: [file], textOnly: ["B"], viewId: "V0FILEFORM" });
    expect(submitted.status).toBe(200);
    // Fitting takes longer than Slack's 3 seconds: the modal says so at once.
    expect(submitted.json).toMatchObject({ response_action: "update" });
    expect(JSON.stringify(submitted.json)).toContain("Checking the file");

    const saved = await h.slack.waitFor("views.update", (c) => c.args.view_id === "V0FILEFORM", 60_000);
    expect(JSON.stringify(saved.args.view)).toContain("Saved *File drive*");
    const downloads = h.slack.callsTo("file_download");
    expect(downloads.map((d) => [d.args.fileId, d.token])).toEqual([[file.id, BOT_TOKEN]]);

    const media = await ephemeral(/Media for \*File drive\* checked and ready/);
    expect(String(media.args.text)).toMatch(
      /: the first texts of script A carry this picture as an MMS\b.*; script B goes text only\./,
    );
    const mb = (photo.length / (1024 * 1024)).toFixed(1);
    expect(String(media.args.text)).toMatch(
      new RegExp(`flyer\\.jpg: ${mb.replace(".", "\\.")} MB → \\*\\d+ KB\\* JPEG`),
    );

    const campaign = await h.app.db.prisma.campaign.findUniqueOrThrow({
      where: { name: "File drive" },
      include: { scripts: true },
    });
    expect(campaign.mediaUrls).toEqual([]);
    expect(campaign.mediaFileIds).toHaveLength(1);
    expect(campaign.scripts.map((s) => [s.label, s.textOnly]).sort()).toEqual([
      ["A", false],
      ["B", true],
    ]);
    const stored = await h.app.db.prisma.media.findUniqueOrThrow({ where: { id: campaign.mediaFileIds[0]! } });
    expect(stored).toMatchObject({
      name: "flyer.jpg",
      originalBytes: photo.length,
      contentType: "image/jpeg",
      createdBy: ORGANIZER,
    });
    expect(stored.bytes).toBeLessThanOrEqual(614_400);

    // Priced per variant: A as MMS, B as SMS segments.
    const summary = await ephemeral(/^File drive \(/);
    const summaryText = JSON.stringify(summary.args.blocks);
    expect(summaryText).toMatch(/~1 contacts · ~1 MMS · ~\$0\.02 at \$0\.02\/MMS/);
    expect(summaryText).toMatch(/~1 contacts · ~1 segments · /);

    await command("launch File drive", ORGANIZER, "launch");
    await answer("launch");
    await command("send File drive", VOLUNTEER, "card");
    const next = await sendNext(await answer("card"), "sent-1");
    await sendNext(next, "sent-2");
    expect(h.twilio.messages).toHaveLength(2);

    const servedUrl = `${PUBLIC_URL}/media/${stored.id}`;
    const entries = await h.app.db.prisma.campaignContact.findMany({
      where: { campaignId: campaign.id },
      select: { contact: { select: { phone: true } }, variant: { select: { label: true } } },
    });
    const variantOf = new Map(entries.map((e) => [e.contact.phone, e.variant?.label]));
    const sent = h.twilio.messages.map((m) => [variantOf.get(m.to), m.mediaUrls]).sort();
    expect(sent).toEqual([
      ["A", [servedUrl]],
      ["B", []],
    ]);
    const messages = await h.app.db.prisma.message.findMany({
      where: { campaignId: campaign.id, direction: "outbound" },
      select: { toPhone: true, mediaIds: true },
    });
    expect(messages.map((m) => [variantOf.get(m.toPhone), m.mediaIds]).sort()).toEqual([
      ["A", [stored.id]],
      ["B", []],
    ]);
    const res = await fetch(servedUrl.replace(PUBLIC_URL, h.app.localUrl));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/jpeg");
    expect(Number(res.headers.get("content-length"))).toBe(stored.bytes);

    await command("report File drive", ORGANIZER, "report");
    const report = JSON.stringify((await answer("report")).blocks);
    expect(report).toContain("*Variant A* · :frame_with_picture: with media · 1 texted");
    expect(report).toContain("*Variant B* · text only · 1 texted");
  });

  it("refuses a file that cannot be fitted in the modal, saying why, and saves nothing; the good file stays attached", async () => {
    const good = h.slack.addFile({ name: "good.jpg", bytes: photo, mimetype: "image/jpeg", user: ORGANIZER });
    const broken = h.slack.addFile({
      name: "broken.jpg",
      bytes: corruptJpeg(),
      mimetype: "image/jpeg",
      user: ORGANIZER,
    });
    const submitted = await submit("Broken drive", { files: [good, broken], viewId: "V0BROKENFORM" });
    expect(submitted.json).toMatchObject({ response_action: "update" });

    const again = await h.slack.waitFor("views.update", (c) => c.args.view_id === "V0BROKENFORM", 60_000);
    const view = again.args.view as { blocks: Block[]; submit?: unknown };
    const text = JSON.stringify(view.blocks);
    expect(text).toMatch(
      /:x: \*broken\.jpg\*: [^"]*\. [^"]*Nothing was saved\. The files that fit are attached below\./,
    );
    expect(view.submit).toBeDefined();
    const attached = view.blocks.find((b) => b.block_id === "attachedMedia") as unknown as {
      element: { options: { text: { text: string }; value: string }[]; initial_options: { value: string }[] };
    };
    expect(attached.element.options).toHaveLength(1);
    expect(attached.element.options[0]!.text.text).toMatch(/^good\.jpg · [\d.]+ MB → \d+ KB$/);
    expect(attached.element.initial_options).toEqual([
      expect.objectContaining({ value: attached.element.options[0]!.value }),
    ]);
    // What was typed comes back filled in.
    expect(text).toContain("Sam with Neighbors for B here");

    expect(await h.app.db.prisma.campaign.findUnique({ where: { name: "Broken drive" } })).toBeNull();
  });

  it("keeps attached files through /campaign edit, and removes one when it is unticked", async () => {
    const file = h.slack.addFile({ name: "poster.jpg", bytes: photo, mimetype: "image/jpeg", user: ORGANIZER });
    await submit("Edit drive", { files: [file], viewId: "V0EDITDRIVE" });
    await ephemeral(/Media for \*Edit drive\* checked and ready/);
    const campaign = await h.app.db.prisma.campaign.findUniqueOrThrow({ where: { name: "Edit drive" } });
    const [mediaId] = campaign.mediaFileIds;

    await slack(
      slashCommandBody({ command: "/campaign", text: "edit Edit drive", channel_id: CHANNEL, user_id: ORGANIZER }),
    );
    const form = await h.slack.waitFor("views.update", (c) => JSON.stringify(c.args.view).includes('"attachedMedia"'));
    const view = form.args.view as { id?: string; blocks: Block[]; private_metadata: string };
    const attached = view.blocks.find((b) => b.block_id === "attachedMedia") as unknown as {
      element: { options: { text: { text: string }; value: string }[]; initial_options: { value: string }[] };
    };
    expect(attached.element.options.map((o) => o.value)).toEqual([mediaId]);
    expect(attached.element.options[0]!.text.text).toMatch(/^poster\.jpg · [\d.]+ MB → \d+ KB$/);
    expect(attached.element.initial_options.map((o) => o.value)).toEqual([mediaId]);

    // Saved again with the box still ticked and no new file: the file stays.
    const edit = (attachedMedia: string[]) =>
      slack(
        interactionBody(
          viewSubmissionPayload({
            callbackId: "campaign_form",
            privateMetadata: view.private_metadata,
            userId: ORGANIZER,
            values: {
              ...formValues("Edit drive", []),
              ...ticked("attachedMedia", attachedMedia),
            },
          }),
        ),
      );
    expect((await edit([mediaId!])).text).toBe("");
    expect((await h.app.db.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } })).mediaFileIds).toEqual([
      mediaId,
    ]);
    expect((await edit([])).text).toBe("");
    expect((await h.app.db.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } })).mediaFileIds).toEqual([]);
  });

  it("refuses a file that is not a picture or a video at once, under the file input", async () => {
    const minutes = h.slack.addFile({ name: "minutes.pdf", bytes: Buffer.from("%PDF-1.4"), user: ORGANIZER });
    const submitted = await submit("PDF drive", { files: [minutes] });
    expect(submitted.json).toEqual({
      response_action: "errors",
      errors: { mediaFiles: expect.stringMatching(/^“minutes\.pdf” is not a picture or a video/) },
    });
    expect(h.slack.callsTo("file_download")).toEqual([]);
    expect(await h.app.db.prisma.campaign.findUnique({ where: { name: "PDF drive" } })).toBeNull();
  });
});
