import type { SlackDeps } from "../deps";
import type { SlackListenerRegistrar } from "../registrar";
import { appHomeOpened } from "./app-home";
import { threadReplyReceived } from "./thread-reply";

export function register(app: SlackListenerRegistrar, deps: SlackDeps): void {
  app.message(threadReplyReceived(deps));
  app.event("app_home_opened", appHomeOpened(deps));
}
