import { readFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import { z } from "zod";

/** Every environment variable the app reads, with what it is for and where to find it. */
export const ENVIRONMENT = {
  SLACK_BOT_TOKEN: "Slack bot token (xoxb-…): Slack app settings → OAuth & Permissions → Bot User OAuth Token.",
  SLACK_APP_TOKEN:
    "Optional: app-level token (xapp-…) with connections:write; when set, Slack events arrive over Socket Mode instead of HTTP (Basic Information → App-Level Tokens).",
  SLACK_SIGNING_SECRET:
    "Verifies that requests come from Slack: Slack app settings → Basic Information → Signing Secret.",
  TWILIO_ACCOUNT_SID: "Twilio account (AC…): Twilio Console → Account Info.",
  TWILIO_AUTH_TOKEN: "Twilio auth token; also verifies Twilio's webhooks: Twilio Console → Account Info.",
  TWILIO_MESSAGING_SERVICE_SID:
    "Messaging Service that sends the texts (MG…): Twilio Console → Messaging → Services. Set this or TWILIO_FROM_NUMBER.",
  TWILIO_FROM_NUMBER: "Sending number in E.164 (+15551234567), used when no Messaging Service is set.",
  PUBLIC_URL:
    "The https address Slack and Twilio reach this app at, e.g. https://texting.example.org (Twilio signatures are checked against it); http only for localhost.",
  PORT: "Port the HTTP server listens on (default 3000).",
  DATABASE_URL: "PostgreSQL connection URL. Leave unset to use the embedded database (PGlite) in DATA_DIR.",
  DATA_DIR: "Folder for the embedded database (default ./data). Ignored when DATABASE_URL is set.",
  SLACK_UNMATCHED_CHANNEL:
    "Optional: Slack channel id (C…) where texts that belong to no conversation are posted (unknown numbers, contacts never texted). Unset: they are kept in the database only.",
  SLACK_ORGANIZER_GROUP:
    "Optional: handle of the Slack user group whose members are organizers, e.g. organizers (workspace owners and admins always are).",
  SLACK_API_URL:
    "Optional: base URL of the Slack Web API (default https://slack.com/api/); tests point it at a local fake.",
  TWILIO_API_URL:
    "Optional: base URL of the Twilio REST API (default https://api.twilio.com); tests point it at a local fake.",
  LOG_LEVEL: "Optional: fatal, error, warn, info (default), debug or trace.",
  WEBHOOK_URL:
    "Optional: an https address that receives signed JSON events (opt-outs, opt-ins, outcome tags, voter replies), e.g. your CRM's webhook. Set WEBHOOK_SECRET with it.",
  WEBHOOK_SECRET:
    "Optional: the shared secret the webhook events are signed with (HMAC-SHA256, see the README); at least 16 characters. Set WEBHOOK_URL with it.",
  SMS_SEGMENT_PRICE_USD:
    "Optional: what one SMS segment costs you in US dollars, for campaign cost estimates (default 0.0083, Twilio's US list price; check your invoice).",
  MMS_PRICE_USD:
    "Optional: what one picture message (MMS) costs you in US dollars, for cost estimates of campaigns with media (default 0.0200, Twilio's US list price; MMS is priced per message, not per segment).",
  ORG_TIME_ZONE:
    "Optional: your organization's time zone, IANA name such as America/Chicago (default America/New_York): daily digests are posted and working hours counted in it.",
  NUDGE_AFTER_MINUTES:
    "Optional: minutes a voter's reply may wait unanswered, inside working hours, before its thread gets one nudge (default 20).",
  RELEASE_AFTER_MINUTES:
    "Optional: minutes a voter's reply may wait for the volunteer in charge before the conversation goes back to the pool (default 90).",
  HTTP_MAX_IN_FLIGHT:
    "Optional: requests from Slack, and from Twilio, the app works on at once (each); more are answered at once with 503 and Retry-After instead of queueing (default 64).",
  SHUTDOWN_DRAIN_SECONDS:
    "Optional: on SIGTERM, seconds /healthz answers 503 while requests are still served, so a load balancer stops routing here before the port closes (default 5; SIGINT skips it).",
} as const;

export type EnvironmentVariable = keyof typeof ENVIRONMENT;

const httpUrl = (what: string) =>
  z.url({ protocol: /^https?$/, error: `must be a URL starting with http:// or https:// (${what})` });

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Slack and Twilio call only https addresses; plain http is for trying it on this machine. */
export function isAcceptablePublicUrl(url: string): boolean {
  if (!URL.canParse(url)) return true; // the URL check reports it
  const parsed = new URL(url);
  return parsed.protocol === "https:" || LOCAL_HOSTS.has(parsed.hostname);
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const minutes = (fallback: number) =>
  z.coerce
    .number({ error: "must be a number of minutes" })
    .int("must be a whole number of minutes")
    .min(1, "must be at least 1 minute")
    .max(7 * 24 * 60, "must be at most a week (10080 minutes)")
    .default(fallback);

const required = (message: string) => ({
  error: (issue: { input: unknown }) => (issue.input === undefined ? "is not set" : message),
});

const schema = z.object({
  SLACK_BOT_TOKEN: z
    .string(required("must be a string"))
    .regex(/^xoxb-/, "must start with xoxb- (the Bot User OAuth Token)"),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, "must start with xapp- (an app-level token)")
    .optional(),
  SLACK_SIGNING_SECRET: z.string(required("must be a string")).min(1, "is empty"),
  TWILIO_ACCOUNT_SID: z
    .string(required("must be a string"))
    .regex(/^AC[0-9a-fA-F]{32}$/, "must look like AC followed by 32 hex characters"),
  TWILIO_AUTH_TOKEN: z.string(required("must be a string")).min(1, "is empty"),
  TWILIO_MESSAGING_SERVICE_SID: z
    .string()
    .regex(/^MG[0-9a-fA-F]{32}$/, "must look like MG followed by 32 hex characters")
    .optional(),
  TWILIO_FROM_NUMBER: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, "must be an E.164 number such as +15551234567")
    .optional(),
  PUBLIC_URL: z
    .string(required("must be a string"))
    .pipe(httpUrl("the public base address"))
    .refine(
      isAcceptablePublicUrl,
      "must start with https:// (Slack and Twilio call only https; http is for localhost only)",
    )
    .transform((url) => url.replace(/\/+$/, "")),
  PORT: z.coerce
    .number({ error: "must be a port number" })
    .int("must be a whole number")
    .min(0, "must be between 0 and 65535")
    .max(65535, "must be between 0 and 65535")
    .default(3000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must start with postgresql:// (or leave it unset for the embedded database)")
    .optional(),
  DATA_DIR: z.string().min(1, "is empty").default("./data"),
  SLACK_UNMATCHED_CHANNEL: z
    .string()
    .regex(/^[CG][A-Z0-9]{2,}$/, "must be a channel id such as C0123ABCD (channel details → About → Channel ID)")
    .optional(),
  SLACK_ORGANIZER_GROUP: z
    .string()
    .transform((handle) => handle.replace(/^@/, ""))
    .pipe(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, "must be a user group handle such as organizers"))
    .optional(),
  SLACK_API_URL: httpUrl("the Slack Web API base").optional(),
  TWILIO_API_URL: httpUrl("the Twilio REST API base").optional(),
  SMS_SEGMENT_PRICE_USD: z.coerce
    .number({ error: "must be a price in dollars such as 0.0083" })
    .min(0, "must be a price in dollars such as 0.0083")
    .max(1, "must be a price in dollars per segment, such as 0.0083 (not cents)")
    .default(0.0083),
  MMS_PRICE_USD: z.coerce
    .number({ error: "must be a price in dollars such as 0.02" })
    .min(0, "must be a price in dollars such as 0.02")
    .max(1, "must be a price in dollars per message, such as 0.02 (not cents)")
    .default(0.02),
  ORG_TIME_ZONE: z
    .string()
    .refine(isTimeZone, "must be a time zone name such as America/New_York or America/Los_Angeles")
    .default("America/New_York"),
  NUDGE_AFTER_MINUTES: minutes(20),
  RELEASE_AFTER_MINUTES: minutes(90),
  HTTP_MAX_IN_FLIGHT: z.coerce
    .number({ error: "must be a number of requests" })
    .int("must be a whole number of requests")
    .min(1, "must be at least 1")
    .max(100_000, "must be at most 100000")
    .default(64),
  WEBHOOK_URL: httpUrl("the address that receives webhook events").optional(),
  WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters (a long random string)").optional(),
  SHUTDOWN_DRAIN_SECONDS: z.coerce
    .number({ error: "must be a number of seconds" })
    .min(0, "must be between 0 and 300 seconds")
    .max(300, "must be between 0 and 300 seconds")
    .default(5),
  LOG_LEVEL: z
    .enum(
      ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
      "must be one of fatal, error, warn, info, debug, trace, silent",
    )
    .default("info"),
});

