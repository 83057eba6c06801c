import * as commands from "./commands";
import type { SlackListenerRegistrar } from "./registrar";

/** Wires every Slack listener. Each folder's index lists exactly what it answers to. */
export function registerListeners(app: SlackListenerRegistrar): void {
  commands.register(app);
}
