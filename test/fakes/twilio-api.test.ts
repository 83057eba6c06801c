/**
 * Proves the fake Twilio speaks the wire format of the real twilio SDK (v6).
 */
import twilio from "twilio";
import { createTwilioClient } from "../../src/sms/twilio-client";
import { smsSegments, startFakeTwilio, type FakeTwilio } from "./twilio-api";

const SERVICE_SID = `MG${"1".repeat(32)}`;

describe("fake Twilio REST API", () => {
  let fake: FakeTwilio;
  let client: twilio.Twilio;

  beforeAll(async () => {
    fake = await startFakeTwilio();
    client = createTwilioClient({ accountSid: fake.accountSid, authToken: fake.authToken, apiUrl: fake.url });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it("creates a message through a messaging service: status accepted, from null", async () => {
    const msg = await client.messages.create({
      to: "+12125550100",
      messagingServiceSid: SERVICE_SID,
      body: "Hi Ana, it's Sam with Vote Forward. Reply STOP to opt out",
    });

    expect(msg.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(msg).toMatchObject({
      accountSid: fake.accountSid,
      to: "+12125550100",
      from: null,
      messagingServiceSid: SERVICE_SID,
      status: "accepted",
      direction: "outbound-api",
      numSegments: "0", // no sender picked yet
      numMedia: "0",
      price: null,
      errorCode: null,
      errorMessage: null,
      uri: `/2010-04-01/Accounts/${fake.accountSid}/Messages/${msg.sid}.json`,
    });
    expect(msg.dateCreated).toBeInstanceOf(Date); // RFC 2822 parsed by the SDK
    expect(Number.isNaN(msg.dateCreated.getTime())).toBe(false);
    expect(msg.subresourceUris).toMatchObject({ media: expect.stringContaining(`/Messages/${msg.sid}/Media.json`) });

    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]).toMatchObject({
      sid: msg.sid,
      to: "+12125550100",
      from: null,
      messagingServiceSid: SERVICE_SID,
      mediaUrls: [],
      statusCallback: null,
      validityPeriod: null,
    });
  });

  it("creates a message from a number with media, status callback and validity period", async () => {
    const mediaUrl = ["https://example.org/a.jpg", "https://example.org/b.png"];
    const msg = await client.messages.create({
      to: "+12125550100",
      from: "+12125550199",
      body: "See attached",
      mediaUrl,
      statusCallback: "https://app.example.org/twilio/status",
      validityPeriod: 600,
    });

    expect(msg.sid).toMatch(/^MM[0-9a-f]{32}$/); // Twilio gives MMS an MM sid
    expect(msg).toMatchObject({ from: "+12125550199", messagingServiceSid: null, status: "queued", numMedia: "2" });
    const recorded = fake.messages[0]!;
    expect(recorded).toMatchObject({
      from: "+12125550199",
      body: "See attached",
      mediaUrls: mediaUrl,
      statusCallback: "https://app.example.org/twilio/status",
      validityPeriod: 600,
    });
    // The SDK repeats MediaUrl once per URL (qs arrayFormat "repeat").
    expect(recorded.params.MediaUrl).toEqual(mediaUrl);
    expect(recorded.params.ValidityPeriod).toBe("600");
  });

  it("fetches a stored message and follows setStatus; unknown sids are 20404", async () => {
    const created = await client.messages.create({ to: "+12125550100", from: "+12125550199", body: "x" });
    fake.setStatus(created.sid, "undelivered", 30007);
    const fetched = await client.messages(created.sid).fetch();
    expect(fetched).toMatchObject({ sid: created.sid, status: "undelivered", errorCode: 30007 });

    const missing = `SM${"0".repeat(32)}`;
    await expect(client.messages(missing).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
  });

  it("counts segments like Twilio bills them", async () => {
    expect(smsSegments("a".repeat(160))).toBe(1);
    expect(smsSegments("a".repeat(161))).toBe(2);
    expect(smsSegments("{".repeat(80))).toBe(1); // extension characters count twice
    expect(smsSegments("é".repeat(160))).toBe(1); // é is in GSM-7
    expect(smsSegments(`${"a".repeat(69)}😀`)).toBe(2); // emoji: UCS-2, two UTF-16 units
    const msg = await client.messages.create({
      to: "+12125550100",
      from: "+12125550199",
      body: "ü".repeat(10) + "ж".repeat(70),
    });
    expect(msg.numSegments).toBe("2");
  });

  it("surfaces an injected 21610 as RestException with code and status", async () => {
    fake.failNext({ code: 21610 });
    const err = await client.messages
      .create({ to: "+12125550100", from: "+12125550199", body: "x" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(twilio.RestException);
    expect(err).toMatchObject({ code: 21610, status: 400, moreInfo: "https://www.twilio.com/docs/errors/21610" });
    expect(fake.messages).toHaveLength(0);
    expect(fake.requests[0]).toMatchObject({ method: "POST", status: 400, code: 21610 });
    // Used up: the next send goes through.
    await expect(
      client.messages.create({ to: "+12125550100", from: "+12125550199", body: "x" }),
    ).resolves.toMatchObject({ status: "queued" });
  });

  it("maps other injected codes to Twilio's statuses, for as many requests as asked", async () => {
    fake.failNext({ code: 20429, times: 2 });
    fake.failNext({ code: 30007 });
    const send = () =>
      client.messages.create({ to: "+12125550100", from: "+12125550199", body: "x" }).catch((e: unknown) => e);
    expect(await send()).toMatchObject({ status: 429, code: 20429 });
    expect(await send()).toMatchObject({ status: 429, code: 20429 });
    expect(await send()).toMatchObject({ status: 400, code: 30007 });
  });

  it("answers a bare server error with a plain body (no Twilio code)", async () => {
    fake.failNext({ status: 500 });
    const err = await client.messages
      .create({ to: "+12125550100", from: "+12125550199", body: "x" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(twilio.RestException);
    // The SDK cannot parse the body, so it has no code and falls back to a generic message.
    expect(err).toMatchObject({ status: 500, message: "[HTTP 500] Failed to execute request" });
    expect((err as InstanceType<typeof twilio.RestException>).code).toBeUndefined();
  });

  it("validates like Twilio: missing sender, invalid To, long body", async () => {
    await expect(client.messages.create({ to: "+12125550100", body: "x" })).rejects.toMatchObject({
      code: 21603,
      status: 400,
    });
    await expect(client.messages.create({ to: "555-0100", from: "+12125550199", body: "x" })).rejects.toMatchObject({
      code: 21211,
      status: 400,
    });
    await expect(
      client.messages.create({ to: "+12125550100", from: "+12125550199", body: "x".repeat(1601) }),
    ).rejects.toMatchObject({ code: 21617 });
  });

  it("rejects wrong credentials with 401 and error 20003", async () => {
    const intruder = createTwilioClient({ accountSid: fake.accountSid, authToken: "wrong-token", apiUrl: fake.url });
    const err = await intruder.messages
      .create({ to: "+12125550100", from: "+12125550199", body: "x" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(twilio.RestException);
    expect(err).toMatchObject({ status: 401, code: 20003, message: "Authenticate" });
    expect(fake.messages).toHaveLength(0);
  });

  it("adds latency when asked", async () => {
    fake.delay(200);
    const started = Date.now();
    await client.messages.create({ to: "+12125550100", from: "+12125550199", body: "x" });
    // A sanity bound only: the answer came no sooner than the delay.
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    fake.delay(0);
  });

  it("drops the connection without answering, optionally after creating the message", async () => {
    fake.dropConnectionNext();
    const err = await client.messages
      .create({ to: "+12125550100", from: "+12125550199", body: "x" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(twilio.RestException);
    expect((err as { code?: string }).code).toBe("ECONNRESET");
    expect(fake.messages).toHaveLength(0);

    fake.dropConnectionNext({ afterCreate: true });
    await expect(client.messages.create({ to: "+12125550100", from: "+12125550199", body: "y" })).rejects.toThrow();
    expect(fake.messages.map((m) => m.body)).toEqual(["y"]); // Twilio sent it; the app never heard
    expect(fake.requests.map((r) => r.dropped)).toEqual([true, true]);
  });

  it("lists messages newest first, filtered by To and From, in pages", async () => {
    const send = (to: string, body: string) => client.messages.create({ to, from: "+12125550199", body });
    const first = await send("+12125550100", "one");
    await send("+12125550101", "other voter");
    const second = await send("+12125550100", "two");
    const third = await send("+12125550100", "three");

    const listed = await client.messages.list({ to: "+12125550100", from: "+12125550199", pageSize: 2 });
    expect(listed.map((m) => m.sid)).toEqual([third.sid, second.sid, first.sid]); // two pages, followed by the SDK
    expect(listed[0]).toMatchObject({ to: "+12125550100", body: "three", direction: "outbound-api", status: "queued" });
    const gets = fake.requests.filter((r) => r.method === "GET");
    expect(gets).toHaveLength(2);
    expect(gets[0]!.params).toMatchObject({ To: "+12125550100", From: "+12125550199", PageSize: "2" });
    expect(await client.messages.list({ to: "+12125550100", from: "+12125550000" })).toEqual([]);
  });

  it("filters on DateSent as the SDK sends it, which leaves out messages not sent yet", async () => {
    const before = new Date(Date.now() - 60_000);
    const queued = await client.messages.create({ to: "+12125550100", from: "+12125550199", body: "still queued" });
    const sent = await client.messages.create({ to: "+12125550100", from: "+12125550199", body: "went out" });
    fake.setStatus(sent.sid, "sent");

    const after = await client.messages.list({ to: "+12125550100", dateSentAfter: before });
    expect(after.map((m) => m.sid)).toEqual([sent.sid]);
    expect(fake.requests.at(-1)!.params).toMatchObject({
      "DateSent>": expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
    });
    expect(await client.messages.list({ to: "+12125550100", dateSentBefore: before })).toEqual([]);
    // Unfiltered, the queued message lists first: it has no date_sent yet.
    expect((await client.messages.list({ to: "+12125550100" })).map((m) => m.sid)).toEqual([queued.sid, sent.sid]);
  });

  it("refuses connections until told to accept them again, recording nothing meanwhile", async () => {
    await client.messages.create({ to: "+12125550100", from: "+12125550199", body: "keeps a connection alive" });
    await fake.refuseConnections();
    const err = await client.messages
      .create({ to: "+12125550100", from: "+12125550199", body: "x" })
      .catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe("ECONNREFUSED");
    expect(fake.requests).toHaveLength(1);

    await fake.acceptConnections();
    await expect(
      client.messages.create({ to: "+12125550100", from: "+12125550199", body: "y" }),
    ).resolves.toMatchObject({ body: "y" });
    expect(fake.requests).toHaveLength(2);
  });

  it("hosts media at public Twilio-style URLs", async () => {
    const url = fake.hostMedia(Buffer.from("gif-bytes"), "image/gif");
    expect(url).toMatch(
      new RegExp(`^${fake.url}/2010-04-01/Accounts/${fake.accountSid}/Messages/MM[0-9a-f]{32}/Media/ME[0-9a-f]{32}$`),
    );
    const res = await fetch(url);
    expect(res.headers.get("content-type")).toBe("image/gif");
    expect(await res.text()).toBe("gif-bytes");
  });
});
