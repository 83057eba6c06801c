import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { jobDeps } from "../../src/app";
import { JOBS, runJob } from "../../src/jobs/scheduler";
import { MAX_MEDIA_COPY_ATTEMPTS } from "../../src/services/inbound-media";
import { createTwilioGateway } from "../../src/sms/twilio-gateway";
import {
  blockActionsPayload,
  eventBody,
  messageEvent,
  inboundSmsParams,
  interactionBody,
  postToSlackApp,
  postTwilioWebhook,
  slashCommandBody,
  viewSubmissionPayload,
} from "../fakes/signing";
import type { SlackCall } from "../fakes/slack-api";
import { PUBLIC_URL, SENDER, SIGNING_SECRET, startHarness, type Harness } from "../support/app-harness";
import { launchedCampaign } from "../support/campaigns";
import { BACKENDS } from "../support/databases";
import { noisyJpeg, pdf, video } from "../support/media-fixtures";

jest.setTimeout(120_000);

const ORGANIZER = "U0ORGANIZER";
const ANA = "U0ANA";
const REPLIES = "C0REPLIES";
const MONDAY_10AM_NY = new Date("2026-11-30T15:00:00Z");
/** Canned replies' media links point here; the test's own server answers them. */
const MEDIA_HOST = "https://media.example.org";
type Posted = {
  text?: string;
  thread_ts?: string;
  blocks?: Array<{ elements?: Array<{ action_id?: string; value?: string }> }>;
};

