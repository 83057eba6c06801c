import type { BackgroundWork } from "../background";
import type { Database } from "../db/database";
import type { Logger } from "../logger";
import type { SmsGateway } from "../services/sms-gateway";
import type { RoleDirectory } from "./roles";

/** What Slack listeners need from the composition root. */
export interface SlackDeps {
  db: Database;
  logger: Logger;
  /** The bot token, for downloading files users upload (Slack serves them with a bearer token). */
  botToken: string;
  /** How long an import may take to download its file from Slack (default DOWNLOAD_TIMEOUT_MS; tests shorten it). */
  importDownloadTimeoutMs?: number;
  /** Where work that outlives its request runs (awaited on shutdown). */
  background: BackgroundWork;
  /** US dollars per SMS segment, for campaign cost estimates. */
  smsSegmentPriceUsd: number;
  /** US dollars per MMS, for cost estimates of campaigns with media. */
  mmsPriceUsd: number;
  /** PUBLIC_URL, the https base Twilio and voters reach this app at: stored media are served under PUBLIC_URL/media/, and links in scripts go out as short links on it. */
  publicUrl: string;
  /** Downloads media links (the global fetch; tests point it at a local server). */
  fetchMedia: typeof fetch;
  /** Sends texts (Twilio in production). */
  sms: SmsGateway;
  /** The number or Messaging Service texts go out from, as stored on each message. */
  sender: string;
  /** The organization's time zone (ORG_TIME_ZONE): times shown to organizers are in it. */
  orgTimeZone: string;
  /** Who may do what: each user's role, looked up in Slack and briefly cached. */
  roles: RoleDirectory;
  /** The one clock: sending hours and frequency caps are judged at this time. */
  clock: () => Date;
  /** Processes inbound texts and thread replies; wake it after storing one. */
  inbox: { wake(): void };
  /** Posts queued Slack messages; wake it after queueing one that should go at once. */
  outbox: { wake(): void };
}
