import { escapeForSlack } from "../../domain/slack-text";
import type { OpenedWindows, WindowNoteRenderer } from "../../services/window-notes";
import { number } from "./kit";

/** How volunteers call the US zones; anything else by its IANA name. */
const ZONE_NAMES: Record<string, string> = {
  "America/New_York": "Eastern time",
  "America/Detroit": "Eastern time",
  "America/Chicago": "Central time",
  "America/Denver": "Mountain time",
  "America/Boise": "Mountain time",
  "America/Phoenix": "Arizona time",
  "America/Los_Angeles": "Pacific time",
  "America/Anchorage": "Alaska time",
  "Pacific/Honolulu": "Hawaii time",
};

const zoneName = (zone: string | null) => (zone ? (ZONE_NAMES[zone] ?? zone) : "an unknown time zone");

function windowsOpened(view: OpenedWindows): { text: string } & Record<string, string | boolean> {
  // Merge IANA zones that volunteers call the same (Detroit and New York are both Eastern).
  const byName = new Map<string, number>();
  for (const g of view.groups) byName.set(zoneName(g.timeZone), (byName.get(zoneName(g.timeZone)) ?? 0) + g.contacts);
  const parts = [...byName]
    .sort((a, b) => b[1] - a[1])
    .map(([zone, n]) => `${number(n)} ${n === 1 ? "contact" : "contacts"} in ${zone}`);
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}` : parts[0];
  const name = escapeForSlack(view.campaignName);
  return {
    text: `:sunrise: ${list} can be texted now for *${name}*: \`/campaign send ${name}\`.`,
    unfurl_links: false,
  };
}

export const slackWindowNotes: WindowNoteRenderer = { windowsOpened };