export interface Config {
  slack: {
    botToken: string;
    signingSecret: string;
    /** App-level token (xapp-…): Slack events over Socket Mode instead of HTTP. */
    appToken?: string;
    apiUrl?: string;
    unmatchedChannel?: string;
    /** Handle of the user group whose members are organizers (besides owners and admins). */
    organizerGroup?: string;
  };
  twilio: { accountSid: string; authToken: string; messagingServiceSid?: string; fromNumber?: string; apiUrl?: string };
  publicUrl: string;
  port: number;
  /** PGlite with `dataDir: null` keeps everything in memory (tests). */
  database: { kind: "postgres"; url: string } | { kind: "pglite"; dataDir: string | null };
  logLevel: string;
  /** US dollars per SMS segment, for cost estimates. */
  smsSegmentPriceUsd: number;
  /** US dollars per MMS (per message, whatever its length), for cost estimates of campaigns with media. */
  mmsPriceUsd: number;
  /** The organization's clock: digests are posted and working hours counted in its time zone. */
  organization: { timeZone: string };
  /** How long a voter's reply may wait before its thread is nudged, and before it is released to the pool. */
  conversations: { nudgeAfterMinutes: number; releaseAfterMinutes: number };
  /** Requests of each class (Slack's, Twilio's) in progress at once; more get 503 (default DEFAULT_MAX_IN_FLIGHT). */
  http?: { maxInFlight: number };
  /** Where signed webhook events go (WEBHOOK_URL, WEBHOOK_SECRET); unset: nowhere. */
  webhooks?: { url: string; secret: string };
  /** Seconds to keep serving with /healthz failing after SIGTERM (absent in tests: 0). */
  shutdownDrainSeconds?: number;
}

