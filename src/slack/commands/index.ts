import type { SlackListenerRegistrar } from "../registrar";
import { CAMPAIGN_COMMAND, campaignCommand } from "./campaign";

export function register(app: SlackListenerRegistrar): void {
  app.command(CAMPAIGN_COMMAND, campaignCommand);
}
