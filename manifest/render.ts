/**
 * Prints slack-manifest.yml for your app, and nothing else, on stdout.
 *   npm run --silent manifest -- https://texting.example.org > manifest.yml   (or set PUBLIC_URL)
 *   npm run --silent manifest -- --socket > manifest.yml                       (Socket Mode: no public URL)
 *   npm run manifest -- https://texting.example.org --out manifest.yml
 * (npm prints its own "> script" banner on stdout unless given --silent; --out avoids it.)
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";

export const MANIFEST_PATH = path.resolve(__dirname, "../slack-manifest.yml");
export const PLACEHOLDER_BASE = "https://YOUR-PUBLIC-HOST";

/** The manifest text for `publicUrl`; throws with a clear message when the URL is not https. */
export function renderManifest(publicUrl: string, template = readFileSync(MANIFEST_PATH, "utf8")): string {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    throw new Error(
      `"${publicUrl}" is not a URL. Give the https address Slack will reach, e.g. https://texting.example.org`,
    );
  }
  if (url.protocol !== "https:") {
    throw new Error(`Slack only calls https URLs; "${publicUrl}" starts with ${url.protocol}//`);
  }
  const base = `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
  return template.split(PLACEHOLDER_BASE).join(base);
}

/**
 * The manifest for Socket Mode: events, commands and interactivity arrive over the app-level
 * token's WebSocket, so Slack needs no request URL at all.
 */
export function renderSocketModeManifest(template = readFileSync(MANIFEST_PATH, "utf8")): string {
  const doc = parseDocument(template);
  const commands = doc.getIn(["features", "slash_commands"]) as { items: unknown[] } | undefined;
  commands?.items.forEach((_, i) => doc.deleteIn(["features", "slash_commands", i, "url"]));
  doc.deleteIn(["settings", "event_subscriptions", "request_url"]);
  doc.deleteIn(["settings", "interactivity", "request_url"]);
  doc.deleteIn(["settings", "interactivity", "message_menu_options_url"]);
  doc.setIn(["settings", "socket_mode_enabled"], true);
  return doc.toString();
}

function main(argv: string[]): number {
  const outAt = argv.indexOf("--out");
  const out = outAt >= 0 ? argv[outAt + 1] : undefined;
  const rest = argv.filter((a, i) => a !== "--socket" && i !== outAt && i !== outAt + 1);
  const socket = argv.includes("--socket");
  const publicUrl = rest[0] ?? process.env.PUBLIC_URL;
  let text: string;
  try {
    if (socket) text = renderSocketModeManifest();
    else if (!publicUrl) {
      console.error(
        "Give the public https URL: npm run --silent manifest -- https://texting.example.org (or set PUBLIC_URL), or --socket for Socket Mode.",
      );
      return 2;
    } else text = renderManifest(publicUrl);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (out) {
    writeFileSync(out, text);
    console.error(`Wrote ${out}. Paste it at api.slack.com/apps → Create New App → From an app manifest.`);
  } else process.stdout.write(text);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
