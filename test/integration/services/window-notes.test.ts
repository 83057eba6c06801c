import type { Database } from "../../../src/db/database";
import { announceOpenedWindows, type WindowNoteDeps } from "../../../src/services/window-notes";
import { slackWindowNotes } from "../../../src/slack/blocks/window-notes";
import { launchedCampaign } from "../../support/campaigns";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

const NOON = new Date("2026-11-30T17:00:00Z");
const MINUTE = 60_000;

describe.each(BACKENDS)("notes when sending hours open (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let now = NOON;
  let deps: WindowNoteDeps;

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    deps = { db, clock: () => now, campaignPosts: slackWindowNotes };
  });
  afterAll(() => db?.dispose());

  const posts = () =>
    db.prisma.slackOutbox
      .findMany({ where: { channel: "C0REPLIES" }, orderBy: { position: "asc" } })
      .then((rows) => rows.map((r) => (r.payload as { text: string }).text));

  it("say once, at most hourly, how many deferred contacts can be texted now, per time zone", async () => {
    const zones = ["America/Los_Angeles", "America/Los_Angeles", "America/New_York", "America/Detroit", null];
    await db.prisma.contact.createMany({
      data: zones.map((timeZone, i) => ({
        phone: `+1415555${String(8000 + i)}`,
        firstName: `W${i}`,
        timeZone,
        tags: ["win"],
      })),
    });
    const campaign = await launchedCampaign(db, { name: "Windows", tag: "win", createdBy: "U0ORG" });
    const defer = (phones: string[], until: Date) =>
      db.prisma.campaignContact.updateMany({
        where: { campaignId: campaign.id, contact: { phone: { in: phones } } },
        data: { status: "deferred", deferredUntil: until },
      });
    await defer(
      ["+14155558000", "+14155558001", "+14155558002", "+14155558003"],
      new Date(NOON.getTime() - 5 * MINUTE),
    );
    await defer(["+14155558004"], new Date(NOON.getTime() + 30 * MINUTE));

    const runs = await Promise.all([announceOpenedWindows(deps), announceOpenedWindows(deps)]);
    expect(runs.reduce((n, r) => n + r.announced, 0)).toBe(1);
    expect(await posts()).toEqual([
      ":sunrise: 2 contacts in Pacific time and 2 contacts in Eastern time can be texted now for *Windows*: `/campaign send Windows`.",
    ]);
    // The last one opens at 12:30, but the channel heard from us at noon: it waits for the hour.
    now = new Date(NOON.getTime() + 40 * MINUTE);
    expect(await announceOpenedWindows(deps)).toEqual({ announced: 0 });
    now = new Date(NOON.getTime() + 61 * MINUTE);
    expect(await announceOpenedWindows(deps)).toEqual({ announced: 1 });
    expect((await posts()).at(-1)).toBe(
      ":sunrise: 1 contact in an unknown time zone can be texted now for *Windows*: `/campaign send Windows`.",
    );
    now = new Date(NOON.getTime() + 200 * MINUTE);
    expect(await announceOpenedWindows(deps)).toEqual({ announced: 0 });
  });
});