/** Raised with every problem found, each naming its variable, what it is for and where to find it. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      [
        `The app cannot start: ${problems.length} setting${problems.length === 1 ? " needs" : "s need"} fixing.`,
        ...problems.map((p) => `  - ${p}`),
        "Set them in the environment (see the README's table) and start again.",
      ].join("\n"),
    );
    this.name = "ConfigError";
  }
}

function describe(name: EnvironmentVariable, problem: string): string {
  return `${name} ${problem}. ${ENVIRONMENT[name]}`;
}

/**
 * The environment with `.env` in `cwd` underneath it, when that file exists: a variable set (and
 * not empty) in the real environment wins over the file. Returns the file's path when one was read.
 */
export function environmentWithDotEnv(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): { env: NodeJS.ProcessEnv; file: string | null } {
  const file = path.join(cwd, ".env");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return { env, file: null };
  }
  const fromFile = parseEnv(text);
  const merged: NodeJS.ProcessEnv = { ...fromFile };
  for (const [name, value] of Object.entries(env)) if (value?.trim() || !(name in fromFile)) merged[name] = value;
  return { env: merged, file };
}

/** Reads and checks the environment once. Empty strings count as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.keys(ENVIRONMENT).map((name) => [name, env[name]?.trim() ? env[name]!.trim() : undefined]),
  );
  const parsed = schema.safeParse(present);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => describe(String(issue.path[0]) as EnvironmentVariable, issue.message));
  if (!present.TWILIO_MESSAGING_SERVICE_SID && !present.TWILIO_FROM_NUMBER) {
    problems.push(
      describe("TWILIO_MESSAGING_SERVICE_SID", "is not set, and neither is TWILIO_FROM_NUMBER: set one of them"),
    );
  }
  if (Boolean(present.WEBHOOK_URL) !== Boolean(present.WEBHOOK_SECRET)) {
    const missing = present.WEBHOOK_URL ? "WEBHOOK_SECRET" : "WEBHOOK_URL";
    problems.push(
      describe(
        missing,
        `is not set, but ${missing === "WEBHOOK_URL" ? "WEBHOOK_SECRET" : "WEBHOOK_URL"} is: set both or neither`,
      ),
    );
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  return {
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      unmatchedChannel: e.SLACK_UNMATCHED_CHANNEL,
      organizerGroup: e.SLACK_ORGANIZER_GROUP,
    },
    twilio: {
      accountSid: e.TWILIO_ACCOUNT_SID,
      authToken: e.TWILIO_AUTH_TOKEN,
      messagingServiceSid: e.TWILIO_MESSAGING_SERVICE_SID,
      fromNumber: e.TWILIO_FROM_NUMBER,
      apiUrl: e.TWILIO_API_URL,
    },
    publicUrl: e.PUBLIC_URL,
    port: e.PORT,
    database: e.DATABASE_URL
      ? { kind: "postgres", url: e.DATABASE_URL }
      : { kind: "pglite", dataDir: path.resolve(e.DATA_DIR) },
    logLevel: e.LOG_LEVEL,
    smsSegmentPriceUsd: e.SMS_SEGMENT_PRICE_USD,
    mmsPriceUsd: e.MMS_PRICE_USD,
    organization: { timeZone: e.ORG_TIME_ZONE },
    conversations: { nudgeAfterMinutes: e.NUDGE_AFTER_MINUTES, releaseAfterMinutes: e.RELEASE_AFTER_MINUTES },
    http: { maxInFlight: e.HTTP_MAX_IN_FLIGHT },
    ...(e.WEBHOOK_URL && e.WEBHOOK_SECRET ? { webhooks: { url: e.WEBHOOK_URL, secret: e.WEBHOOK_SECRET } } : {}),
    shutdownDrainSeconds: e.SHUTDOWN_DRAIN_SECONDS,
  };
}
