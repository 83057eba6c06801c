/**
 * Proves the fake Slack speaks the wire format of the real @slack/web-api WebClient.
 */
import { ErrorCode, WebClient, type WebAPIPlatformError, type WebAPIRateLimitedError } from "@slack/web-api";
import { quietSlackLogger as quiet } from "../support/quiet-logger";
import { FAKE_BOT_USER_ID, SlackApiError, startFakeSlack, type FakeSlack } from "./slack-api";

const TOKEN = "xoxb-fake-token";

describe("fake Slack Web API", () => {
  let fake: FakeSlack;
  let client: WebClient;

  beforeAll(async () => {
    fake = await startFakeSlack({ tokens: [TOKEN] });
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.reset();
    // No retries: a failed call must surface at once, not after the default 30-minute policy.
    client = new WebClient(TOKEN, {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logger: quiet,
    });
  });

  it("answers auth.test like Slack and records the bearer token", async () => {
    const res = await client.auth.test();
    expect(res).toMatchObject({ ok: true, team_id: "T0FAKE", user_id: "U0BOT", bot_id: "B0BOT" });
    expect(fake.callsTo("auth.test")).toHaveLength(1);
    expect(fake.calls[0]).toMatchObject({ method: "auth.test", token: TOKEN, status: 200 });
    expect(fake.calls[0]!.at).toBeInstanceOf(Date);
  });

  it("opens one direct message per user, the same id each time, and takes a Buffer through files v2 into it", async () => {
    const first = await client.conversations.open({ users: "U0ANA0001" });
    const again = await client.conversations.open({ users: "U0ANA0001" });
    expect(first.channel?.id).toMatch(/^D/);
    expect(again.channel?.id).toBe(first.channel?.id);
    expect((again as { already_open?: boolean }).already_open).toBe(true);
    await expect(client.conversations.open({ users: "" })).rejects.toMatchObject({
      data: { error: "users_list_not_supplied" },
    });
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    await client.filesUploadV2({ channel_id: first.channel!.id!, file: bytes, filename: "chart.png", title: "Chart" });
    const done = fake.callsTo("files.completeUploadExternal")[0]!;
    expect(done.args.channel_id).toBe(first.channel?.id);
    const [file] = done.args.files as { id: string }[];
    expect(fake.uploads.get(file!.id)).toEqual(bytes);
  });

  it("receives chat.postMessage blocks parsed from the form body and returns increasing ts", async () => {
    const blocks = [
      { type: "section", block_id: "b1", text: { type: "mrkdwn", text: "*Hello* voter" } },
      {
        type: "actions",
        block_id: "b2",
        elements: [
          { type: "button", action_id: "send", text: { type: "plain_text", text: "Send" }, value: "intent-1" },
        ],
      },
    ];
    const first = await client.chat.postMessage({ channel: "C123", text: "fallback", blocks, unfurl_links: false });
    const second = await client.chat.postMessage({ channel: "C123", text: "again", thread_ts: first.ts });

    expect(first).toMatchObject({ ok: true, channel: "C123", message: { text: "fallback", blocks } });
    expect(first.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));

    const call = await fake.waitFor("chat.postMessage", (c) => c.args.text === "fallback");
    expect(call.args.blocks).toEqual(blocks); // arrived as a JSON string, recorded parsed
    expect(call.args.unfurl_links).toBe("false"); // form bodies carry booleans as strings
    expect(fake.callsTo("chat.postMessage")[1]!.args.thread_ts).toBe(first.ts);
  });

  it("also accepts JSON bodies", async () => {
    const res = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ channel: "C9", text: "json", blocks: [{ type: "divider" }] }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: "C9" });
    expect(fake.callsTo("chat.postMessage")[0]!.args).toMatchObject({ channel: "C9", blocks: [{ type: "divider" }] });
  });

  it("surfaces ok:false as the SDK's platform error with data.error", async () => {
    fake.failNext("chat.postMessage", { error: "channel_not_found" });
    const err = (await client.chat
      .postMessage({ channel: "C404", text: "hi" })
      .catch((e: unknown) => e)) as WebAPIPlatformError;
    expect(err.code).toBe(ErrorCode.PlatformError);
    expect(err.data.error).toBe("channel_not_found");
    expect(fake.calls[0]).toMatchObject({ status: 200, error: "channel_not_found" });
    // The failure was used up: the next call succeeds.
    await expect(client.chat.postMessage({ channel: "C404", text: "hi" })).resolves.toMatchObject({ ok: true });
  });

  it("rejects a wrong token with invalid_auth and unknown methods with unknown_method", async () => {
    const stranger = new WebClient("xoxb-wrong", {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 0 },
      logger: quiet,
    });
    await expect(stranger.auth.test()).rejects.toMatchObject({ data: { error: "invalid_auth" } });
    await expect(client.apiCall("nope.nothing")).rejects.toMatchObject({ data: { error: "unknown_method" } });
  });

  it("validates Block Kit limits like Slack", async () => {
    const tooMany = Array.from({ length: 51 }, () => ({ type: "divider" }));
    await expect(client.chat.postMessage({ channel: "C1", text: "x", blocks: tooMany })).rejects.toMatchObject({
      data: { error: "invalid_blocks" },
    });
    await expect(client.chat.postMessage({ channel: "C1" } as never)).rejects.toMatchObject({
      data: { error: "no_text" },
    });
  });

  it("answers 429 with Retry-After, which the SDK reports as a rate-limited error", async () => {
    fake.failNext("chat.postMessage", { status: 429, retryAfterSeconds: 7 });
    const err = (await client.chat
      .postMessage({ channel: "C1", text: "x" })
      .catch((e: unknown) => e)) as WebAPIRateLimitedError;
    expect(err.code).toBe(ErrorCode.RateLimitedError);
    expect(err.retryAfter).toBe(7);
    expect(fake.calls[0]).toMatchObject({ status: 429, error: "ratelimited" });
  });

  it("a client without rejectRateLimitedCalls waits Retry-After and retries", async () => {
    const patient = new WebClient(TOKEN, { slackApiUrl: fake.apiUrl, logger: quiet });
    fake.failNext("chat.postMessage", { retryAfterSeconds: 1 });
    const started = Date.now();
    await expect(patient.chat.postMessage({ channel: "C1", text: "x" })).resolves.toMatchObject({ ok: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(fake.callsTo("chat.postMessage").map((c) => c.status)).toEqual([429, 200]);
  });

  it("enforces a per-channel rate limit when asked", async () => {
    fake.setRateLimit("chat.postMessage", { perChannelPerSecond: 1 });
    await client.chat.postMessage({ channel: "C1", text: "1" });
    await expect(client.chat.postMessage({ channel: "C1", text: "2" })).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError,
      retryAfter: 1,
    });
    await expect(client.chat.postMessage({ channel: "C2", text: "other channel" })).resolves.toMatchObject({
      ok: true,
    });
    fake.setRateLimit("chat.postMessage", null);
    await expect(client.chat.postMessage({ channel: "C1", text: "3" })).resolves.toMatchObject({ ok: true });
  });

  it("limits like Slack's posting rate with a token bucket, on a virtual clock", async () => {
    let now = Date.UTC(2026, 10, 3, 15);
    const timed = await startFakeSlack({ tokens: [TOKEN], clock: () => now });
    try {
      const timedClient = new WebClient(TOKEN, {
        slackApiUrl: timed.apiUrl,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        logger: quiet,
      });
      timed.setRateLimit("chat.postMessage", { perChannelPerSecond: 1, burst: 3 });
      for (const text of ["1", "2", "3"]) await timedClient.chat.postMessage({ channel: "C1", text });
      await expect(timedClient.chat.postMessage({ channel: "C1", text: "4" })).rejects.toMatchObject({ retryAfter: 1 });
      now += 999;
      await expect(timedClient.chat.postMessage({ channel: "C1", text: "4" })).rejects.toMatchObject({
        code: ErrorCode.RateLimitedError,
      });
      now += 1;
      await expect(timedClient.chat.postMessage({ channel: "C1", text: "4" })).resolves.toMatchObject({ ok: true });
      expect(
        timed.callsTo("chat.postMessage").map((c) => [c.status, c.at.getTime() - Date.UTC(2026, 10, 3, 15)]),
      ).toEqual([
        [200, 0],
        [200, 0],
        [200, 0],
        [429, 0],
        [429, 999],
        [200, 1000],
      ]);
    } finally {
      await timed.close();
    }
  });

  it("runs the filesUploadV2 flow and serves the bytes back with the token only", async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x10]);
    const res = await client.filesUploadV2({
      channel_id: "C0PHOTOS1",
      file: bytes,
      filename: "photo.png",
      title: "Voter photo",
    });
    expect(res.ok).toBe(true);

    const getUrl = fake.callsTo("files.getUploadURLExternal")[0]!;
    expect(getUrl.args).toMatchObject({ filename: "photo.png", length: String(bytes.length) });
    const complete = await fake.waitFor("files.completeUploadExternal");
    expect(complete.args).toMatchObject({ channel_id: "C0PHOTOS1", files: [{ title: "Voter photo" }] });
    const fileId = (complete.args.files as Array<{ id: string }>)[0]!.id;
    expect(fake.uploads.get(fileId)).toEqual(bytes);
    expect(fake.callsTo("file_upload")[0]!.args.contentType).toMatch(/^multipart\/form-data/);

    const info = await client.files.info({ file: fileId });
    expect(info.file).toMatchObject({ id: fileId, name: "photo.png", mimetype: "image/png", size: bytes.length });
    const download = info.file!.url_private_download!;
    expect(download).toBe(`${fake.url}/download/${fileId}`);

    const authed = await fetch(download, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(authed.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await authed.arrayBuffer())).toEqual(bytes);
    // Like real Slack, no token means an HTML sign-in page with status 200, not the file.
    const anonymous = await fetch(download);
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers.get("content-type")).toMatch(/^text\/html/);
  });

  it("serves seeded files the same way", async () => {
    const file = fake.addFile({ name: "reply.jpg", bytes: Buffer.from("jpeg-bytes") });
    const info = await client.files.info({ file: file.id });
    expect(info.file).toMatchObject({ id: file.id, mimetype: "image/jpeg" });
    const res = await fetch(file.url_private, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await res.text()).toBe("jpeg-bytes");
  });

  it("opens and updates modals with ids and hashes, rejecting a stale hash", async () => {
    const view = {
      type: "modal" as const,
      callback_id: "compose",
      title: { type: "plain_text" as const, text: "Compose" },
      blocks: [],
    };
    const opened = await client.views.open({ trigger_id: "1.2.abc", view });
    expect(opened.view).toMatchObject({
      id: expect.stringMatching(/^V/),
      callback_id: "compose",
      hash: expect.any(String),
    });
    const viewId = opened.view!.id!;
    const updated = await client.views.update({
      view_id: viewId,
      hash: opened.view!.hash,
      view: { ...view, private_metadata: "x" },
    });
    expect(updated.view).toMatchObject({ id: viewId, private_metadata: "x" });
    expect(updated.view!.hash).not.toBe(opened.view!.hash);
    await expect(client.views.update({ view_id: viewId, hash: opened.view!.hash, view })).rejects.toMatchObject({
      data: { error: "hash_conflict" },
    });
    await expect(
      client.views.open({
        trigger_id: "1.2.abc",
        view: { ...view, title: { type: "plain_text", text: "A title far longer than 24" } },
      }),
    ).rejects.toMatchObject({
      data: { error: "invalid_arguments" },
    });
    expect(fake.callsTo("views.open")[0]!.args.view).toEqual(view);
  });

  it("answers the other methods the app uses", async () => {
    await expect(client.chat.postEphemeral({ channel: "C1", user: "U1", text: "only you" })).resolves.toMatchObject({
      message_ts: expect.any(String),
    });
    await expect(client.chat.update({ channel: "C1", ts: "1700000000.000100", text: "edited" })).resolves.toMatchObject(
      { channel: "C1", ts: "1700000000.000100", text: "edited" },
    );
    await expect(client.chat.delete({ channel: "C1", ts: "1700000000.000100" })).resolves.toMatchObject({ ok: true });
    await client.reactions.add({ channel: "C1", timestamp: "1700000000.000100", name: "white_check_mark" });
    await expect(
      client.reactions.add({ channel: "C1", timestamp: "1700000000.000100", name: "white_check_mark" }),
    ).rejects.toMatchObject({ data: { error: "already_reacted" } });
    fake.addChannel({ id: "G1", name: "voters-private", is_private: true });
    await expect(client.conversations.info({ channel: "G1" })).resolves.toMatchObject({
      channel: { id: "G1", name: "voters-private", is_private: true, is_member: true },
    });
    await expect(client.users.info({ user: "U7" })).resolves.toMatchObject({
      user: { id: "U7", tz: "America/New_York", profile: { display_name: expect.any(String) } },
    });
    await expect(client.views.publish({ user_id: "U7", view: { type: "home", blocks: [] } })).resolves.toMatchObject({
      view: { type: "home" },
    });
  });

  it("refuses posts in a channel the bot is not in, as Slack does, until the bot is invited", async () => {
    fake.addChannel({ id: "C0OUT", is_member: false });
    fake.addChannel({ id: "G0OUT", is_private: true, is_member: false });
    fake.addChannel({ id: "C0OLD", is_archived: true });
    await expect(client.chat.postMessage({ channel: "C0OUT", text: "hi" })).rejects.toMatchObject({
      data: { error: "not_in_channel" },
    });
    await expect(client.chat.postMessage({ channel: "G0OUT", text: "hi" })).rejects.toMatchObject({
      data: { error: "channel_not_found" },
    });
    await expect(client.chat.postMessage({ channel: "C0OLD", text: "hi" })).rejects.toMatchObject({
      data: { error: "is_archived" },
    });
    await client.conversations.invite({ channel: "C0OUT", users: FAKE_BOT_USER_ID });
    await expect(client.chat.postMessage({ channel: "C0OUT", text: "hi" })).resolves.toMatchObject({
      channel: "C0OUT",
    });
  });

  it("lets a test override a method's answer", async () => {
    fake.respondTo("users.info", (args) => {
      if (args.user === "UGONE") throw new SlackApiError("user_not_found");
      return { user: { id: args.user, real_name: "Custom" } };
    });
    await expect(client.users.info({ user: "U1" })).resolves.toMatchObject({ user: { real_name: "Custom" } });
    await expect(client.users.info({ user: "UGONE" })).rejects.toMatchObject({ data: { error: "user_not_found" } });
  });

  it("records response_url posts", async () => {
    const url = fake.responseUrl("cmd-1");
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "Sent!", response_type: "ephemeral" }),
    });
    expect(await res.json()).toEqual({ ok: true });
    const call = await fake.waitFor("response_url", (c) => c.args.responseId === "cmd-1");
    expect(call.args).toMatchObject({ text: "Sent!", response_type: "ephemeral", responseId: "cmd-1" });
  });

  it("waitFor resolves on a future call and rejects clearly on timeout", async () => {
    const waiting = fake.waitFor("chat.postMessage", (c) => c.args.channel === "CLATER");
    await client.chat.postMessage({ channel: "CEARLY", text: "not this one" });
    await client.chat.postMessage({ channel: "CLATER", text: "this one" });
    await expect(waiting).resolves.toMatchObject({ args: { text: "this one" } });
    await expect(fake.waitFor("views.open", undefined, 50)).rejects.toThrow(
      /no views\.open call within 50 ms .*chat\.postMessage×2/,
    );
  });

  it("delays answers when asked", async () => {
    fake.delay(150);
    const started = Date.now();
    await client.auth.test();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});
