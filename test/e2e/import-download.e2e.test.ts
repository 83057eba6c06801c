import {
  inboundSmsParams,
  interactionBody,
  postToSlackApp,
  postTwilioWebhook,
  viewSubmissionPayload,
} from "../fakes/signing";
import type { SlackFile } from "../fakes/slack-api";
import { FAKE_TWILIO_AUTH_TOKEN } from "../fakes/twilio-api";
import { startHarness, PUBLIC_URL, SENDER, SIGNING_SECRET, type Harness } from "../support/app-harness";
import { createPgliteDatabase } from "../support/databases";

/*
 * On the embedded database the app has one connection. An import used to read its file from Slack
 * inside its transaction, so a slow download held that connection: /healthz, inbound texts and
 * clicks waited behind it. The file is now copied to disk first, with a time limit.
 */

const CHANNEL = "C0ORGANIZE";
const VOTER = "+12125550123";

const csv = (rows: number) =>
  Buffer.from(
    ["phone,first name", ...Array.from({ length: rows }, (_, i) => `+1212555${String(1000 + i)},Voter ${i}`)].join(
      "\n",
    ),
  );

function submitImport(h: Harness, file: SlackFile) {
  return postToSlackApp(h.app.localUrl, {
    secret: SIGNING_SECRET,
    body: interactionBody(
      viewSubmissionPayload({
        callbackId: "contacts_import",
        privateMetadata: JSON.stringify({ channelId: CHANNEL }),
        values: {
          file: { file_input: { type: "file_input", files: [file] } },
          region: { region_input: { type: "plain_text_input", value: "US" } },
        },
      }),
    ),
  });
}

describe("an import whose download from Slack is slow (pglite)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(createPgliteDatabase);
  });
  afterAll(() => h?.close());

  it("leaves /healthz and inbound texts answered while the file is still arriving, then imports it", async () => {
    const release = h.slack.holdDownloads();
    try {
      const stalled = h.slack.downloadStalled();
      const file = h.slack.addFile({ name: "slow.csv", bytes: csv(2_000), mimetype: "text/csv" });
      expect((await submitImport(h, file)).status).toBe(200);
      await stalled;
      // Let the app take in the first half of the file (and, before the fix, open its transaction).
      await new Promise((resolve) => setTimeout(resolve, 300));

      const health = await fetch(`${h.app.localUrl}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok", database: "ok" });

      const params = inboundSmsParams({ from: VOTER, to: SENDER, body: "Is anyone there?" });
      const inbound = await postTwilioWebhook(
        h.app.localUrl,
        PUBLIC_URL,
        "/twilio/sms",
        FAKE_TWILIO_AUTH_TOKEN,
        params,
      );
      expect(inbound.status).toBe(200);
      expect(await h.app.db.prisma.message.count({ where: { twilioSid: params.MessageSid } })).toBe(1);
      expect(await h.app.db.prisma.contact.count()).toBe(0);
    } finally {
      release();
    }
    const summary = await h.slack.waitFor(
      "chat.update",
      (c) => String(c.args.text).includes("Imported *slow.csv*"),
      20_000,
    );
    expect(String(summary.args.text)).toContain("New contacts: *2,000*");
    expect(await h.app.db.prisma.contact.count()).toBe(2_000);
  });
});

describe("an import whose download from Slack never finishes (pglite)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(createPgliteDatabase, { importDownloadTimeoutMs: 1_000 });
  });
  afterAll(() => h?.close());

  it("tells the organizer Slack did not send the file in time, and imports nothing", async () => {
    const release = h.slack.holdDownloads();
    try {
      const file = h.slack.addFile({ name: "stuck.csv", bytes: csv(500), mimetype: "text/csv" });
      expect((await submitImport(h, file)).status).toBe(200);
      const answer = await h.slack.waitFor(
        "chat.update",
        (c) => String(c.args.text).includes("Could not import *stuck.csv*"),
        20_000,
      );
      expect(String(answer.args.text)).toContain("Slack did not send the whole file within 1 second");
      expect(String(answer.args.text)).toContain("nothing was imported");
      expect(await h.app.db.prisma.contact.count()).toBe(0);
    } finally {
      release();
    }
  });
});
