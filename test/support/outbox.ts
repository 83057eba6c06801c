import pino from "pino";
import type { Logger } from "../../src/logger";
import {
  SlackOutboxDrainer,
  type DrainReport,
  type SlackOutboxDrainerOptions,
} from "../../src/services/slack-outbox-drainer";
import type { SlackPoster } from "../../src/services/slack-outbox";
import { outboxWebClient, WebClientSlackPoster } from "../../src/slack/outbox-poster";
import type { FakeSlack } from "../fakes/slack-api";
import type { VirtualClock } from "./rate-check";

export const OUTBOX_TOKEN = "xoxb-outbox-test-token";

/** A pino logger that keeps its JSON lines, for asserting what was reported. */
export function recordingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(line) });
  return { logger, lines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

/** The real poster (its own WebClient) against the fake Slack. */
export function fakeSlackPoster(slack: FakeSlack, logger: Logger = pino({ level: "silent" })): SlackPoster {
  return new WebClientSlackPoster(outboxWebClient(OUTBOX_TOKEN, { apiUrl: slack.apiUrl, logger }));
}

export function virtualDrainer(
  clock: VirtualClock,
  options: Omit<SlackOutboxDrainerOptions, "clock" | "logger"> & { logger?: Logger },
): SlackOutboxDrainer {
  return new SlackOutboxDrainer({ logger: pino({ level: "silent" }), ...options, clock: clock.date });
}

/**
 * Drains until nothing is queued, moving the virtual clock to each next due time. Drainers run
 * side by side, as separate processes would. Returns the summed reports.
 */
export async function drainToEnd(
  clock: VirtualClock,
  drainers: SlackOutboxDrainer[],
  maxRounds = 100_000,
): Promise<Omit<DrainReport, "nextDueInMs">> {
  const total = { posted: 0, rateLimited: 0, retried: 0, failed: 0, blocked: 0 };
  for (let round = 0; round < maxRounds; round++) {
    const reports = await Promise.all(drainers.map((d) => d.drainDue()));
    for (const r of reports) {
      total.posted += r.posted;
      total.rateLimited += r.rateLimited;
      total.retried += r.retried;
      total.failed += r.failed;
      total.blocked += r.blocked;
    }
    const waits = reports.map((r) => r.nextDueInMs).filter((w): w is number => w !== null);
    if (waits.length === 0) return total;
    clock.advance(Math.max(1, Math.min(...waits)));
  }
  throw new Error(`the outbox did not drain within ${maxRounds} rounds`);
}
