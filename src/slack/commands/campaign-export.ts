import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeCampaignExport } from "../../services/campaign-export";
import { answerFailure } from "../answer-failure";
import { exportComment, exportDoneMessage, exportStartedMessage, exportUsageMessage } from "../blocks/export";
import type { SlackDeps } from "../deps";
import { uploadFileFromDisk } from "../file-upload";
import type { Subcommand } from "./router";

/**
 * `/campaign export <name>` (organizers): the campaign's contacts and messages as CSV files, written
 * to a temporary folder by the service and uploaded to the organizer's direct message with the app.
 */
export const exportSubcommand = (deps: SlackDeps): Subcommand => ({
  name: "export",
  args: "<name>",
  summary: "contacts (tags, answers, outcomes, opt-outs) and every message as CSV files, sent to you directly",
  permission: "campaigns.export",
  what: "exporting a campaign",
  async run({ ack, respond, client, command }, name, actor) {
    if (!name) {
      await ack(exportUsageMessage());
      return;
    }
    await ack(exportStartedMessage(name));
    deps.background.run("campaign-export", async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "campaign-export-"));
      try {
        const done = await writeCampaignExport(deps.db, actor, name, dir, { publicUrl: deps.publicUrl });
        const opened = await client.conversations.open({ users: actor.userId });
        const channel = opened.channel?.id;
        if (!channel) throw new Error("Slack opened no direct message with the organizer");
        for (const [i, file] of done.files.entries()) {
          await uploadFileFromDisk(client, {
            ...file,
            channel,
            ...(i === 0 ? { comment: exportComment(done) } : {}),
          });
        }
        await respond(exportDoneMessage(done));
      } catch (error) {
        const context = { user: command.user_id, campaign: name };
        await respond(answerFailure(deps.logger, error, { what: "exporting the campaign", context }));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  },
});
