import type { types, webApi } from "@slack/bolt";

/**
 * Tells one person something only they should see: an ephemeral message in the channel they
 * were working in, or a DM when the bot cannot post there (not a member, or the channel is gone).
 */
export async function tellUser(
  client: webApi.WebClient,
  to: { channelId: string; userId: string },
  message: { text: string; blocks: types.KnownBlock[] },
): Promise<void> {
  try {
    await client.chat.postEphemeral({ channel: to.channelId, user: to.userId, ...message });
  } catch (error) {
    const code = slackErrorCode(error);
    if (code !== "not_in_channel" && code !== "channel_not_found" && code !== "user_not_in_channel") throw error;
    await client.chat.postMessage({ channel: to.userId, ...message });
  }
}

/** Slack's error code from a failed Web API call, if it is one. */
export const slackErrorCode = (error: unknown): string | undefined =>
  (error as { data?: { error?: string } }).data?.error;
