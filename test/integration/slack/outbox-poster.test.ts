import { WebClient } from "@slack/web-api";
import pino from "pino";
import { outboxWebClient, WebClientSlackPoster } from "../../../src/slack/outbox-poster";
import { startFakeSlack, type FakeSlack } from "../../fakes/slack-api";
import { quietSlackLogger } from "../../support/quiet-logger";

const TOKEN = "xoxb-outbox-poster";
const silent = pino({ level: "silent" });

describe("the outbox's Slack poster, against the fake Slack", () => {
  let slack: FakeSlack;
  let poster: WebClientSlackPoster;
  beforeAll(async () => {
    slack = await startFakeSlack({ tokens: [TOKEN] });
  });
  afterAll(() => slack.close());
  beforeEach(() => {
    slack.reset();
    poster = new WebClientSlackPoster(outboxWebClient(TOKEN, { apiUrl: slack.apiUrl, logger: silent, timeoutMs: 500 }));
  });

  it("answers the posted message's ts; a reaction has none, and one already there counts as done", async () => {
    const posted = await poster.call("chat.postMessage", {
      channel: "C1",
      text: "Ana replied",
      blocks: [{ type: "section", text: { type: "mrkdwn", text: "*Ana*" } }],
    });
    expect(posted).toEqual({ kind: "posted", ts: expect.stringMatching(/^\d+\.\d{6}$/) });
    const ts = (posted as { ts: string }).ts;
    expect(await poster.call("chat.update", { channel: "C1", ts, text: "edited" })).toEqual({ kind: "posted", ts });
    expect(await poster.call("reactions.add", { channel: "C1", timestamp: ts, name: "eyes" })).toEqual({
      kind: "posted",
      ts: null,
    });
    expect(await poster.call("reactions.add", { channel: "C1", timestamp: ts, name: "eyes" })).toEqual({
      kind: "posted",
      ts: null,
    });
    expect(slack.callsTo("chat.postMessage")[0]!.args.blocks).toEqual([
      { type: "section", text: { type: "mrkdwn", text: "*Ana*" } },
    ]);
  });

  it("posts a message whose blocks Slack refuses as its text alone; an edit also clears the old blocks", async () => {
    const blocks = Array.from({ length: 51 }, (_, i) => ({
      type: "section",
      text: { type: "mrkdwn", text: `line ${i}` },
    }));
    const posted = await poster.call("chat.postMessage", { channel: "C1", text: "Imported *list.csv*", blocks });
    expect(posted).toEqual({ kind: "posted", ts: expect.stringMatching(/^\d+\.\d{6}$/) });
    const [refused, words] = slack.callsTo("chat.postMessage");
    expect(refused).toMatchObject({ error: "invalid_blocks" });
    expect(words!.args).toEqual({ channel: "C1", text: "Imported *list.csv*" });

    const ts = (posted as { ts: string }).ts;
    slack.failNext("chat.update", { error: "invalid_blocks" });
    expect(
      await poster.call("chat.update", { channel: "C1", ts, text: "Done", blocks: [{ type: "divider" }] }),
    ).toEqual({ kind: "posted", ts });
    expect(slack.callsTo("chat.update")[1]!.args).toEqual({ channel: "C1", ts, text: "Done", blocks: [] });

    slack.failNext("chat.postMessage", { error: "invalid_blocks" });
    slack.failNext("chat.postMessage", { error: "message_too_long" });
    expect(await poster.call("chat.postMessage", { channel: "C1", text: "x", blocks: [{ type: "divider" }] })).toEqual({
      kind: "rejected",
      error: "message_too_long",
    });
  });

  it("reports a 429 with its Retry-After at once, without waiting or retrying", async () => {
    slack.failNext("chat.postMessage", { retryAfterSeconds: 30 });
    expect(await poster.call("chat.postMessage", { channel: "C1", text: "x" })).toEqual({
      kind: "rate_limited",
      retryAfterMs: 30_000,
    });
    expect(slack.callsTo("chat.postMessage")).toHaveLength(1);
  }, 5_000);

  it("tells a channel that refuses every post (the bot not invited) from a post refused for good", async () => {
    for (const error of ["channel_not_found", "not_in_channel", "is_archived"]) {
      slack.failNext("chat.postMessage", { error });
      expect(await poster.call("chat.postMessage", { channel: "C1", text: "x" })).toEqual({
        kind: "channel_unavailable",
        error,
      });
    }
  });

  it("marks errors about the post itself as for good", async () => {
    for (const error of ["msg_too_long", "invalid_arguments"]) {
      slack.failNext("chat.postMessage", { error });
      expect(await poster.call("chat.postMessage", { channel: "C1", text: "x" })).toEqual({ kind: "rejected", error });
    }
    slack.failNext("chat.postMessage", { status: 400 });
    expect(await poster.call("chat.postMessage", { channel: "C1", text: "x" })).toEqual({
      kind: "rejected",
      error: "HTTP 400 from Slack",
    });
  });

  it("marks Slack's own trouble, timeouts and a token being fixed as worth retrying, calling once each", async () => {
    slack.failNext("chat.postMessage", { error: "internal_error" });
    expect(await poster.call("chat.postMessage", { channel: "C1", text: "x" })).toEqual({
      kind: "retry",
      error: "internal_error",
    });
    slack.failNext("chat.postMessage", { status: 503 });
    expect(await poster.call("chat.postMessage", { channel: "C1", text: "x" })).toEqual({
      kind: "retry",
      error: "HTTP 503 from Slack",
    });
    expect(slack.callsTo("chat.postMessage")).toHaveLength(2);

    slack.delay(1000);
    expect(await poster.call("chat.postMessage", { channel: "C1", text: "slow" })).toMatchObject({ kind: "retry" });
    slack.delay(0);

    const wrongToken = new WebClientSlackPoster(
      outboxWebClient("xoxb-revoked", { apiUrl: slack.apiUrl, logger: silent }),
    );
    expect(await wrongToken.call("chat.postMessage", { channel: "C1", text: "x" })).toEqual({
      kind: "retry",
      error: "invalid_auth",
    });
  });

  it("reports an unreachable Slack as worth retrying", async () => {
    const gone = await startFakeSlack();
    const apiUrl = gone.apiUrl;
    await gone.close();
    const unreachable = new WebClientSlackPoster(outboxWebClient(TOKEN, { apiUrl, logger: silent }));
    expect(await unreachable.call("chat.postMessage", { channel: "C1", text: "x" })).toMatchObject({
      kind: "retry",
      error: expect.any(String),
    });
  });

  it("is its own client: a rate-limited outbox leaves the interactive client free to open a modal", async () => {
    const interactive = new WebClient(TOKEN, { slackApiUrl: slack.apiUrl, logger: quietSlackLogger });
    slack.setRateLimit("chat.postMessage", { perChannelPerSecond: 1 });
    await poster.call("chat.postMessage", { channel: "C1", text: "1" });
    expect(await poster.call("chat.postMessage", { channel: "C1", text: "2" })).toMatchObject({ kind: "rate_limited" });
    const modal = { type: "modal", title: { type: "plain_text", text: "New campaign" }, blocks: [] };
    await expect(interactive.views.open({ trigger_id: "123.456.abc", view: modal as never })).resolves.toMatchObject({
      ok: true,
    });
    slack.setRateLimit("chat.postMessage", null);
  }, 5_000);
});
