import type { SlackListenerRegistrar } from "../registrar";
import { CAMPAIGN_COMMAND, campaignCommand } from "./campaign";
import { CONTACTS_COMMAND, contactsCommand } from "./contacts";

export function register(app: SlackListenerRegistrar): void {
  app.command(CAMPAIGN_COMMAND, campaignCommand);
  app.command(CONTACTS_COMMAND, contactsCommand);
}
