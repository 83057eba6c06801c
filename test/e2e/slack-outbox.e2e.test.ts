import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase } from "../../src/db/database";
import { applyMigrations } from "../../src/db/migrate";
import { enqueueSlackPost } from "../../src/services/slack-outbox";
import { BOT_TOKEN, startHarness, type Harness } from "../support/app-harness";
import { createPostgresDatabase, type TestDatabaseTarget } from "../support/databases";

const CHANNEL = "C0VOTERS";
const OTHER = "C0UNMATCHED";

/** A database that outlives one app process, like a real deployment's. */
async function createPgliteOnDisk(): Promise<TestDatabaseTarget> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "p2p-outbox-"));
  return {
    name: "pglite",
    target: { kind: "pglite", dataDir },
    dispose: () => rm(dataDir, { recursive: true, force: true }),
  };
}

describe.each([
  ["postgres", createPostgresDatabase],
  ["pglite on disk", createPgliteOnDisk],
] as const)("the app's Slack outbox, end to end (%s)", (_name, create) => {
  let h: Harness;
  let rootId: string;
  beforeAll(async () => {
    // A previous process queued posts and died holding the channel while posting the first one.
    const made = await create();
    const before = await openDatabase(made.target);
    await applyMigrations(before);
    rootId = (
      await enqueueSlackPost(before.prisma, {
        channel: CHANNEL,
        method: "chat.postMessage",
        args: { text: "Ana replied" },
      })
    ).id;
    await enqueueSlackPost(before.prisma, {
      channel: CHANNEL,
      method: "chat.postMessage",
      args: { text: "in the thread" },
      parentId: rootId,
    });
    await enqueueSlackPost(before.prisma, {
      channel: OTHER,
      method: "chat.postMessage",
      args: { text: "unknown number texted" },
    });
    await before.prisma.$executeRawUnsafe(
      `UPDATE "SlackOutboxChannel" SET "leaseToken" = gen_random_uuid(), "leaseUntil" = now() - interval '1 second' WHERE channel = $1`,
      CHANNEL,
    );
    await before.prisma.slackOutbox.update({ where: { id: rootId }, data: { attempts: 1 } });
    await before.close();
    h = await startHarness(() => Promise.resolve(made));
  });
  afterAll(() => h?.close());

  it("posts what the previous process left queued, the post it died holding first, with the bot token", async () => {
    const reply = await h.slack.waitFor("chat.postMessage", (c) => c.args.text === "in the thread", 10_000);
    await h.slack.waitFor("chat.postMessage", (c) => c.args.text === "unknown number texted", 10_000);
    const inChannel = h.slack.callsTo("chat.postMessage").filter((c) => c.args.channel === CHANNEL);
    expect(inChannel.map((c) => c.args.text)).toEqual(["Ana replied", "in the thread"]);
    expect(reply.args.thread_ts).toBe(
      (await h.app.db.prisma.slackOutbox.findUniqueOrThrow({ where: { id: rootId } })).resultTs,
    );
    expect(new Set(h.slack.callsTo("chat.postMessage").map((c) => c.token))).toEqual(new Set([BOT_TOKEN]));
  });

  it("posts what is queued while it runs", async () => {
    const { id } = await enqueueSlackPost(h.app.db.prisma, {
      channel: OTHER,
      method: "chat.postMessage",
      args: { text: "another unknown number" },
    });
    await h.slack.waitFor("chat.postMessage", (c) => c.args.text === "another unknown number", 10_000);
    // Slack's answer is recorded right after the fake saw the call.
    const settled = async () => {
      for (let tries = 0; tries < 250; tries++) {
        const row = await h.app.db.prisma.slackOutbox.findUniqueOrThrow({ where: { id } });
        if (row.status !== "queued") return row;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error("the post was never settled");
    };
    expect(await settled()).toMatchObject({ status: "sent", attempts: 1, resultTs: expect.any(String) });
  });
});
