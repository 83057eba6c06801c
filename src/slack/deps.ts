import type { BackgroundWork } from "../background";
import type { Database } from "../db/database";
import type { Logger } from "../logger";

/** What Slack listeners need from the composition root. */
export interface SlackDeps {
  db: Database;
  logger: Logger;
  /** The bot token, for downloading files users upload (Slack serves them with a bearer token). */
  botToken: string;
  /** Where work that outlives its request runs (awaited on shutdown). */
  background: BackgroundWork;
  /** US dollars per SMS segment, for campaign cost estimates. */
  smsSegmentPriceUsd: number;
}
