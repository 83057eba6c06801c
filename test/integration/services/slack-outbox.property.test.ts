/**
 * Invariant 6 as a property: for random schedules of enqueues, drains by two drainers, clock moves,
 * Slack failures (429 with Retry-After, passing and permanent errors) and drainers dying mid-post,
 * every queued post ends up posted once or marked failed (a second copy only where a drainer died
 * after Slack answered), each channel's posts leave in order, and Slack never sees a channel
 * posted to faster than its rate.
 */
import fc from "fast-check";
import { openDatabase, type Database } from "../../../src/db/database";
import { SLACK_CHANNEL_RATE } from "../../../src/domain/slack-rate";
import { enqueueSlackPost, type SlackPoster } from "../../../src/services/slack-outbox";
import { startFakeSlack, type FakeSlack, type SlackFailure } from "../../fakes/slack-api";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";
import { drainToEnd, fakeSlackPoster, recordingLogger, virtualDrainer } from "../../support/outbox";
import { rateViolations, VirtualClock } from "../../support/rate-check";

const CHANNELS = ["C0PROPA", "C0PROPB"] as const;

type Action =
  | { kind: "enqueue"; channel: 0 | 1; count: number; threaded: boolean }
  | { kind: "drain"; both: boolean }
  | { kind: "advance"; ms: number }
  | { kind: "fail"; failure: "ratelimited" | "internal_error" | "channel_not_found"; retryAfterSeconds: number }
  | { kind: "die"; when: "before calling Slack" | "after Slack answered" };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("enqueue" as const),
      channel: fc.constantFrom(0 as const, 1 as const),
      count: fc.integer({ min: 1, max: 4 }),
      threaded: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("drain" as const), both: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 5000 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("fail" as const),
      failure: fc.constantFrom("ratelimited" as const, "internal_error" as const, "channel_not_found" as const),
      retryAfterSeconds: fc.integer({ min: 1, max: 20 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("die" as const),
      when: fc.constantFrom("before calling Slack" as const, "after Slack answered" as const),
    }),
  },
);

/** Calls Slack (or not), then never answers, as a process killed mid-post; remembers what Slack accepted. */
class DyingPoster implements SlackPoster {
  readonly died: Promise<void>;
  private markDied!: () => void;
  constructor(
    private readonly real: SlackPoster,
    private readonly when: "before calling Slack" | "after Slack answered",
    private readonly swallowed: string[],
  ) {
    this.died = new Promise((resolve) => (this.markDied = resolve));
  }
  async call(
    method: Parameters<SlackPoster["call"]>[0],
    args: Record<string, unknown>,
  ): ReturnType<SlackPoster["call"]> {
    if (this.when === "after Slack answered") {
      const outcome = await this.real.call(method, args);
      if (outcome.kind === "posted") this.swallowed.push(String(args.text));
    }
    this.markDied();
    return new Promise<never>(() => undefined);
  }
}

describe.each(BACKENDS)("Slack outbox invariants (%s)", (name, create) => {
  let db: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let second: Database;
  let clock = new VirtualClock();
  let slack: FakeSlack;
  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    // On PostgreSQL the second drainer has its own connection pool, as another process would.
    second = name === "postgres" ? await openDatabase(db.target) : db;
    slack = await startFakeSlack({ clock: () => clock.now() });
  });
  afterAll(async () => {
    await slack?.close();
    if (second !== db) await second?.close();
    await db?.dispose();
  });

  it("posts every queued post once (or marks it failed and reports it), in order per channel, never over the rate", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 1, maxLength: 25 }), async (actions) => {
        await db.prisma.$executeRawUnsafe(`TRUNCATE "SlackOutbox", "SlackOutboxChannel"`);
        slack.reset();
        clock = new VirtualClock();
        const { logger, lines } = recordingLogger();
        const drainers = [db, second].map((d) =>
          virtualDrainer(clock, { prisma: d.prisma, poster: fakeSlackPoster(slack), logger, lanes: 2 }),
        );
        const queued: { id: string; channel: string; text: string; parentId?: string }[] = [];
        const swallowed: string[] = [];

        for (const action of actions) {
          switch (action.kind) {
            case "enqueue": {
              const channel = CHANNELS[action.channel];
              const root = action.threaded
                ? queued.filter((q) => q.channel === channel && !q.parentId).at(-1)
                : undefined;
              for (let i = 0; i < action.count; i++) {
                const text = `${channel} #${queued.length}`;
                const { id } = await enqueueSlackPost(db.prisma, {
                  channel,
                  method: "chat.postMessage",
                  args: { text },
                  ...(root && { parentId: root.id }),
                });
                queued.push({ id, channel, text, ...(root && { parentId: root.id }) });
              }
              break;
            }
            case "drain":
              await Promise.all((action.both ? drainers : drainers.slice(0, 1)).map((d) => d.drainDue()));
              break;
            case "advance":
              clock.advance(action.ms);
              break;
            case "fail": {
              const failure: SlackFailure =
                action.failure === "ratelimited"
                  ? { retryAfterSeconds: action.retryAfterSeconds }
                  : { error: action.failure };
              slack.failNext("chat.postMessage", failure);
              break;
            }
            case "die": {
              const dying = new DyingPoster(fakeSlackPoster(slack), action.when, swallowed);
              const attempt = virtualDrainer(clock, { prisma: db.prisma, poster: dying, logger, lanes: 1 }).drainDue();
              await Promise.race([dying.died, attempt]);
              break;
            }
          }
        }
        await drainToEnd(clock, drainers);

        const rows = await db.prisma.slackOutbox.findMany();
        const byId = new Map(rows.map((r) => [r.id, r]));
        const calls = slack.callsTo("chat.postMessage");
        const accepted = calls.filter((c) => c.status === 200 && c.error === undefined);
        const failedReports = new Set(
          lines()
            .filter((l) => l.level === 50)
            .map((l) => l.outboxId),
        );
        for (const post of queued) {
          const row = byId.get(post.id)!;
          const copies = accepted.filter((c) => c.args.text === post.text).length;
          const extra = swallowed.filter((t) => t === post.text).length;
          if (row.status === "sent") {
            expect(copies).toBeGreaterThanOrEqual(1);
            expect(copies).toBeLessThanOrEqual(1 + extra);
          } else {
            expect(row.status).toBe("failed");
            expect(row.lastError).toBeTruthy();
            expect(copies).toBeLessThanOrEqual(extra);
            expect(failedReports.has(post.id)).toBe(true);
          }
          // A reply lands in the thread of the root's recorded message.
          if (post.parentId && row.status === "sent") {
            const parentTs = byId.get(post.parentId)!.resultTs;
            for (const call of accepted.filter((c) => c.args.text === post.text))
              expect(call.args.thread_ts).toBe(parentTs);
          }
        }
        for (const channel of CHANNELS) {
          const order = queued.filter((q) => q.channel === channel).map((q) => q.text);
          const firstSeen = [
            ...new Set(accepted.filter((c) => c.args.channel === channel).map((c) => String(c.args.text))),
          ];
          expect(firstSeen).toEqual(order.filter((text) => firstSeen.includes(text)));
          const times = calls.filter((c) => c.args.channel === channel).map((c) => c.at.getTime());
          expect(rateViolations(times, SLACK_CHANNEL_RATE)).toEqual([]);
        }
      }),
      { numRuns: 30 },
    );
  }, 180_000);
});
