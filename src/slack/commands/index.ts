import type { SlackDeps } from "../deps";
import type { SlackListenerRegistrar } from "../registrar";
import { CAMPAIGN_COMMAND, campaignCommand } from "./campaign";
import { CONTACTS_COMMAND, contactsCommand } from "./contacts";
import { SEGMENT_COMMAND, segmentCommand } from "./segment";

export function register(app: SlackListenerRegistrar, deps: SlackDeps): void {
  app.command(CAMPAIGN_COMMAND, campaignCommand(deps));
  app.command(CONTACTS_COMMAND, contactsCommand(deps));
  app.command(SEGMENT_COMMAND, segmentCommand(deps));
}
