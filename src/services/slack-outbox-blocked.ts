import type { Tx } from "../db/database";
import type { PrismaClient } from "../db/generated/client";
import { blockedChannelDelayMs } from "../domain/slack-rate";
import type { Logger } from "../logger";
import { BLOCK_SQL, type Claim } from "./slack-outbox-sql";

/*
 * A channel Slack refuses as a whole (not_in_channel: the bot was never invited): the drainer keeps
 * its posts queued, in order, and waits for the bot with backoff; `reopenSlackChannel` (the bot
 * joined) cuts the wait short. The first refusal of an episode calls `onChannelBlocked`, once.
 */

/** A channel that refuses every post until a person acts; given to `onChannelBlocked`. */
export interface BlockedChannel {
  channel: string;
  /** Slack's error: not_in_channel, channel_not_found, is_archived. */
  error: string;
  /** When the episode began: with the channel, a dedupe key for one notice. */
  since: Date;
}

/** A settle hook threw: the settle is written again without it (a database error is retried instead). */
export class HookFailure extends Error {
  constructor(override readonly cause: unknown) {
    super("settle hook failed");
  }
}

/** Keeps the post queued and holds the channel back; tells `onChannelBlocked` when this refusal began an episode. */
export async function recordChannelRefusal(
  deps: {
    prisma: PrismaClient;
    logger: Logger;
    onChannelBlocked: ((tx: Tx, blocked: BlockedChannel) => Promise<void>) | undefined;
    intervalMs: number;
    /** The drainer's virtual time, or null for the database's clock. */
    now: Date | null;
  },
  claim: Claim,
  error: string,
): Promise<void> {
  const block = (db: Tx) =>
    db.$queryRawUnsafe<{ newlyBlocked: boolean | null; blockedSince: Date }[]>(
      BLOCK_SQL,
      deps.now,
      claim.id,
      claim.leaseToken,
      error,
      blockedChannelDelayMs(claim.blockedRetries + 1),
      claim.channel,
      deps.intervalMs,
    );
  const notify = deps.onChannelBlocked;
  if (!notify) {
    await block(deps.prisma);
    return;
  }
  try {
    await deps.prisma.$transaction(async (tx) => {
      const [row] = await block(tx);
      if (!row?.newlyBlocked) return;
      await notify(tx, { channel: claim.channel, error, since: new Date(row.blockedSince) }).catch((e: unknown) => {
        throw new HookFailure(e);
      });
    });
  } catch (thrown) {
    if (!(thrown instanceof HookFailure)) throw thrown;
    deps.logger.error(
      { err: thrown.cause, channel: claim.channel, error },
      "Slack outbox: a channel refuses every post and nobody could be told in Slack; invite the bot to it",
    );
    await block(deps.prisma);
  }
}
