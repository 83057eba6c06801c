import { openDatabase, type Database } from "../../../src/db/database";
import { blockedChannelDelayMs, SLACK_CHANNEL_RATE } from "../../../src/domain/slack-rate";
import { SlackOutboxDrainer, type BlockedChannel } from "../../../src/services/slack-outbox-drainer";
import {
  enqueueSlackPost,
  reopenSlackChannel,
  slackOutboxSummary,
  type SlackPost,
  type SlackPoster,
  type SlackPostSettleHook,
  type SlackPostSettlement,
} from "../../../src/services/slack-outbox";
import { startFakeSlack, type FakeSlack, type SlackCall } from "../../fakes/slack-api";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";
import { drainToEnd, fakeSlackPoster, recordingLogger, virtualDrainer } from "../../support/outbox";
import { maxInWindow, rateViolations, VirtualClock } from "../../support/rate-check";

const C1 = "C0CAMPAIGN1";
const C2 = "C0CAMPAIGN2";

const message = (channel: string, text: string, extra: Partial<SlackPost> = {}): SlackPost => ({
  channel,
  method: "chat.postMessage",
  args: { text },
  ...extra,
});

/** Calls Slack accepted into `channel`, in the order it received them. */
const accepted = (slack: FakeSlack, channel: string, method = "chat.postMessage"): SlackCall[] =>
  slack.callsTo(method).filter((c) => c.args.channel === channel && c.status === 200 && c.error === undefined);
const texts = (calls: SlackCall[]) => calls.map((c) => c.args.text);

/** Calls the real poster, or not, then never answers: the process died mid-post. */
class DyingPoster implements SlackPoster {
  readonly died: Promise<void>;
  private markDied!: () => void;
  constructor(
    private readonly real: SlackPoster,
    private readonly when: "before calling Slack" | "after Slack answered",
  ) {
    this.died = new Promise((resolve) => (this.markDied = resolve));
  }
  async call(
    method: Parameters<SlackPoster["call"]>[0],
    args: Record<string, unknown>,
  ): ReturnType<SlackPoster["call"]> {
    if (this.when === "after Slack answered") await this.real.call(method, args);
    this.markDied();
    return new Promise<never>(() => undefined);
  }
}