describe.each(BACKENDS)(
  "media in conversations: voters' pictures into the thread, volunteers' files out as MMS (%s)",
  (_name, create) => {
    let h: Harness;
    let now = MONDAY_10AM_NY;
    let linked: Buffer;
    let host: Server;
    let hostUrl: string;

    beforeAll(async () => {
      linked = await noisyJpeg(1200, 900);
      host = createServer((_req, res) => {
        res.writeHead(200, { "content-type": "image/jpeg", "content-length": linked.length }).end(linked);
      });
      await new Promise<void>((resolve) => host.listen(0, "127.0.0.1", resolve));
      hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
      // The test runs the copier itself (at times it chooses), so the app's cron leaves it alone.
      h = await startHarness(create, {
        clock: () => now,
        scheduledJobs: JOBS.filter((j) => j.name !== "copy-inbound-media"),
        fetchMedia: (input, init) => fetch(String(input).replace(MEDIA_HOST, hostUrl), init),
      });
    });
    afterAll(async () => {
      await h?.close();
      await new Promise((resolve) => host?.close(resolve));
    });

    const slack = (body: string) => postToSlackApp(h.app.localUrl, { secret: SIGNING_SECRET, body });
    const mms = (from: string, body: string, media: Array<{ url: string; contentType: string }>) =>
      postTwilioWebhook(h.app.localUrl, PUBLIC_URL, "/twilio/sms", h.config.twilio.authToken, {
        ...inboundSmsParams({ from, to: SENDER, body, media }),
      });
    const threadPost = (predicate: (m: Posted) => boolean) =>
      h.slack.waitFor(
        "chat.postMessage",
        (c: SlackCall) => c.args.channel === REPLIES && c.status === 200 && predicate(c.args as Posted),
        15_000,
      );

    /** The copier job as the scheduler runs it (under its lock; a cron tick holding it meanwhile is waited out). */
    async function runCopier(): Promise<Record<string, unknown>> {
      const job = JOBS.find((j) => j.name === "copy-inbound-media")!;
      const sms = createTwilioGateway({ ...h.config.twilio }, PUBLIC_URL);
      const deps = jobDeps({ db: h.app.db, logger: pino({ level: "silent" }), sms, clock: () => now }, h.config);
      for (;;) {
        const outcome = await runJob(deps, job);
        if (outcome.ran) return outcome.result;
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    /** A contact texted once by a running campaign (Ana clicked Send), so their reply opens a thread. */
    async function texted(name: string, phone: string): Promise<void> {
      await h.app.db.prisma.contact.create({
        data: { phone, firstName: "Dana", zip: "10001", state: "NY", timeZone: "America/New_York", tags: [name] },
      });
      await launchedCampaign(h.app.db, { name, tag: name, createdBy: ORGANIZER, form: { channelId: REPLIES } });
      await slack(
        slashCommandBody({
          command: "/campaign",
          text: `send ${name}`,
          user_id: ANA,
          response_url: h.slack.responseUrl(`${name}-card`),
        }),
      );
      const card = (await h.slack.waitFor("response_url", (c) => c.args.responseId === `${name}-card`)).args as Posted;
      const send = card.blocks!.flatMap((b) => b.elements ?? []).find((e) => e.action_id === "texting_send")!;
      await slack(
        interactionBody(
          blockActionsPayload({
            actionId: "texting_send",
            value: send.value!,
            userId: ANA,
            responseUrl: h.slack.responseUrl(`${name}-sent`),
          }),
        ),
      );
      await h.slack.waitFor("response_url", (c) => c.args.responseId === `${name}-sent`);
    }

    it("posts the text without waiting, then uploads the photo into the same thread (files v2) and stores it with the message", async () => {
      await texted("photos", "+12125550401");
      const photo = await noisyJpeg(800, 600, 80);
      const url = h.twilio.hostMedia(photo, "image/jpeg");
      expect((await mms("+12125550401", "This is my polling place", [{ url, contentType: "image/jpeg" }])).status).toBe(
        200,
      );

      const voterText = await threadPost(
        (m) => Boolean(m.thread_ts) && String(m.text).includes("This is my polling place"),
      );
      const threadTs = (voterText.args as Posted).thread_ts!;
      const message = await h.app.db.prisma.message.findFirstOrThrow({
        where: { direction: "inbound", fromPhone: "+12125550401" },
      });
      expect(message.mediaIds).toEqual([]); // the text went first; the picture is the copier's job

      expect(await runCopier()).toMatchObject({ copied: 1 });
      const completed = await h.slack.waitFor("files.completeUploadExternal", (c) => c.args.channel_id === REPLIES);
      expect(completed.args.thread_ts).toBe(threadTs);
      expect(h.slack.callsTo("files.getUploadURLExternal").length).toBeGreaterThan(0);
      const uploaded = [...h.slack.uploads.values()];
      expect(uploaded.some((bytes) => bytes.equals(photo))).toBe(true);

      const stored = await h.app.db.prisma.message.findUniqueOrThrow({ where: { id: message.id } });
      expect(stored.mediaIds).toHaveLength(1);
      expect(stored.mediaCopyNextAt).toBeNull();
      const media = await h.app.db.prisma.media.findUniqueOrThrow({ where: { id: stored.mediaIds[0]! } });
      expect(Buffer.from(media.body).equals(photo)).toBe(true);
      expect(media.contentType).toBe("image/jpeg");
      expect(media.source).toBe(url);
      // A voter's picture is never served back out through PUBLIC_URL/media.
      expect((await fetch(`${h.app.localUrl}/media/${media.id}`)).status).toBe(404);

      // Copied once: the next run has nothing to do.
      expect(await runCopier()).toMatchObject({ copied: 0, retrying: 0, gaveUp: 0 });
    });

    it("retries a picture Twilio cannot serve with growing waits, then says so in the thread; the text is posted regardless", async () => {
      await texted("lost", "+12125550402");
      const missing = `${h.twilio.url}/2010-04-01/Accounts/${h.config.twilio.accountSid}/Messages/MM0/Media/ME0`;
      await mms("+12125550402", "Did you get my photo?", [{ url: missing, contentType: "image/jpeg" }]);
      await threadPost((m) => Boolean(m.thread_ts) && String(m.text).includes("Did you get my photo?"));

      for (let attempt = 1; attempt <= MAX_MEDIA_COPY_ATTEMPTS; attempt++) {
        const result = await runCopier();
        const message = await h.app.db.prisma.message.findFirstOrThrow({
          where: { fromPhone: "+12125550402", direction: "inbound" },
        });
        expect(message.mediaCopyAttempts).toBe(attempt);
        if (attempt < MAX_MEDIA_COPY_ATTEMPTS) {
          expect(result).toMatchObject({ retrying: 1 });
          // Not due again at once: the wait doubles.
          expect(message.mediaCopyNextAt!.getTime() - now.getTime()).toBe(2 ** (attempt - 1) * 60_000);
          expect(await runCopier()).toMatchObject({ retrying: 0 });
          now = new Date(message.mediaCopyNextAt!.getTime());
        } else {
          expect(result).toMatchObject({ gaveUp: 1 });
          expect(message.mediaCopyNextAt).toBeNull();
        }
      }
      const note = await threadPost((m) => String(m.text).includes("could not be copied here"));
      expect(String((note.args as Posted).text)).toMatch(/kept at Twilio with message MM[0-9a-f]{32}/);
    });
    /** A conversation whose thread is open (the voter answered), and that thread's ts. */
    async function openThread(name: string, phone: string): Promise<string> {
      await texted(name, phone);
      await mms(phone, `Yes, tell me more (${name})`, []);
      const post = await threadPost((m) => Boolean(m.thread_ts) && String(m.text).includes(`(${name})`));
      return (post.args as Posted).thread_ts!;
    }
    const volunteerReply = (
      threadTs: string,
      text: string,
      file: { name: string; bytes: Buffer; mimetype: string },
    ) => {
      const shared = h.slack.addFile({ ...file, user: ANA });
      return slack(eventBody(messageEvent({ channel: REPLIES, user: ANA, threadTs, text, files: [shared] })));
    };

    it("sends a volunteer's thread reply with a photo as one MMS: compressed, stored, served at PUBLIC_URL/media/<id>", async () => {
      const threadTs = await openThread("flyer", "+12125550403");
      h.twilio.reset();
      const photo = await noisyJpeg(2400, 1600);
      expect(
        (
          await volunteerReply(threadTs, "Here is the flyer", {
            name: "flyer.jpg",
            bytes: photo,
            mimetype: "image/jpeg",
          })
        ).status,
      ).toBe(200);

      // The inbox sends it (after compressing the photo): wait for the reply's text to exist and be sent.
      const reply = {
        direction: "outbound" as const,
        toPhone: "+12125550403",
        initiated: false,
        status: { not: "claimed" },
      };
      const deadline = Date.now() + 60_000;
      while (!(await h.app.db.prisma.message.findFirst({ where: reply })) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const sent = await h.app.db.prisma.message.findFirstOrThrow({ where: reply });
      expect(sent.body).toBe("Here is the flyer");
      expect(sent.mediaIds).toHaveLength(1);
      expect(h.twilio.messages).toHaveLength(1);
      expect(h.twilio.messages[0]).toMatchObject({
        body: "Here is the flyer",
        mediaUrls: [`${PUBLIC_URL}/media/${sent.mediaIds[0]}`],
      });
      const media = await h.app.db.prisma.media.findUniqueOrThrow({ where: { id: sent.mediaIds[0]! } });
      expect(media).toMatchObject({ contentType: "image/jpeg", originalBytes: photo.length, createdBy: ANA });
      expect(media.bytes).toBeLessThanOrEqual(614_400);
      const res = await fetch(`${h.app.localUrl}/media/${media.id}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-length")).toBe(String(media.bytes));
    });

    it("sends nothing for a reply with a file that cannot go out, and says why in the thread", async () => {
      const threadTs = await openThread("agenda", "+12125550404");
      h.twilio.reset();
      await volunteerReply(threadTs, "The agenda", { name: "agenda.pdf", bytes: pdf(), mimetype: "application/pdf" });
      const note = await threadPost((m) => String(m.text).includes("cannot be sent as a text message"));
      expect(String((note.args as Posted).text)).toMatch(
        /nothing went out: “agenda\.pdf” cannot be sent as a text message: A PDF cannot be sent by text/,
      );
      expect((note.args as Posted).thread_ts).toBe(threadTs);
      expect(h.twilio.messages).toHaveLength(0);
    });

    /** Waits until Twilio accepted a text whose body passes `predicate`. */
    async function twilioSent(predicate: (body: string) => boolean, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = h.twilio.messages.find((m) => predicate(m.body));
        if (found) return found;
        if (Date.now() > deadline) throw new Error("Twilio never got the expected text");
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    it("compresses a video reply beside the inbox: another voter's text goes on meanwhile, and the volunteer's next reply in that thread follows the video", async () => {
      const videoThread = await openThread("rally", "+12125550405");
      await texted("other", "+12125550406");
      h.twilio.reset();
      const clip = await video({ seconds: 3, width: 640, height: 360, kbps: 4000 });
      // The video's download from Slack stalls until released: its preparation is held open.
      const release = h.slack.holdDownloads();
      try {
        await volunteerReply(videoThread, "Video from the rally", {
          name: "rally.mp4",
          bytes: clip,
          mimetype: "video/mp4",
        });
        await h.slack.downloadStalled();
        await slack(
          eventBody(messageEvent({ channel: REPLIES, user: ANA, threadTs: videoThread, text: "Did it come through?" })),
        );
        // Another voter's text is processed and posted while the video is still held.
        await mms("+12125550406", "Is the rally still on?", []);
        await threadPost((m) => String(m.text).includes("Is the rally still on?"));
        expect(h.twilio.messages).toHaveLength(0); // neither the video nor the reply behind it went out
      } finally {
        release();
      }
      const withVideo = await twilioSent((body) => body === "Video from the rally", 120_000);
      expect(withVideo.mediaUrls).toHaveLength(1);
      const after = await twilioSent((body) => body === "Did it come through?");
      expect(h.twilio.messages.indexOf(withVideo)).toBeLessThan(h.twilio.messages.indexOf(after));
      const sent = await h.app.db.prisma.message.findFirstOrThrow({
        where: { toPhone: "+12125550405", body: "Video from the rally" },
      });
      const media = await h.app.db.prisma.media.findUniqueOrThrow({ where: { id: sent.mediaIds[0]! } });
      expect(media).toMatchObject({ contentType: "video/mp4", originalBytes: clip.length });
      expect(media.bytes).toBeLessThanOrEqual(614_400);
      // Exactly once: the event is processed, and nothing more goes out.
      await new Promise((r) => setTimeout(r, 300));
      expect(h.twilio.messages.filter((m) => m.body === "Video from the rally")).toHaveLength(1);
    });

    it("sends a reply's links as tracked short links that count clicks, and refuses one the short links push over 1,600 characters", async () => {
      const threadTs = await openThread("links", "+12125550407");
      h.twilio.reset();
      await slack(
        eventBody(
          messageEvent({
            channel: REPLIES,
            user: ANA,
            threadTs,
            text: "Find your polling place at <https://vote.org/find|vote.org/find> today",
          }),
        ),
      );
      const sent = await twilioSent((body) => body.startsWith("Find your polling place"));
      const match = sent.body.match(new RegExp(`^Find your polling place at ${PUBLIC_URL}/l/([0-9A-Za-z]{10}) today$`));
      expect(match).not.toBeNull();
      const link = await h.app.db.prisma.shortLink.findUniqueOrThrow({ where: { code: match![1]! } });
      expect(link.targetUrl).toBe("https://vote.org/find");
      const visit = await fetch(`${h.app.localUrl}/l/${link.code}`, {
        redirect: "manual",
        headers: { "user-agent": "Mozilla/5.0 (iPhone)" },
      });
      expect(visit.status).toBe(302);
      expect(await h.app.db.prisma.linkClick.count({ where: { shortLinkId: link.id } })).toBe(1);

      // 1,596 characters as typed, over 1,600 once the link is a short link: refused, nothing sent.
      const long = `${"x".repeat(1590)} a.co`;
      await slack(eventBody(messageEvent({ channel: REPLIES, user: ANA, threadTs, text: long })));
      const note = await threadPost((m) => String(m.text).includes("texts stop at 1,600"));
      expect(String((note.args as Posted).text)).toMatch(/with its links as tracked short links/);
      expect(h.twilio.messages).toHaveLength(1);
    });

    it("canned replies carry pictures attached in the modal or linked, with sizes before and after, and go out as one MMS; a refused file saves nothing", async () => {
      const phone = "+12125550408";
      await texted("canned", phone);
      const campaign = await h.app.db.prisma.campaign.findFirstOrThrow({ where: { name: "canned" } });
      await slack(
        slashCommandBody({
          command: "/campaign",
          text: "replies canned",
          user_id: ORGANIZER,
          channel_id: "C0ORGANIZE",
        }),
      );
      const opened = await h.slack.waitFor("views.open", (c) =>
        JSON.stringify(c.args.view).includes("campaign_canned_reply"),
      );
      const form = opened.args.view as { private_metadata: string };
      expect(JSON.stringify(form)).toContain('"type":"file_input"');
      const submit = (viewId: string, files: unknown[], links = "", userId = ORGANIZER) =>
        slack(
          interactionBody(
            viewSubmissionPayload({
              callbackId: "campaign_canned_reply",
              viewId,
              privateMetadata: form.private_metadata,
              userId,
              values: {
                title: { "canned.title": { type: "plain_text_input", value: "Flyer" } },
                body: { "canned.body": { type: "plain_text_input", value: "Here is our flyer, {firstName}" } },
                files: { "canned.files": { type: "file_input", files } },
                links: { "canned.links": { type: "plain_text_input", value: links } },
              },
            }),
          ),
        );
      const modalUpdate = (viewId: string) => h.slack.waitFor("views.update", (c) => c.args.view_id === viewId, 60_000);

      // A link that is not https is refused under its field at once.
      expect((await submit("VCANNED0", [], "http://media.example.org/a.jpg")).json).toMatchObject({
        response_action: "errors",
        errors: { links: expect.stringContaining("is not an https link") },
      });
      // A PDF cannot go out: the modal says why and shows the form again, and nothing is saved.
      const mediaBefore = await h.app.db.prisma.media.count();
      const agenda = h.slack.addFile({
        name: "agenda.pdf",
        bytes: pdf(),
        mimetype: "application/pdf",
        user: ORGANIZER,
      });
      const photo = await noisyJpeg(2000, 1500);
      const flyer = h.slack.addFile({ name: "flyer.jpg", bytes: photo, mimetype: "image/jpeg", user: ORGANIZER });
      // A volunteer's submission is refused before any file is read.
      expect((await submit("VCANNED9", [flyer], "", ANA)).json).toMatchObject({
        response_action: "errors",
        errors: { title: expect.any(String) },
      });
      expect(await h.app.db.prisma.media.count()).toBe(mediaBefore);
      const refusedAck = await submit("VCANNED1", [agenda, flyer]);
      expect(refusedAck.json).toMatchObject({ response_action: "update" });
      const refused = JSON.stringify((await modalUpdate("VCANNED1")).args.view);
      expect(refused).toContain("Nothing was saved");
      expect(refused).toContain("agenda.pdf");
      expect(refused).toContain("A PDF cannot be sent by text");
      expect(refused).toContain('"type":"file_input"');
      expect(await h.app.db.prisma.cannedReply.count({ where: { campaignId: campaign.id } })).toBe(0);
      expect(await h.app.db.prisma.media.count()).toBe(mediaBefore);

      // A picture attached and one linked: both compressed and stored, their sizes shown, the reply saved.
      expect((await submit("VCANNED2", [flyer], `${MEDIA_HOST}/crowd.jpg`)).json).toMatchObject({
        response_action: "update",
      });
      const done = JSON.stringify((await modalUpdate("VCANNED2")).args.view);
      expect(done).toContain("Saved canned reply");
      expect(done).toMatch(/flyer\.jpg: [\d.]+ (KB|MB) → \*\d+ KB\* JPEG/);
      expect(done).toContain(`${MEDIA_HOST}/crowd.jpg`);
      const saved = await h.app.db.prisma.cannedReply.findFirstOrThrow({ where: { campaignId: campaign.id } });
      expect(saved.mediaIds).toHaveLength(2);
      for (const id of saved.mediaIds) expect((await fetch(`${h.app.localUrl}/media/${id}`)).status).toBe(200);

      // The voter answers; a volunteer picks the canned reply: one MMS with both pictures.
      await mms(phone, "What does the flyer say?", []);
      // Posted in the thread: the thread's ts is known, so its menu can answer.
      await threadPost((m) => Boolean(m.thread_ts) && String(m.text).includes("What does the flyer say?"));
      const conversation = await h.app.db.prisma.conversation.findFirstOrThrow({ where: { campaignId: campaign.id } });
      const root = await h.slack.waitFor("chat.postMessage", (c) =>
        JSON.stringify(c.args.blocks ?? "").includes(`"value":"${conversation.id}"`),
      );
      const blocks = root.args.blocks as Array<{
        block_id?: string;
        elements?: Array<{ action_id?: string; options?: Array<{ value: string }> }>;
      }>;
      const choice = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === "thread_canned")!.options![0]!
        .value;
      h.twilio.reset();
      await slack(
        interactionBody(
          blockActionsPayload({
            actionId: "thread_canned",
            value: choice,
            userId: ANA,
            channelId: REPLIES,
            action: { type: "static_select", selected_option: { value: choice } },
          }),
        ),
      );
      const sent = await twilioSent((body) => body === "Here is our flyer, Dana");
      expect(sent.mediaUrls).toEqual(saved.mediaIds.map((id) => `${PUBLIC_URL}/media/${id}`));
      expect(h.twilio.messages).toHaveLength(1);
    });
  },
);
