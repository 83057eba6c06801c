import { createHmac } from "node:crypto";
import pino from "pino";
import type { Database } from "../../../src/db/database";
import { verifyWebhookSignature } from "../../../src/domain/webhooks";
import { latestAudit } from "../../../src/services/audit";
import { recordOptIn, recordOptOut } from "../../../src/services/opt-outs";
import { deliverWebhooks, type WebhookDeliveryDeps } from "../../../src/services/webhooks";
import { startFakeWebhookReceiver, type FakeWebhookReceiver } from "../../fakes/webhook-receiver";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

const SECRET = "webhook-secret-0123456789";
const START = new Date("2026-11-30T15:00:00Z");
const MINUTE = 60_000;

describe.each(BACKENDS)("outgoing webhooks (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let receiver: FakeWebhookReceiver;
  let now = START;
  let deps: WebhookDeliveryDeps;

  beforeAll(async () => {
    [db, receiver] = await Promise.all([openMigratedDatabase(create), startFakeWebhookReceiver()]);
    deps = { db, target: { url: receiver.url, secret: SECRET }, clock: () => now, logger: pino({ level: "silent" }) };
  });
  afterAll(async () => {
    await Promise.all([db?.dispose(), receiver?.close()]);
  });
  beforeEach(async () => {
    now = START;
    receiver.reset();
    await db.prisma.webhookEvent.deleteMany();
    await db.prisma.optOut.deleteMany();
  });

  const optOut = (phone: string) =>
    db.prisma.$transaction((tx) => recordOptOut(tx, phone, "reply_phrase", "please stop", now));
  const optIn = (phone: string) => db.prisma.$transaction((tx) => recordOptIn(tx, phone, now));
  const bodies = () => receiver.received.filter((r) => r.status === 200).map((r) => JSON.parse(r.body));

  it("posts each event once, signed with HMAC-SHA256 over the timestamp and the raw body", async () => {
    await db.prisma.contact.create({ data: { phone: "+12125550401", firstName: "Ada" } });
    await optOut("+12125550401");
    expect(await deliverWebhooks(deps)).toMatchObject({ delivered: 1, retrying: 0 });
    expect(await deliverWebhooks(deps)).toMatchObject({ delivered: 0 });
    expect(receiver.received).toHaveLength(1);
    const [hit] = receiver.received;
    const timestamp = String(hit!.headers["x-texting-timestamp"]);
    const signature = String(hit!.headers["x-texting-signature"]);
    // What a receiver computes, as the README shows it.
    const expected = `v1=${createHmac("sha256", SECRET).update(`${timestamp}.${hit!.body}`).digest("hex")}`;
    expect(signature).toBe(expected);
    expect(verifyWebhookSignature(SECRET, { signature, timestamp }, hit!.body, Number(timestamp))).toBe(true);
    expect(
      verifyWebhookSignature("another-secret-0123456", { signature, timestamp }, hit!.body, Number(timestamp)),
    ).toBe(false);
    expect(verifyWebhookSignature(SECRET, { signature, timestamp }, `${hit!.body} `, Number(timestamp))).toBe(false);
    expect(verifyWebhookSignature(SECRET, { signature, timestamp }, hit!.body, Number(timestamp) + 301)).toBe(false);
    const event = JSON.parse(hit!.body);
    expect(event).toMatchObject({
      type: "opt-out",
      phone: "+12125550401",
      contact: { firstName: "Ada" },
      data: { source: "reply_phrase" },
    });
    expect(hit!.headers["x-texting-event-id"]).toBe(event.id);
  });

  it("writes an event only when its cause commits", async () => {
    await expect(
      db.prisma.$transaction(async (tx) => {
        await recordOptOut(tx, "+12125550402", "admin", "by hand", now);
        throw new Error("something later failed");
      }),
    ).rejects.toThrow("something later failed");
    expect(await db.prisma.webhookEvent.count()).toBe(0);
  });

  it("retries a failed delivery with growing waits until the receiver takes it", async () => {
    await optOut("+12125550403");
    receiver.failNext(2, 500);
    expect(await deliverWebhooks(deps)).toMatchObject({ retrying: 1 });
    // Not due again before its wait is over.
    now = new Date(START.getTime() + 20_000);
    expect(await deliverWebhooks(deps)).toMatchObject({ delivered: 0, retrying: 0 });
    now = new Date(START.getTime() + 31_000);
    receiver.failNext(1, "drop");
    expect(await deliverWebhooks(deps)).toMatchObject({ retrying: 1 });
    const waiting = await db.prisma.webhookEvent.findFirstOrThrow();
    expect(waiting.availableAt.getTime() - now.getTime()).toBe(MINUTE); // 30 s, then 60 s
    expect(waiting.lastError).toContain("no answer");
    now = new Date(now.getTime() + MINUTE);
    expect(await deliverWebhooks(deps)).toMatchObject({ delivered: 1 });
    expect(receiver.received.map((r) => r.status)).toEqual([500, 0, 200]);
    expect(await db.prisma.webhookEvent.findFirstOrThrow()).toMatchObject({ status: "delivered", attempts: 3 });
  });

  it("delivers one voter's events in order: a later one waits while an earlier one is retried, other voters' do not", async () => {
    await optOut("+12125550404");
    await optIn("+12125550404");
    await optOut("+12125550405");
    receiver.failNext(1, 503);
    expect(await deliverWebhooks(deps)).toMatchObject({ delivered: 1, retrying: 1 });
    expect(bodies().map((b) => [b.phone, b.type])).toEqual([["+12125550405", "opt-out"]]);
    now = new Date(START.getTime() + MINUTE);
    await deliverWebhooks(deps);
    expect(bodies().map((b) => [b.phone, b.type])).toEqual([
      ["+12125550405", "opt-out"],
      ["+12125550404", "opt-out"],
      ["+12125550404", "opt-in"],
    ]);
  });

  it("gives up after a day of retries, records it for organizers, and moves on to the voter's next event", async () => {
    await optOut("+12125550406");
    await optIn("+12125550406");
    let tries = 0;
    while ((await db.prisma.webhookEvent.count({ where: { status: "failed" } })) === 0 && tries < 100) {
      receiver.failNext(1, 500);
      await deliverWebhooks(deps);
      const next = await db.prisma.webhookEvent.findFirst({
        where: { status: "queued" },
        orderBy: { position: "asc" },
      });
      now = next ? new Date(Math.max(next.availableAt.getTime(), now.getTime())) : now;
      tries++;
    }
    const failed = await db.prisma.webhookEvent.findFirstOrThrow({ where: { status: "failed" } });
    expect(failed.type).toBe("opt-out");
    expect(failed.settledAt!.getTime() - START.getTime()).toBeLessThanOrEqual(24 * 60 * MINUTE);
    expect(failed.settledAt!.getTime() - START.getTime()).toBeGreaterThan(23 * 60 * MINUTE);
    const audit = await db.prisma.auditEvent.findFirstOrThrow({ where: { action: "webhook.failed" } });
    expect(audit.subject).toContain("opt-out event for");
    expect(audit.subject).not.toContain("5550406");
    // An opt-out belongs to no campaign: its failure shows in every campaign's /campaign audit.
    const trail = await latestAudit(db, "00000000-0000-7000-8000-000000000001");
    expect(trail.map((line) => line.action)).toContain("webhook.failed");
    // The opt-in behind it goes now (it waited its turn, and the receiver is back).
    await deliverWebhooks(deps);
    expect(bodies().map((b) => b.type)).toEqual(["opt-in"]);
  });

  it("closes events unsent when no WEBHOOK_URL is set", async () => {
    await optOut("+12125550407");
    expect(await deliverWebhooks({ ...deps, target: null })).toMatchObject({ notSetUp: 1 });
    expect(receiver.received).toHaveLength(0);
    expect(await db.prisma.webhookEvent.findFirstOrThrow()).toMatchObject({ status: "failed" });
  });
});
