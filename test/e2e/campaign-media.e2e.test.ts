import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import {
  blockActionsPayload,
  interactionBody,
  postToSlackApp,
  slashCommandBody,
  viewSubmissionPayload,
} from "../fakes/signing";
import { PUBLIC_URL, SIGNING_SECRET, startHarness, type Harness } from "../support/app-harness";
import { channelPicked, chosen, numberTyped, ticked, typed } from "../support/campaign-form-state";
import { BACKENDS } from "../support/databases";
import { noisyJpeg, pdf } from "../support/media-fixtures";

jest.setTimeout(120_000);

const ORGANIZER = "U0ORGANIZER";
const VOLUNTEER = "U0ANA";
const CHANNEL = "C0ORGANIZE";
const MEDIA_HOST = "https://media.example.org";
// Monday Nov 30 2026, 10:00 in New York: inside the default sending hours.
const NOW = new Date("2026-11-30T15:00:00Z");

type Block = { elements?: Array<{ action_id?: string; value?: string }> };

/** The organizer's web host, where the media links point (reached through the app's fetch, as DNS would). */
async function startMediaHost(
  files: Record<string, { body: Buffer; type: string }>,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const file = files[req.url ?? ""];
    if (!file) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": file.type, "content-length": file.body.length }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe.each(BACKENDS)("campaign media: fetched, checked, compressed, served to Twilio (%s)", (_name, create) => {
  let h: Harness;
  let host: { url: string; server: Server };
  let photo: Buffer;
  let segmentId: string;

  beforeAll(async () => {
    photo = await noisyJpeg(2400, 1600);
    host = await startMediaHost({
      "/flyer.jpg": { body: photo, type: "image/jpeg" },
      "/agenda.pdf": { body: pdf(), type: "application/pdf" },
    });
    h = await startHarness(create, {
      clock: () => NOW,
      fetchMedia: (input, init) => fetch(String(input).replace(MEDIA_HOST, host.url), init),
    });
    await h.app.db.prisma.contact.createMany({
      data: ["+12125550301", "+12125550302"].map((phone, i) => ({
        phone,
        firstName: `Voter${i}`,
        state: "NY",
        zip: "10001",
        timeZone: "America/New_York",
        tags: ["mms"],
      })),
    });
    segmentId = (
      await h.app.db.prisma.segment.create({
        data: { name: "MMS voters", filter: { tags: { any: ["mms"] } }, createdBy: ORGANIZER },
      })
    ).id;
  });
  afterAll(async () => {
    await h?.close();
    await new Promise((resolve) => host?.server.close(resolve));
  });
  beforeEach(() => h.slack.reset());

  const slack = (body: string) => postToSlackApp(h.app.localUrl, { secret: SIGNING_SECRET, body });
  const submit = (name: string, mediaUrls: string) =>
    slack(
      interactionBody(
        viewSubmissionPayload({
          callbackId: "campaign_form",
          privateMetadata: JSON.stringify({ channelId: CHANNEL, mode: "new", fields: [] }),
          userId: ORGANIZER,
          values: {
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
            ...typed("scriptB", ""),
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
            ...typed("mediaUrls", mediaUrls),
          },
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
  const ephemeralStarting = (prefix: RegExp) =>
    // Compressing takes seconds: the organizer hears back after it, not within Slack's 3 s.
    h.slack.waitFor("chat.postEphemeral", (c) => prefix.test(String(c.args.text)), 60_000);

  it("compresses a linked photo, shows its size before and after, prices MMS, and sends it as PUBLIC_URL/media/<id>", async () => {
    expect((await submit("Flyer drive", `${MEDIA_HOST}/flyer.jpg`)).status).toBe(200);
    const media = await ephemeralStarting(/Media for \*Flyer drive\* checked and ready/);
    expect(String(media.args.text)).toContain("checked and ready: each text carries this picture as an MMS.");
    const mb = (photo.length / (1024 * 1024)).toFixed(1);
    expect(String(media.args.text)).toMatch(
      new RegExp(`flyer\\.jpg: ${mb.replace(".", "\\.")} MB → \\*\\d+ KB\\* JPEG`),
    );

    const campaign = await h.app.db.prisma.campaign.findUniqueOrThrow({ where: { name: "Flyer drive" } });
    expect(campaign.mediaIds).toHaveLength(1);
    const stored = await h.app.db.prisma.media.findUniqueOrThrow({ where: { id: campaign.mediaIds[0]! } });
    expect(stored).toMatchObject({ originalBytes: photo.length, contentType: "image/jpeg", createdBy: ORGANIZER });
    expect(stored.bytes).toBeLessThanOrEqual(614_400);

    const summary = await ephemeralStarting(/^Flyer drive \(/);
    expect(JSON.stringify(summary.args.blocks)).toMatch(/~2 contacts · ~2 MMS · ~\$0\.04 at \$0\.02\/MMS/);

    await command("launch Flyer drive", ORGANIZER, "launch");
    await h.slack.waitFor("response_url", (c) => c.args.responseId === "launch");
    await command("send Flyer drive", VOLUNTEER, "card");
    const card = (await h.slack.waitFor("response_url", (c) => c.args.responseId === "card")).args as {
      blocks: Block[];
    };
    const send = card.blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === "texting_send");
    await slack(
      interactionBody(
        blockActionsPayload({
          actionId: "texting_send",
          value: send!.value!,
          userId: VOLUNTEER,
          channelId: CHANNEL,
          responseUrl: h.slack.responseUrl("sent"),
        }),
      ),
    );
    await h.slack.waitFor("response_url", (c) => c.args.responseId === "sent");
    expect(h.twilio.messages).toHaveLength(1);
    const servedUrl = `${PUBLIC_URL}/media/${stored.id}`;
    expect(h.twilio.messages[0]!.mediaUrls).toEqual([servedUrl]);
    const message = await h.app.db.prisma.message.findFirstOrThrow({ where: { direction: "outbound" } });
    expect(message.mediaIds).toEqual([stored.id]);

    // What Twilio gets when it fetches that URL (PUBLIC_URL stands for this app).
    const res = await fetch(servedUrl.replace(PUBLIC_URL, h.app.localUrl));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/jpeg");
    const served = Buffer.from(await res.arrayBuffer());
    expect(served.length).toBe(stored.bytes);
    expect((await sharp(served).metadata()).format).toBe("jpeg");
  });

  it("refuses a PDF and a dead link, saying why for each, and blocks the launch until they are fixed", async () => {
    await submit("Bad media", `${MEDIA_HOST}/agenda.pdf\n${MEDIA_HOST}/gone.jpg`);
    const media = await ephemeralStarting(/media links of \*Bad media\* cannot be sent/);
    const text = String(media.args.text);
    expect(text).toContain("agenda.pdf: A PDF cannot be sent by text. Send a link to it instead");
    expect(text).toMatch(/gone\.jpg: https:\/\/media\.example\.org\/gone\.jpg answered 404/);
    const campaign = await h.app.db.prisma.campaign.findUniqueOrThrow({ where: { name: "Bad media" } });
    expect(campaign.mediaIds).toEqual([]);

    await command("launch Bad media", ORGANIZER, "blocked");
    const blocked = await h.slack.waitFor("response_url", (c) => c.args.responseId === "blocked");
    expect(JSON.stringify(blocked.args)).toContain("2 of 2 media links are not ready");
    expect((await h.app.db.prisma.campaign.findUniqueOrThrow({ where: { name: "Bad media" } })).status).toBe("draft");
  });
});
