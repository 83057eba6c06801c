import type { webApi } from "@slack/bolt";

/** Display names for mentions in a volunteer's reply ("thanks to <@U123>" → "thanks to @Ana"); unknown ids are left out. */
export async function userNames(client: webApi.WebClient, ids: readonly string[]): Promise<Record<string, string>> {
  const names: Record<string, string> = {};
  for (const id of new Set(ids)) {
    try {
      const { user } = await client.users.info({ user: id });
      const name = user?.profile?.display_name || user?.real_name || user?.name;
      if (name) names[id] = name;
    } catch {
      // A mention we cannot name is dropped from the text, never sent as a raw id.
    }
  }
  return names;
}
