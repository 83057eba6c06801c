import type { SlackDeps } from "../deps";
import type { SlackListenerRegistrar } from "../registrar";
import { threadReplyReceived } from "./thread-reply";

export function register(app: SlackListenerRegistrar, deps: SlackDeps): void {
  app.message(threadReplyReceived(deps));
}
