import type { types } from "@slack/bolt";
import { escapeForSlack } from "../../domain/slack-text";
import type { ImportSummary, InvalidRow } from "../../services/contact-import";
import { neutralizeSpreadsheetCell } from "../../domain/spreadsheet-cell";
import { clip, input, message, modal, number, section, type SlackMessage } from "./kit";

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
  return modal({
    callbackId: IMPORT_VIEW,
    privateMetadata: JSON.stringify(metadata),
    title: "Import contacts",
    submit: "Import",
    close: "Cancel",
    blocks: [
      section(
        "Upload a *CSV* with a header row. It needs a *phone* column (also read: cell, mobile, phone number). " +
          "First name, last name, ZIP, state and tags are recognized; every other column becomes a custom field you can use in scripts and segments.\n" +
          "Rows with the same phone are merged (later rows win, tags are combined). Opted-out numbers are kept but never texted.",
      ),
      input({
        blockId: IMPORT_FILE_BLOCK,
        label: "Contact list (.csv)",
        element: { type: "file_input", action_id: IMPORT_FILE_ACTION, filetypes: ["csv"], max_files: 1 },
      }),
      input({
        blockId: IMPORT_REGION_BLOCK,
        optional: true,
        label: "Country for numbers without a +country code",
        hint: "Two letters, e.g. US or CA. Leave as US for American lists.",
        element: { type: "plain_text_input", action_id: IMPORT_REGION_ACTION, initial_value: "US", max_length: 2 },
      }),
    ],
  });
}

/** Characters of a file name shown in a message (Slack takes names of any length). */
export const SHOWN_FILE_NAME_CHARS = 80;
/** Custom fields listed by name in the summary; the rest are counted. */
export const LISTED_CUSTOM_FIELDS = 30;

/** The uploaded file's name as mrkdwn: cut short, then escaped, so a name can neither ping, link nor crowd out the counts. */
const shownFileName = (fileName: string) => escapeForSlack(clip(fileName, SHOWN_FILE_NAME_CHARS));

export function importProgressMessage(fileName: string, rowsRead: number, phase: "reading" | "saving"): SlackMessage {
  const file = shownFileName(fileName);
  return message(
    phase === "saving"
      ? `:hourglass_flowing_sand: Importing *${file}*: read ${number(rowsRead)} rows, now saving contacts…`
      : `:hourglass_flowing_sand: Importing *${file}*: ${number(rowsRead)} rows read so far…`,
  );
}

export function importSummaryMessage(fileName: string, summary: ImportSummary, seconds: number): SlackMessage {
  const lines = [
    `:white_check_mark: Imported *${shownFileName(fileName)}* in ${seconds.toFixed(1)} s.`,
    `• Rows read: *${number(summary.rowsRead)}*`,
    `• New contacts: *${number(summary.imported)}*`,
    `• Existing contacts updated: *${number(summary.updated)}*`,
    `• Duplicate rows merged: *${number(summary.duplicates)}*`,
    `• Invalid rows skipped: *${number(summary.invalid)}*${summary.invalid ? " (see the attached CSV for each line and reason)" : ""}`,
    `• Opted-out numbers (kept, never texted): *${number(summary.suppressed)}*`,
  ];
  const fields = summary.customFields;
  if (fields.length) {
    // Backticks cannot be escaped in mrkdwn: a column name with one is shown without them.
    const listed = fields
      .slice(0, LISTED_CUSTOM_FIELDS)
      .map((f) => `\`${escapeForSlack(clip(f, 60).replace(/`/g, "'"))}\``);
    const more =
      fields.length > LISTED_CUSTOM_FIELDS ? ` and ${number(fields.length - LISTED_CUSTOM_FIELDS)} more` : "";
    lines.push(`Custom fields: ${listed.join(", ")}${more}`);
  }
  return message(lines.join("\n"));
}

/** `reason` is plain text: a rejection written for the organizer, or the generic failure. */
export function importRejectedMessage(fileName: string, reason: string): SlackMessage {
  return message(`:x: Could not import *${shownFileName(fileName)}*. ${escapeForSlack(clip(reason, 2_000))}`);
}

/** In the summary's thread when the skipped-rows file could not be attached. */
export function skippedRowsNotAttachedMessage(): SlackMessage {
  return message(
    ":warning: The contacts above are imported, but Slack did not take the file listing the skipped rows. Import the same file again to get it: rows already imported are merged, not duplicated.",
  );
}

/** The downloadable report of skipped rows: its cells are what the file held, so none may run as a formula. */
export function invalidRowsCsv(rows: readonly InvalidRow[], total: number): string {
  const quote = (raw: string) => {
    const value = neutralizeSpreadsheetCell(raw);
    return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
  };
  const lines = ["line,phone,reason", ...rows.map((r) => [String(r.line), quote(r.phone), quote(r.reason)].join(","))];
  if (total > rows.length) lines.push(`,,"…and ${total - rows.length} more invalid rows not listed"`);
  return `${lines.join("\n")}\n`;
}
