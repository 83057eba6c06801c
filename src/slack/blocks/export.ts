import { escapeForSlack } from "../../domain/slack-text";
import type { CampaignExport } from "../../services/campaign-export";
import { ephemeral, number, type EphemeralAnswer } from "./kit";

/** Acknowledges `/campaign export` at once: the files take a while. */
export const exportStartedMessage = (name: string): EphemeralAnswer =>
  ephemeral(
    `:outbox_tray: Exporting *${escapeForSlack(name)}*: the CSV files will arrive in your direct messages with the app.`,
  );

/** The comment on the first uploaded file. */
export const exportComment = (done: CampaignExport): string =>
  `Export of ${escapeForSlack(done.campaign.name)}: ${done.files
    .map((f) => `${number(f.rows)} rows in ${escapeForSlack(f.name)}`)
    .join(", ")}. These files hold full phone numbers: keep them out of shared channels.`;

export const exportDoneMessage = (done: CampaignExport): EphemeralAnswer =>
  ephemeral(
    `:white_check_mark: The export of *${escapeForSlack(done.campaign.name)}* is in your direct messages with the app (${done.files
      .map((f) => `${number(f.rows)} ${f.name.endsWith("-contacts.csv") ? "contacts" : "messages"}`)
      .join(", ")}).`,
  );

export const exportUsageMessage = (): EphemeralAnswer =>
  ephemeral("Which campaign? Type `/campaign export <name>` (`/campaign list` shows the names).");
