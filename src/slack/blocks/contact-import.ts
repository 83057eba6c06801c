import type { types } from "@slack/bolt";
import type { ImportSummary, InvalidRow } from "../../services/contact-import";

type KnownBlock = types.KnownBlock;
type ModalView = types.ModalView;

export const IMPORT_VIEW = "contacts_import";
export const IMPORT_FILE_BLOCK = "file";
export const IMPORT_FILE_ACTION = "file_input";
export const IMPORT_REGION_BLOCK = "region";
export const IMPORT_REGION_ACTION = "region_input";

export interface ImportModalMetadata {
  /** Where progress and the summary are posted: the channel the command was typed in. */
  channelId: string;
}

/** The upload modal: one CSV, and the country for numbers written without +country code. */
export function importModal(metadata: ImportModalMetadata): ModalView {
  return {
    type: "modal",
    callback_id: IMPORT_VIEW,
    private_metadata: JSON.stringify(metadata),
    title: { type: "plain_text", text: "Import contacts" },
    submit: { type: "plain_text", text: "Import" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text:
            "Upload a *CSV* with a header row. It needs a *phone* column (also read: cell, mobile, phone number). " +
            "First name, last name, ZIP, state and tags are recognized; every other column becomes a custom field you can use in scripts and segments.\n" +
            "Rows with the same phone are merged (later rows win, tags are combined). Opted-out numbers are kept but never texted.",
        },
      },
      {
        type: "input",
        block_id: IMPORT_FILE_BLOCK,
        label: { type: "plain_text", text: "Contact list (.csv)" },
        element: { type: "file_input", action_id: IMPORT_FILE_ACTION, filetypes: ["csv"], max_files: 1 },
      },
      {
        type: "input",
        block_id: IMPORT_REGION_BLOCK,
        optional: true,
        label: { type: "plain_text", text: "Country for numbers without a +country code" },
        hint: { type: "plain_text", text: "Two letters, e.g. US or CA. Leave as US for American lists." },
        element: { type: "plain_text_input", action_id: IMPORT_REGION_ACTION, initial_value: "US", max_length: 2 },
      },
    ],
  };
}

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

const section = (text: string): KnownBlock => ({ type: "section", text: { type: "mrkdwn", text } });
const count = (n: number) => n.toLocaleString("en-US");

export function importProgressMessage(fileName: string, rowsRead: number, phase: "reading" | "saving"): SlackMessage {
  const text =
    phase === "saving"
      ? `:hourglass_flowing_sand: Importing *${fileName}*: read ${count(rowsRead)} rows, now saving contacts…`
      : `:hourglass_flowing_sand: Importing *${fileName}*: ${count(rowsRead)} rows read so far…`;
  return { text, blocks: [section(text)] };
}

export function importSummaryMessage(fileName: string, summary: ImportSummary, seconds: number): SlackMessage {
  const lines = [
    `:white_check_mark: Imported *${fileName}* in ${seconds.toFixed(1)} s.`,
    `• Rows read: *${count(summary.rowsRead)}*`,
    `• New contacts: *${count(summary.imported)}*`,
    `• Existing contacts updated: *${count(summary.updated)}*`,
    `• Duplicate rows merged: *${count(summary.duplicates)}*`,
    `• Invalid rows skipped: *${count(summary.invalid)}*${summary.invalid ? " (see the attached CSV for each line and reason)" : ""}`,
    `• Opted-out numbers (kept, never texted): *${count(summary.suppressed)}*`,
  ];
  if (summary.customFields.length)
    lines.push(`Custom fields: ${summary.customFields.map((f) => `\`${f}\``).join(", ")}`);
  const text = lines.join("\n");
  return { text, blocks: [section(text)] };
}

export function importRejectedMessage(fileName: string, reason: string): SlackMessage {
  const text = `:x: Could not import *${fileName}*. ${reason}`;
  return { text, blocks: [section(text)] };
}

/** The downloadable report of skipped rows. */
export function invalidRowsCsv(rows: readonly InvalidRow[], total: number): string {
  const quote = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  const lines = ["line,phone,reason", ...rows.map((r) => [String(r.line), quote(r.phone), quote(r.reason)].join(","))];
  if (total > rows.length) lines.push(`,,"…and ${total - rows.length} more invalid rows not listed"`);
  return `${lines.join("\n")}\n`;
}
