import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { App } from "@slack/bolt";
import { loadConfig } from "../src/config";
import { measureSms } from "../src/domain/sms-length";
import type { TextingCard } from "../src/services/texting";
import { textingMessage } from "../src/slack/blocks/texting";
import { createTwilioGateway } from "../src/sms/twilio-gateway";
import { timeRequestsForParent } from "./server-timing";

/**
 * The send benchmark's floor: a Bolt app set up like ours whose Send click does everything but
 * the database (one text through our Twilio gateway to the fake Twilio, then a next card at the
 * response_url). What its volunteers wait is the least this machine allows before any query runs.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const gateway = createTwilioGateway(config.twilio, config.publicUrl);
  const app = new App({
    token: config.slack.botToken,
    signingSecret: config.slack.signingSecret,
    processBeforeResponse: true,
    deferInitialization: true,
    clientOptions: config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {},
  });
  let sent = 0;
  const body = "Hi Voter, this is Sam with Neighbors for B. Will you vote on Tuesday? Reply STOP to opt out.";
  const nextCard = () => {
    const card: TextingCard = {
      campaignId: randomUUID(),
      campaignName: "Bench",
      campaignContactId: randomUUID(),
      intentId: randomUUID(),
      contactName: `Voter ${sent}`,
      maskedPhone: "(***) ***-0001",
      place: "NY",
      variantLabel: "A",
      step: 0,
      body,
      sms: measureSms(body),
      mediaCount: 0,
      leftInBatch: 49,
      sentInSession: sent,
    };
    return { replace_original: true, ...textingMessage({ kind: "card", card, notes: [] }) };
  };
  app.command("/campaign", async ({ ack, respond }) => {
    await ack();
    await respond(nextCard());
  });
  app.action("texting_send", async ({ ack, respond }) => {
    await ack();
    void (async () => {
      const to = `+1212${String(1_000_000 + (sent++ % 9_000_000)).padStart(7, "0")}`;
      await gateway.send({ to, body, mediaUrls: [], validityPeriodSeconds: 36_000 });
      await respond(nextCard());
    })();
  });
  await app.init();
  const server = (await app.start(0)) as Server;
  timeRequestsForParent();
  process.send?.({ ready: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  process.once("SIGTERM", () => void app.stop().then(() => process.exit(0)));
}

void main();
