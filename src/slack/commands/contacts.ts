import { liftOptOutLock } from "../../services/opt-outs";
import { answerFailure } from "../answer-failure";
import { ephemeral } from "../blocks/kit";
import { importModal } from "../blocks/contact-import";
import type { SlackDeps } from "../deps";
import { slashCommand } from "./router";

export const CONTACTS_COMMAND = "/contacts";

/** `/contacts …`: get voters in, and lift an opt-out lock. */
export const contactsCommand = (deps: SlackDeps) =>
  slashCommand(deps, CONTACTS_COMMAND, "bring voters into the console.", [
    {
      name: "import",
      summary: "upload a CSV of contacts (phone required; names, ZIP, tags and any other columns are kept)",
      permission: "contacts.import",
      what: "importing contacts",
      async run({ ack, client, command }) {
        await ack();
        // trigger_id expires about 3 s after the command: open the modal before anything slow.
        await client.views.open({
          trigger_id: command.trigger_id,
          view: importModal({ channelId: command.channel_id }),
        });
      },
    },
    {
      name: "unlock",
      args: "<phone>",
      summary:
        "lift the lock a volunteer or organizer put on an opt-out, so the voter's own START can opt them back in",
      permission: "opt-outs.lift",
      what: "lifting an opt-out lock",
      async run({ ack, command }, phone, actor) {
        if (!phone) {
          await ack(ephemeral("Which number? Type `/contacts unlock +15551234567`."));
          return;
        }
        try {
          const { maskedPhone } = await liftOptOutLock(deps.db, actor, phone);
          await ack(
            ephemeral(
              `:unlock: The opt-out lock on ${maskedPhone} is lifted. The number is still opted out: it can be texted again only after the voter texts START.`,
            ),
          );
        } catch (error) {
          await ack(
            answerFailure(deps.logger, error, { what: "lifting the opt-out lock", context: { user: command.user_id } }),
          );
        }
      },
    },
  ]);
