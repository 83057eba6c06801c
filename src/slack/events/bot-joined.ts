import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from "@slack/bolt";
import { reopenSlackChannel } from "../../services/slack-outbox";
import type { SlackDeps } from "../deps";

type JoinArgs = SlackEventMiddlewareArgs<"member_joined_channel"> & AllMiddlewareArgs;

/**
 * Someone joined a channel. When it is the app's own bot user (an organizer invited it), a channel
 * whose posts were waiting for it is tried again now rather than at its next backoff.
 */
export function botJoinedChannel(deps: Pick<SlackDeps, "db" | "outbox" | "logger">) {
  return async ({ event, context }: JoinArgs): Promise<void> => {
    if (!context.botUserId || event.user !== context.botUserId) return;
    if (await reopenSlackChannel(deps.db.prisma, event.channel)) {
      deps.logger.info({ channel: event.channel }, "the bot was invited to a channel that refused its posts: posting");
      deps.outbox.wake();
    }
  };
}
