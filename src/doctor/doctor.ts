import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import type { Config } from "../config";
import { openDatabase } from "../db/database";
import { PRISMA_DIR } from "../db/migrate";
import { checkSlackSetup, manifestScopes, type RequiredChannel } from "../slack/setup-checks";
import { networkReason } from "../slack/token-check";
import { checkTwilioSetup } from "../sms/setup-checks";
import { fail, pass, reasonOf, skip, type CheckResult } from "./report";

/**
 * Checks a real setup end to end, one result per item, each failure with its fix. Never throws:
 * whatever cannot be reached or read becomes a failed line.
 */
export async function runDoctor(config: Config): Promise<CheckResult[]> {
  const database = await checkDatabase(config);
  const channels: RequiredChannel[] = database.channels.map((c) => ({
    id: c.id,
    why: `replies of campaign ${c.campaign}`,
  }));
  if (config.slack.unmatchedChannel)
    channels.push({ id: config.slack.unmatchedChannel, why: "SLACK_UNMATCHED_CHANNEL" });
  const [slack, twilio, publicUrl] = await Promise.all([
    guarded("Slack", () => checkSlackSetup(config.slack, channels, manifestScopes())),
    guarded("Twilio", () => checkTwilioSetup(config.twilio, config.publicUrl)),
    checkPublicUrl(config.publicUrl),
  ]);
  return [...slack, ...twilio, publicUrl, ...database.results];
}

async function guarded(what: string, run: () => Promise<CheckResult[]>): Promise<CheckResult[]> {
  try {
    return await run();
  } catch (error) {
    return [
      fail(what, `the check itself failed: ${reasonOf(error)}`, "run npm run doctor again; report it if it repeats"),
    ];
  }
}

/** PUBLIC_URL/healthz over https, as Slack and Twilio would reach it. */
export async function checkPublicUrl(publicUrl: string): Promise<CheckResult> {
  const item = "PUBLIC_URL";
  const url = `${publicUrl}/healthz`;
  if (!publicUrl.startsWith("https://")) {
    return fail(
      item,
      `${publicUrl} is not https: Slack and Twilio cannot call it`,
      "put the app behind an https address (a reverse proxy with a certificate, or a tunnel) and set PUBLIC_URL to it; Socket Mode (SLACK_APP_TOKEN) spares Slack's side only",
    );
  }
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json().catch(() => ({}))) as { waitingFor?: string[]; status?: string };
    if (res.status === 200) return pass(item, `${url} answers 200 over https`);
    return fail(
      item,
      `${url} answers ${res.status}${body.waitingFor ? ` (waiting for ${body.waitingFor.join(", ")})` : body.status ? ` (${body.status})` : ""}`,
      res.status === 503
        ? "the app is up but not ready: read its log for the service it waits for"
        : "check that the proxy forwards PUBLIC_URL to this app's PORT",
    );
  } catch (error) {
    return fail(
      item,
      `${url} did not answer (${networkReason(error)})`,
      "start the app, and check DNS, the certificate and that the proxy or tunnel forwards to this app's PORT",
    );
  }
}

interface DatabaseFindings {
  results: CheckResult[];
  channels: Array<{ id: string; campaign: string }>;
}

/** Reachable, every migration applied, and the reply channels of running campaigns (for the membership check). */
async function checkDatabase(config: Config): Promise<DatabaseFindings> {
  const target =
    config.database.kind === "postgres"
      ? `PostgreSQL at ${new URL(config.database.url).host}`
      : `embedded database in ${config.database.dataDir}`;
  if (config.database.kind === "pglite" && config.database.dataDir && !existsSync(config.database.dataDir)) {
    return {
      results: [
        fail(
          "Database",
          `no embedded database in ${config.database.dataDir} yet`,
          "start the app once (npm start creates and migrates it), or set DATA_DIR or DATABASE_URL to the one in use",
        ),
        skip("Migrations", "not checked without the database"),
      ],
      channels: [],
    };
  }
  let db;
  try {
    db = await openDatabase(config.database);
    await db.ping();
  } catch (error) {
    await db?.close().catch(() => undefined);
    return {
      results: [
        fail(
          "Database",
          `${target} cannot be opened (${reasonOf(error)})`,
          "check DATABASE_URL (or DATA_DIR), and that the server runs and accepts this user",
        ),
        skip("Migrations", "not checked without the database"),
      ],
      channels: [],
    };
  }
  try {
    const results = [pass("Database", `${target} answers`)];
    const expected = (await readdir(path.join(PRISMA_DIR, "migrations"), { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    let applied: string[] = [];
    try {
      applied = (
        await db.sql.query<{ migration_name: string }>(
          "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
        )
      ).map((r) => r.migration_name);
    } catch {
      applied = [];
    }
    const pending = expected.filter((m) => !applied.includes(m));
    results.push(
      pending.length === 0
        ? pass("Migrations", `all ${expected.length} applied`)
        : fail(
            "Migrations",
            `${pending.length} of ${expected.length} not applied (first: ${pending[0]})`,
            "start the app once (npm start applies migrations on boot, one process at a time)",
          ),
    );
    const channels =
      pending.length === 0
        ? (
            await db.sql.query<{ id: string; campaign: string }>(
              `SELECT DISTINCT "conversationChannelId" AS id, name AS campaign FROM "Campaign"
                WHERE status = 'running' AND "conversationChannelId" IS NOT NULL ORDER BY name`,
            )
          ).map((r) => ({ id: r.id, campaign: r.campaign }))
        : [];
    return { results, channels };
  } finally {
    await db.close().catch(() => undefined);
  }
}
