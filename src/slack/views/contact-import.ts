import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from "@slack/bolt";
import { MAX_IMPORT_BYTES } from "../../services/contact-import";
import { formatBytes } from "../../services/import-file-checks";
import {
  IMPORT_FILE_ACTION,
  IMPORT_FILE_BLOCK,
  IMPORT_REGION_ACTION,
  IMPORT_REGION_BLOCK,
  type ImportModalMetadata,
} from "../blocks/contact-import";
import { importFromSlack } from "../contact-import-flow";
import type { SlackDeps } from "../deps";

/** The import modal was submitted: check the file here (errors show on the field), then import in the background. */
export function contactImportSubmitted(deps: SlackDeps) {
  return async ({
    ack,
    view,
    body,
    client,
  }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const files = view.state.values[IMPORT_FILE_BLOCK]?.[IMPORT_FILE_ACTION]?.files ?? [];
    const region =
      (view.state.values[IMPORT_REGION_BLOCK]?.[IMPORT_REGION_ACTION]?.value ?? "US").trim().toUpperCase() || "US";
    const file = files[0];
    const errors: Record<string, string> = {};
    if (!file) errors[IMPORT_FILE_BLOCK] = "Choose a CSV file to import.";
    else if (file.filetype !== "csv" && !/\.csv$/i.test(file.name)) {
      errors[IMPORT_FILE_BLOCK] =
        `"${file.name}" is not a CSV. Export the list as CSV (in Excel: File → Save As → CSV UTF-8).`;
    } else if (
      typeof (file as { size?: number }).size === "number" &&
      (file as { size: number }).size > MAX_IMPORT_BYTES
    ) {
      errors[IMPORT_FILE_BLOCK] =
        `The file is larger than ${formatBytes(MAX_IMPORT_BYTES)}. Split it into smaller CSV files.`;
    } else if (!/^[A-Z]{2}$/.test(region)) {
      errors[IMPORT_REGION_BLOCK] = "Use a two-letter country code, such as US.";
    }
    if (!file || Object.keys(errors).length > 0) {
      await ack({ response_action: "errors", errors });
      return;
    }
    await ack();
    const { channelId } = JSON.parse(view.private_metadata) as ImportModalMetadata;
    deps.background.run("contact-import", () =>
      importFromSlack(deps, {
        client,
        fileId: file.id,
        fileName: file.name,
        channelId,
        userId: body.user.id,
        defaultRegion: region,
      }),
    );
  };
}