describe.each(BACKENDS)("Slack outbox (%s)", (name, create) => {
  let db: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let clock: VirtualClock;
  let slack: FakeSlack;
  /** Drainers log here unless a test expects errors: an unexpected error (a failed settle) fails the test. */
  let log: ReturnType<typeof recordingLogger>;
  beforeAll(async () => {
    db = await openMigratedDatabase(create);
  });
  afterAll(() => db?.dispose());
  beforeEach(async () => {
    await db.prisma.$executeRawUnsafe(`TRUNCATE "SlackOutbox", "SlackOutboxChannel", "Contact" CASCADE`);
    clock = new VirtualClock();
    slack = await startFakeSlack({ clock: clock.now });
    log = recordingLogger();
  });
  afterEach(async () => {
    await slack.close();
    expect(log.lines().filter((line) => (line.level as number) >= 50)).toEqual([]);
  });

  const drainer = (options: Partial<ConstructorParameters<typeof SlackOutboxDrainer>[0]> = {}) =>
    virtualDrainer(clock, { prisma: db.prisma, poster: fakeSlackPoster(slack), logger: log.logger, ...options });
  const rows = () => db.prisma.slackOutbox.findMany({ orderBy: { position: "asc" } });

  describe("enqueue", () => {
    it("refuses a post it could never send, saying what to change, and queues nothing", async () => {
      const root = await enqueueSlackPost(db.prisma, message(C1, "root"));
      const bad: [SlackPost, RegExp][] = [
        [message("#volunteers", "hi"), /channel id such as C0123ABCD, not "#volunteers"/],
        [
          { ...message(C1, "hi"), method: "chat.delete" as never },
          /posts with chat.postMessage, chat.update, reactions.add/,
        ],
        [{ channel: C1, method: "chat.postMessage", args: { channel: C1, text: "hi" } }, /not inside its args/],
        [{ channel: C1, method: "chat.postMessage", args: { blocks: [] } }, /needs args.text, also when it has blocks/],
        [
          { channel: C1, method: "chat.update", args: { text: "edited" } },
          /needs the message it applies to: args.ts, or parentId/,
        ],
        [{ channel: C1, method: "reactions.add", args: {}, parentId: root.id }, /needs args.name/],
        [message(C1, "reply", { parentId: "0190a0a0-0000-7000-8000-000000000000" }), /is not in the Slack outbox/],
        [
          message(C2, "reply", { parentId: root.id }),
          /only to a message in its own channel: the parent is in C0CAMPAIGN1/,
        ],
        [
          { channel: C1, method: "chat.postMessage", args: { text: "x", thread_ts: "1.2" }, parentId: root.id },
          /either parentId or args.thread_ts/,
        ],
        [message(C1, "hi", { dedupeKey: "" }), /dedupe key must be a non-empty string/],
      ];
      for (const [post, problem] of bad) await expect(enqueueSlackPost(db.prisma, post)).rejects.toThrow(problem);
      expect(await db.prisma.slackOutbox.count()).toBe(1);
    });

    it("adds nothing for a repeated dedupe key and answers the first post's id", async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          enqueueSlackPost(db.prisma, message(C1, "Ana replied", { dedupeKey: "twilio:SM123" })),
        ),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(await db.prisma.slackOutbox.count()).toBe(1);
    });

    it("commits with its cause: a rolled-back transaction queues nothing", async () => {
      await expect(
        db.prisma.$transaction(async (tx) => {
          await enqueueSlackPost(tx, message(C1, "never"));
          throw new Error("the cause failed");
        }),
      ).rejects.toThrow("the cause failed");
      await db.prisma.$transaction((tx) => enqueueSlackPost(tx, message(C1, "kept")));
      expect((await rows()).map((r) => (r.payload as { text: string }).text)).toEqual(["kept"]);
    });
  });

  describe("draining", () => {
    it("posts in order per channel; replies, edits and reactions get their parent's ts", async () => {
      const root = await enqueueSlackPost(db.prisma, message(C1, "root"));
      await enqueueSlackPost(db.prisma, message(C1, "reply", { parentId: root.id }));
      await enqueueSlackPost(db.prisma, {
        channel: C1,
        method: "chat.update",
        args: { text: "root, edited" },
        parentId: root.id,
      });
      await enqueueSlackPost(db.prisma, {
        channel: C1,
        method: "reactions.add",
        args: { name: "white_check_mark" },
        parentId: root.id,
      });
      await enqueueSlackPost(db.prisma, message(C1, "next"));
      await drainToEnd(clock, [drainer()]);

      const rootTs = (await db.prisma.slackOutbox.findUniqueOrThrow({ where: { id: root.id } })).resultTs;
      expect(rootTs).toMatch(/^\d+\.\d{6}$/);
      const inChannel = slack.calls.filter((c) => c.args.channel === C1);
      expect(
        inChannel.map((c) => [c.method, c.args.text ?? c.args.name, c.args.thread_ts ?? c.args.ts ?? c.args.timestamp]),
      ).toEqual([
        ["chat.postMessage", "root", undefined],
        ["chat.postMessage", "reply", rootTs],
        ["chat.update", "root, edited", rootTs],
        ["reactions.add", "white_check_mark", rootTs],
        ["chat.postMessage", "next", undefined],
      ]);
      expect((await rows()).map((r) => [r.status, r.attempts])).toEqual(Array(5).fill(["sent", 1]));
    });

    it("runs a settle hook in the settling transaction, e.g. to store a conversation's thread ts", async () => {
      const contact = await db.prisma.contact.create({ data: { phone: "+15555550142", firstName: "Ana" } });
      const conversation = await db.prisma.conversation.create({ data: { contactId: contact.id } });
      const threadOpened: SlackPostSettleHook = async (tx, settled) => {
        await tx.conversation.update({
          where: { id: settled.ref! },
          data: { slackChannelId: settled.channel, slackThreadTs: settled.ts },
        });
      };
      const root = await enqueueSlackPost(
        db.prisma,
        message(C1, "Ana (…0142) replied", { onSettled: { hook: "thread-opened", ref: conversation.id } }),
      );
      await drainToEnd(clock, [drainer({ settleHooks: { "thread-opened": threadOpened } })]);

      const posted = await db.prisma.slackOutbox.findUniqueOrThrow({ where: { id: root.id } });
      expect(await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).toMatchObject({
        slackChannelId: C1,
        slackThreadTs: posted.resultTs,
      });
    });

    it("records a post as sent, once, when its settle hook throws, and reports the hook", async () => {
      const { logger, lines } = recordingLogger();
      const broken: SlackPostSettleHook = async () => {
        throw new Error("conversation vanished");
      };
      await enqueueSlackPost(db.prisma, message(C1, "root", { onSettled: { hook: "broken", ref: "x" } }));
      const d = drainer({ settleHooks: { broken }, logger });
      await drainToEnd(clock, [d]);
      clock.advance(3_600_000);
      await drainToEnd(clock, [d]);

      expect(accepted(slack, C1)).toHaveLength(1);
      const [row] = await rows();
      expect(row).toMatchObject({ status: "sent", lastError: "settle hook broken failed: conversation vanished" });
      expect(lines()).toContainEqual(
        expect.objectContaining({ level: 50, hook: "broken", msg: expect.stringContaining("settle hook failed") }),
      );
    });

    it("drains a burst of 500 posts into one channel at Slack's rate: 3 at once, then one a second", async () => {
      slack.setRateLimit("chat.postMessage", { perChannelPerSecond: 1, burst: 3 });
      await db.prisma.$transaction(
        async (tx) => {
          for (let i = 0; i < 500; i++) await enqueueSlackPost(tx, message(C1, `reply ${i}`));
        },
        { timeout: 60_000 },
      );
      await drainToEnd(clock, [drainer()]);

      const calls = slack.callsTo("chat.postMessage");
      expect(calls.filter((c) => c.status !== 200)).toEqual([]);
      expect(texts(calls)).toEqual(Array.from({ length: 500 }, (_, i) => `reply ${i}`));
      const times = calls.map((c) => c.at.getTime());
      expect(rateViolations(times, SLACK_CHANNEL_RATE)).toEqual([]);
      expect(maxInWindow(times, 1000)).toBe(3);
      // As fast as the rate allows: the burst at once, then 497 more a second apart.
      expect(clock.elapsed(times.at(-1)!)).toBe(497_000);
      expect(await slackOutboxSummary(db.prisma)).toMatchObject({ queued: 0, sent: 500, failed: 0 });
    }, 120_000);

    it("lets several drainers share one database: each post once, in order, the rate kept between them", async () => {
      const others: Database[] =
        name === "postgres" ? await Promise.all([openDatabase(db.target), openDatabase(db.target)]) : [db, db];
      try {
        for (let i = 0; i < 40; i++) {
          await enqueueSlackPost(db.prisma, message(C1, `one ${i}`));
          await enqueueSlackPost(db.prisma, message(C2, `two ${i}`));
        }
        const drainers = [db, ...others].map((d) => drainer({ prisma: d.prisma, poster: fakeSlackPoster(slack) }));
        const total = await drainToEnd(clock, drainers);

        expect(total.posted).toBe(80);
        for (const [channel, prefix] of [
          [C1, "one"],
          [C2, "two"],
        ] as const) {
          expect(texts(accepted(slack, channel))).toEqual(Array.from({ length: 40 }, (_, i) => `${prefix} ${i}`));
          const times = slack
            .callsTo("chat.postMessage")
            .filter((c) => c.args.channel === channel)
            .map((c) => c.at.getTime());
          expect(rateViolations(times, SLACK_CHANNEL_RATE)).toEqual([]);
        }
      } finally {
        if (name === "postgres") await Promise.all(others.map((o) => o.close()));
      }
    });

    it("honours Retry-After by pausing that channel only", async () => {
      await enqueueSlackPost(db.prisma, message(C1, "one 0"));
      slack.failNext("chat.postMessage", { retryAfterSeconds: 30 });
      const d = drainer();
      expect(await d.drainDue()).toMatchObject({ rateLimited: 1, nextDueInMs: 30_000 });
      for (let i = 1; i < 4; i++) await enqueueSlackPost(db.prisma, message(C1, `one ${i}`));
      for (let i = 0; i < 5; i++) await enqueueSlackPost(db.prisma, message(C2, `two ${i}`));
      await drainToEnd(clock, [d]);

      const [limited, ...rest] = slack.callsTo("chat.postMessage").filter((c) => c.args.channel === C1);
      expect(limited).toMatchObject({ status: 429, args: { text: "one 0" } });
      expect(texts(rest)).toEqual(["one 0", "one 1", "one 2", "one 3"]);
      expect(clock.elapsed(rest[0]!.at)).toBe(30_000);
      // The other channel went on meanwhile, at its own rate.
      expect(accepted(slack, C2).map((c) => clock.elapsed(c.at))).toEqual([0, 0, 0, 1000, 2000]);
      expect((await rows()).find((r) => (r.payload as { text: string }).text === "one 0")).toMatchObject({
        status: "sent",
        attempts: 1,
      });
    });

    it("retries passing failures with growing waits, holding the channel's order", async () => {
      slack.failNext("chat.postMessage", { error: "internal_error" });
      slack.failNext("chat.postMessage", { status: 503 });
      for (let i = 0; i < 3; i++) await enqueueSlackPost(db.prisma, message(C1, `reply ${i}`));
      await drainToEnd(clock, [drainer()]);

      const calls = slack.callsTo("chat.postMessage");
      expect(calls.map((c) => [c.args.text, c.status, c.error, clock.elapsed(c.at)])).toEqual([
        ["reply 0", 200, "internal_error", 0],
        ["reply 0", 503, "fatal_error", 1000],
        ["reply 0", 200, undefined, 3000],
        ["reply 1", 200, undefined, 3000],
        ["reply 2", 200, undefined, 3000],
      ]);
      expect((await rows()).map((r) => [r.status, r.attempts])).toEqual([
        ["sent", 3],
        ["sent", 1],
        ["sent", 1],
      ]);
    });

    it("gives up after the retry policy's attempts and marks the post failed", async () => {
      slack.failNext("chat.postMessage", { error: "internal_error", times: 5 });
      await enqueueSlackPost(db.prisma, message(C1, "doomed"));
      await enqueueSlackPost(db.prisma, message(C1, "after"));
      const { logger, lines } = recordingLogger();
      await drainToEnd(clock, [drainer({ logger, retry: { firstDelayMs: 10, maxDelayMs: 10, maxAttempts: 3 } })]);
      expect((await rows()).map((r) => [r.status, r.lastError])).toEqual([
        ["failed", "gave up after 3 attempts: internal_error"],
        ["sent", null],
      ]);
      expect(
        lines()
          .filter((l) => l.level === 50)
          .map((l) => l.error),
      ).toEqual(["gave up after 3 attempts: internal_error"]);
    });

    it("marks a post Slack refuses for good as failed, reports it, and fails the replies that needed it", async () => {
      const { logger, lines } = recordingLogger();
      const settled: SlackPostSettlement[] = [];
      slack.failNext("chat.postMessage", { error: "invalid_blocks" });
      const root = await enqueueSlackPost(
        db.prisma,
        message(C1, "root", { onSettled: { hook: "watch", ref: "conv-1" } }),
      );
      const reply = await enqueueSlackPost(db.prisma, message(C1, "reply", { parentId: root.id }));
      await enqueueSlackPost(db.prisma, message(C1, "unrelated"));
      await drainToEnd(clock, [drainer({ logger, settleHooks: { watch: async (_tx, s) => void settled.push(s) } })]);

      expect(texts(slack.callsTo("chat.postMessage"))).toEqual(["root", "unrelated"]);
      expect((await rows()).map((r) => [r.status, r.lastError])).toEqual([
        ["failed", "invalid_blocks"],
        ["failed", `its parent post ${root.id} failed: invalid_blocks`],
        ["sent", null],
      ]);
      expect(settled).toEqual([
        { outboxId: root.id, channel: C1, ref: "conv-1", outcome: "failed", ts: null, error: "invalid_blocks" },
      ]);
      const reported = lines().filter((l) => l.level === 50);
      expect(reported.map((l) => [l.outboxId, l.error])).toEqual([
        [root.id, "invalid_blocks"],
        [reply.id, `its parent post ${root.id} failed: invalid_blocks`],
      ]);
      // A reply that never reached Slack gives its rate token back: "unrelated" went out at once.
      expect(accepted(slack, C1).map((c) => clock.elapsed(c.at))).toEqual([0]);
    });

    it("keeps a channel's posts queued while Slack refuses the channel, tells once, and posts them in order once the bot is in", async () => {
      const { logger } = recordingLogger();
      slack.addChannel({ id: C1, is_member: false });
      const told: BlockedChannel[] = [];
      const waiting = drainer({ logger, onChannelBlocked: async (_tx, b) => void told.push(b) });
      const root = await enqueueSlackPost(db.prisma, message(C1, "root"));
      await enqueueSlackPost(db.prisma, message(C1, "text 1", { parentId: root.id }));
      await enqueueSlackPost(db.prisma, message(C2, "elsewhere"));

      const first = await waiting.drainDue();
      expect(first).toMatchObject({ posted: 1, blocked: 1, nextDueInMs: blockedChannelDelayMs(1) });
      expect(told).toEqual([{ channel: C1, error: "not_in_channel", since: clock.date() }]);
      await enqueueSlackPost(db.prisma, message(C1, "text 2", { parentId: root.id }));
      // Tried again with backoff (1 min, then 2), still refused: told only once, nothing failed.
      clock.advance(blockedChannelDelayMs(1));
      expect(await waiting.drainDue()).toMatchObject({ blocked: 1, nextDueInMs: blockedChannelDelayMs(2) });
      expect(told).toHaveLength(1);
      expect((await rows()).map((r) => [r.status, r.attempts])).toEqual([
        ["queued", 0],
        ["queued", 0],
        ["sent", 1],
        ["queued", 0],
      ]);

      // The bot is invited and joins: the channel is tried at once, not after its backoff.
      slack.addChannel({ id: C1, is_member: true });
      expect(await reopenSlackChannel(db.prisma, C1)).toBe(true);
      await drainToEnd(clock, [waiting]);
      const posted = accepted(slack, C1);
      expect(texts(posted)).toEqual(["root", "text 1", "text 2"]);
      const rootRow = (await rows())[0]!;
      expect(posted.slice(1).map((c) => c.args.thread_ts)).toEqual([rootRow.resultTs, rootRow.resultTs]);
      expect(clock.elapsed(posted[0]!.at)).toBe(blockedChannelDelayMs(1));
      expect(await db.prisma.slackOutboxChannel.findUnique({ where: { channel: C1 } })).toMatchObject({
        blockedError: null,
        blockedSince: null,
        blockedRetries: 0,
      });
      expect(await reopenSlackChannel(db.prisma, C1)).toBe(false);
    });

    it("fails a direct message Slack refuses instead of waiting for an invitation that cannot come", async () => {
      const { logger } = recordingLogger();
      slack.failNext("chat.postMessage", { error: "channel_not_found" });
      await enqueueSlackPost(db.prisma, message("U0GONE", "hello"));
      await drainToEnd(clock, [drainer({ logger })]);
      expect((await rows()).map((r) => [r.status, r.lastError])).toEqual([["failed", "channel_not_found"]]);
    });

    it("reposts a post whose drainer died before calling Slack, once its lease expires", async () => {
      await enqueueSlackPost(db.prisma, message(C1, "reply 0"));
      await enqueueSlackPost(db.prisma, message(C1, "reply 1"));
      const dying = new DyingPoster(fakeSlackPoster(slack), "before calling Slack");
      void drainer({ poster: dying, lanes: 1, leaseMs: 30_000 }).drainDue();
      await dying.died;

      const survivor = drainer();
      expect(await survivor.drainDue()).toMatchObject({ posted: 0, nextDueInMs: 30_000 });
      await drainToEnd(clock, [survivor]);
      expect(texts(slack.callsTo("chat.postMessage"))).toEqual(["reply 0", "reply 1"]);
      expect(clock.elapsed(slack.calls[0]!.at)).toBe(30_000);
      expect((await rows()).map((r) => [r.status, r.attempts])).toEqual([
        ["sent", 2],
        ["sent", 1],
      ]);
    });

    it("posts again (at least once) when its drainer died after Slack answered; records it once and keeps the rate", async () => {
      const hookRuns: string[] = [];
      await enqueueSlackPost(db.prisma, message(C1, "reply 0", { onSettled: { hook: "count", ref: "r0" } }));
      await enqueueSlackPost(db.prisma, message(C1, "reply 1"));
      const dying = new DyingPoster(fakeSlackPoster(slack), "after Slack answered");
      void drainer({ poster: dying, lanes: 1 }).drainDue();
      await dying.died;
      await drainToEnd(clock, [drainer({ settleHooks: { count: async (_tx, s) => void hookRuns.push(s.ref!) } })]);

      // Slack cannot dedupe chat.postMessage: the one duplicate is the documented cost of a crash in that window.
      expect(texts(accepted(slack, C1))).toEqual(["reply 0", "reply 0", "reply 1"]);
      expect(hookRuns).toEqual(["r0"]);
      expect((await rows()).map((r) => r.status)).toEqual(["sent", "sent"]);
      expect(
        rateViolations(
          accepted(slack, C1).map((c) => c.at.getTime()),
          SLACK_CHANNEL_RATE,
        ),
      ).toEqual([]);
    });

    it("marks a post failed, without calling Slack, when every drainer that took it died", async () => {
      await enqueueSlackPost(db.prisma, message(C1, "poison"));
      const retry = { firstDelayMs: 1000, maxDelayMs: 1000, maxAttempts: 2 };
      for (let i = 0; i < 2; i++) {
        const dying = new DyingPoster(fakeSlackPoster(slack), "before calling Slack");
        void drainer({ poster: dying, lanes: 1, leaseMs: 1000, retry }).drainDue();
        await dying.died;
        clock.advance(1000);
      }
      const { logger, lines } = recordingLogger();
      await drainToEnd(clock, [drainer({ retry, logger })]);
      expect(slack.callsTo("chat.postMessage")).toEqual([]);
      expect(lines().filter((l) => l.level === 50)).toHaveLength(1);
      const [row] = await rows();
      expect(row).toMatchObject({ status: "failed", attempts: 3 });
      expect(row!.lastError).toMatch(/^gave up after 2 attempts; the last one never finished/);
    });
  });

  describe("running in the background, on the real clock", () => {
    it("posts what is queued at Slack's real rate, and stop() lets the post in flight finish", async () => {
      const realSlack = await startFakeSlack();
      const outbox = new SlackOutboxDrainer({
        prisma: db.prisma,
        poster: fakeSlackPoster(realSlack),
        logger: log.logger,
      });
      try {
        // Slack's own limit, as a token bucket: it would answer 429 to a post over the rate.
        realSlack.setRateLimit("chat.postMessage", { perChannelPerSecond: 1, burst: 3 });
        for (let i = 0; i < 5; i++) await enqueueSlackPost(db.prisma, message(C1, `reply ${i}`));
        const started = Date.now();
        outbox.start();
        await realSlack.waitFor("chat.postMessage", (c) => c.args.text === "reply 4", 15_000);

        const calls = realSlack.callsTo("chat.postMessage");
        expect(calls.map((c) => [c.args.text, c.status])).toEqual(
          Array.from({ length: 5 }, (_, i) => [`reply ${i}`, 200]),
        );
        const times = calls.map((c) => c.at.getTime());
        expect(rateViolations(times, SLACK_CHANNEL_RATE)).toEqual([]);
        expect(maxInWindow(times, 1000)).toBe(3);
        expect(times.at(-1)! - started).toBeGreaterThanOrEqual(2000);

        realSlack.delay(300);
        const last = await enqueueSlackPost(db.prisma, message(C1, "last"));
        outbox.wake();
        await realSlack.waitFor("chat.postMessage", (c) => c.args.text === "last", 15_000);
        await outbox.stop();
        expect(await db.prisma.slackOutbox.findUniqueOrThrow({ where: { id: last.id } })).toMatchObject({
          status: "sent",
        });
        expect(await db.prisma.slackOutboxChannel.findUniqueOrThrow({ where: { channel: C1 } })).toMatchObject({
          leaseToken: null,
        });
      } finally {
        await outbox.stop();
        await realSlack.close();
      }
    }, 30_000);
  });
});

describe("Slack outbox without its database", () => {
  it("keeps looking for work while PostgreSQL is unreachable, and reports it", async () => {
    const { logger, lines } = recordingLogger();
    const unreachable = await openDatabase({ kind: "postgres", url: "postgresql://postgres@127.0.0.1:1/nowhere" });
    const slack = await startFakeSlack();
    const outbox = new SlackOutboxDrainer({
      prisma: unreachable.prisma,
      poster: fakeSlackPoster(slack),
      logger,
      pollMs: 20,
    });
    try {
      outbox.start();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await outbox.stop();
      const errors = lines().filter((l) => l.level === 50);
      expect(errors.length).toBeGreaterThanOrEqual(2);
      expect(errors[0]).toMatchObject({ msg: expect.stringContaining("could not claim work") });
    } finally {
      await Promise.all([slack.close(), unreachable.close()]);
    }
  });
});
