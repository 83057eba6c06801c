import type { Tx } from "../db/database";
import type { Logger } from "../logger";
import type { ThreadRenderer } from "./conversation-threads";
import { enqueueSlackPost } from "./slack-outbox";
import type { BlockedChannel } from "./slack-outbox-drainer";

/*
 * A channel Slack refuses every post in (the bot was never invited to a campaign's reply channel):
 * its posts wait in the outbox, and the organizers are told once which channel needs the bot.
 */

/**
 * The drainer's `onChannelBlocked`: in the transaction that records the channel's first refusal,
 * queues one notice to each organizer whose campaign replies there (a DM from the app) and one in
 * the unmatched channel, each keyed on the episode so a retry or a second process adds nothing.
 */
export function tellOrganizersChannelBlocked(deps: {
  render: Pick<ThreadRenderer, "channelNeedsBot">;
  unmatchedChannel: string | null;
  logger: Logger;
}): (tx: Tx, blocked: BlockedChannel) => Promise<void> {
  return async (tx, blocked) => {
    const campaigns = await tx.campaign.findMany({
      where: { conversationChannelId: blocked.channel, status: { not: "archived" } },
      select: { name: true, createdBy: true },
      orderBy: { name: "asc" },
      take: 20,
    });
    const waiting = await tx.slackOutbox.count({ where: { channel: blocked.channel, status: "queued" } });
    const recipients = new Set(campaigns.map((c) => c.createdBy).filter((u) => /^[UW][A-Z0-9]{2,}$/.test(u)));
    if (deps.unmatchedChannel && deps.unmatchedChannel !== blocked.channel) recipients.add(deps.unmatchedChannel);
    deps.logger.error(
      { channel: blocked.channel, error: blocked.error, waiting, told: [...recipients] },
      "Slack refuses every post in a channel: invite the bot there; its posts wait until then",
    );
    const args = deps.render.channelNeedsBot({
      channel: blocked.channel,
      error: blocked.error,
      waiting,
      campaigns: campaigns.map((c) => c.name),
    });
    for (const recipient of recipients)
      await enqueueSlackPost(tx, {
        channel: recipient,
        method: "chat.postMessage",
        args,
        dedupeKey: `channel-blocked:${blocked.channel}:${blocked.since.getTime()}:${recipient}`,
      });
  };
}
