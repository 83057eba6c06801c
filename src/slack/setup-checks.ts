import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { fail, pass, skip, type CheckResult } from "../doctor/report";
import { checkingWebClient, classifySlackFailure } from "./token-check";

/** A channel the bot must be in, and why. */
export interface RequiredChannel {
  id: string;
  why: string;
}

/** The bot scopes slack-manifest.yml asks for (the file is found above this module, in src/ or dist/src/). */
export function manifestScopes(from = __dirname): string[] {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, "slack-manifest.yml");
    if (existsSync(file)) {
      const manifest = parse(readFileSync(file, "utf8")) as { oauth_config?: { scopes?: { bot?: string[] } } };
      return manifest.oauth_config?.scopes?.bot ?? [];
    }
  }
  throw new Error(`slack-manifest.yml not found above ${from}`);
}

const UNREACHABLE_FIX =
  "check this machine's network, DNS and proxy settings (and SLACK_API_URL if set), then run npm run doctor again";

/** The token, its granted scopes against the manifest's, and the bot's membership in each channel it posts to. */
export async function checkSlackSetup(
  settings: { botToken: string; apiUrl?: string },
  channels: RequiredChannel[],
  wantedScopes: string[],
): Promise<CheckResult[]> {
  const client = checkingWebClient(settings.botToken, settings.apiUrl);
  let granted: string[] | undefined;
  const results: CheckResult[] = [];
  try {
    const auth = await client.auth.test();
    granted = (auth.response_metadata as { scopes?: string[] } | undefined)?.scopes;
    results.push(pass("Slack token", `accepted for workspace ${auth.team ?? "?"} (bot user ${auth.user ?? "?"})`));
  } catch (error) {
    const outcome = classifySlackFailure(error, "auth.test", settings.apiUrl);
    if (outcome.kind === "unreachable") {
      results.push(
        fail(
          "Slack token",
          `Slack could not be reached (${outcome.call} to ${outcome.host}: ${outcome.reason})`,
          UNREACHABLE_FIX,
        ),
      );
    } else {
      results.push(
        fail(
          "Slack token",
          outcome.kind === "rejected" ? outcome.message : "rejected",
          "copy the Bot User OAuth Token (xoxb-…) from the Slack app's OAuth & Permissions page into SLACK_BOT_TOKEN, and install the app in the workspace",
        ),
      );
    }
    results.push(skip("Slack scopes", "not checked without a working token"));
    for (const c of channels) results.push(skip(`Bot in ${c.id}`, `not checked without a working token (${c.why})`));
    return results;
  }

  if (!granted)
    results.push(skip("Slack scopes", "Slack did not say which scopes the token has (no x-oauth-scopes header)"));
  else {
    const missing = wantedScopes.filter((s) => !granted!.includes(s));
    results.push(
      missing.length === 0
        ? pass("Slack scopes", `all ${wantedScopes.length} scopes of slack-manifest.yml granted`)
        : fail(
            "Slack scopes",
            `missing ${missing.join(", ")}`,
            "add them under OAuth & Permissions → Bot Token Scopes (or update the app from slack-manifest.yml), then reinstall the app to the workspace",
          ),
    );
  }

  for (const channel of channels) results.push(await checkMembership(client, channel, settings.apiUrl));
  return results;
}

async function checkMembership(
  client: ReturnType<typeof checkingWebClient>,
  channel: RequiredChannel,
  apiUrl: string | undefined,
): Promise<CheckResult> {
  const item = `Bot in ${channel.id}`;
  const invite = `invite the bot: type /invite @<the app's name> in that channel (${channel.why})`;
  try {
    const info = await client.conversations.info({ channel: channel.id });
    const c = info.channel as { name?: string; is_member?: boolean; is_archived?: boolean } | undefined;
    if (c?.is_archived)
      return fail(item, `#${c.name} is archived (${channel.why})`, "unarchive it or choose another channel");
    if (!c?.is_member) return fail(item, `the bot is not a member of #${c?.name ?? channel.id}`, invite);
    return pass(item, `member of #${c.name} (${channel.why})`);
  } catch (error) {
    const answered = (error as { data?: { error?: string } }).data?.error;
    if (answered === "channel_not_found") {
      return fail(
        item,
        "the bot cannot see this channel (private and the bot is not in it, or it does not exist)",
        invite,
      );
    }
    const outcome = classifySlackFailure(error, "conversations.info", apiUrl);
    if (outcome.kind === "rejected")
      return fail(item, outcome.message, "check the token and its scopes (channels:read, groups:read)");
    if (outcome.kind === "ok") return pass(item, "answered");
    return fail(item, `could not ask Slack (${outcome.call} to ${outcome.host}: ${outcome.reason})`, UNREACHABLE_FIX);
  }
}
