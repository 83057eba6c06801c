import type { SlackDeps } from "../deps";
import type { SlackListenerRegistrar } from "../registrar";
import { botJoinedChannel } from "./bot-joined";
import { appHomeOpened } from "./app-home";
import { threadReplyReceived } from "./thread-reply";

export function register(app: SlackListenerRegistrar, deps: SlackDeps): void {
  app.message(threadReplyReceived(deps));
  app.event("member_joined_channel", botJoinedChannel(deps));
  app.event("app_home_opened", appHomeOpened(deps));
}
