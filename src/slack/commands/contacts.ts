import { importModal } from "../blocks/contact-import";
import type { SlackDeps } from "../deps";
import { slashCommand } from "./router";

export const CONTACTS_COMMAND = "/contacts";

/** `/contacts …`: get voters in. */
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
  ]);
