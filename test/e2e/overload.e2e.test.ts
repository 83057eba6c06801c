import net from "node:net";
import {
  FORM_CONTENT_TYPE,
  inboundSmsParams,
  postToSlackApp,
  postTwilioWebhook,
  signSlackRequest,
  signTwilioWebhook,
  slashCommandBody,
} from "../fakes/signing";
import { PUBLIC_URL, SENDER, SIGNING_SECRET, startHarness, type Harness } from "../support/app-harness";
import { BACKENDS } from "../support/databases";

/*
 * Overload, made deterministic: with a budget of one request in progress per class, a request
 * held open half-sent occupies it, and the next one of its class must be answered at once with 503
 * and Retry-After (never a reset connection), while the other class and /healthz still answer.
 */
describe("admission control under overload", () => {
  const [, create] = BACKENDS.find(([name]) => name === "pglite")!;
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(create, {}, {}, { http: { maxInFlight: 1 } });
  });
  afterAll(() => h?.close());

  /** Sends a request's headers and half its body, then waits: the app is working on it (reading). */
  async function holdOpen(path: string, headers: Record<string, string>, body: string) {
    const { port } = new URL(h.app.localUrl);
    const socket = net.connect(Number(port), "127.0.0.1");
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const answer = new Promise<string>((resolve) => {
      let data = "";
      socket.on("data", (chunk) => (data += chunk.toString()));
      socket.on("end", () => resolve(data));
    });
    const head = Object.entries({ ...headers, "content-length": String(Buffer.byteLength(body)), connection: "close" })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("");
    const half = Math.floor(body.length / 2);
    socket.write(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${head}\r\n${body.slice(0, half)}`);
    return {
      finish: async () => {
        socket.end(body.slice(half));
        return answer;
      },
    };
  }
  const until = async (what: string, check: () => boolean) => {
    for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    if (!check()) throw new Error(`timed out waiting until ${what}`);
  };

  it("answers what it cannot take with 503 and Retry-After, per class, and never refuses /healthz", async () => {
    const held = inboundSmsParams({ from: "+12125550171", to: SENDER, body: "held while the app is busy" });
    const twilio = await holdOpen(
      "/twilio/sms",
      {
        "content-type": FORM_CONTENT_TYPE,
        "x-twilio-signature": signTwilioWebhook(h.config.twilio.authToken, `${PUBLIC_URL}/twilio/sms`, held),
      },
      new URLSearchParams(held).toString(),
    );
    await until("the held webhook is in progress", () => h.app.admission.inFlight.twilio === 1);

    const refused = await fetch(`${h.app.localUrl}/twilio/sms`, {
      method: "POST",
      headers: { "content-type": FORM_CONTENT_TYPE },
      body: new URLSearchParams(inboundSmsParams({ from: "+12125550172", to: SENDER, body: "over" })).toString(),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    await refused.text();
    const status = await postTwilioWebhook(h.app.localUrl, PUBLIC_URL, "/twilio/status", h.config.twilio.authToken, {
      MessageSid: "SM00000000000000000000000000000001",
      MessageStatus: "delivered",
    });
    expect(status.status).toBe(503);
    expect(h.app.admission.refused.twilio).toBe(2);

    // Slack's budget is its own: a slash command still gets through, then one held open fills it.
    const command = slashCommandBody({ command: "/campaign", text: "help", user_id: "U0ORGANIZER" });
    expect((await postToSlackApp(h.app.localUrl, { secret: SIGNING_SECRET, body: command })).status).toBe(200);
    const slack = await holdOpen("/slack/events", { ...signSlackRequest(SIGNING_SECRET, command) }, command);
    await until("the held Slack request is in progress", () => h.app.admission.inFlight.slack === 1);
    const busy = await postToSlackApp(h.app.localUrl, { secret: SIGNING_SECRET, body: command });
    expect(busy.status).toBe(503);
    expect(h.app.admission.refused.slack).toBe(1);

    const health = await fetch(`${h.app.localUrl}/healthz`);
    expect(health.status).toBe(200);
    await health.text();

    // The held requests finish normally and give their place back.
    expect(await twilio.finish()).toMatch(/^HTTP\/1\.1 200 [\s\S]*<Response><\/Response>$/);
    expect(await slack.finish()).toMatch(/^HTTP\/1\.1 200 /);
    expect(h.app.admission.inFlight).toEqual({ slack: 0, twilio: 0 });
    const after = await postTwilioWebhook(
      h.app.localUrl,
      PUBLIC_URL,
      "/twilio/sms",
      h.config.twilio.authToken,
      inboundSmsParams({ from: "+12125550173", to: SENDER, body: "after the rush" }),
    );
    expect(after.status).toBe(200);
    // Only what was taken is stored; the refused text waits in Twilio's log for reconciliation.
    const stored = await h.app.db.prisma.message.findMany({ where: { direction: "inbound" }, select: { body: true } });
    expect(stored.map((m) => m.body).sort()).toEqual(["after the rush", "held while the app is busy"]);
  });
});
