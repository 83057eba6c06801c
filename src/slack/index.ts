import * as actions from "./actions";
import * as commands from "./commands";
import * as events from "./events";
import type { SlackDeps } from "./deps";
import type { SlackListenerRegistrar } from "./registrar";
import * as views from "./views";

/** Wires every Slack listener. Each folder's index lists exactly what it answers to. */
export function registerListeners(app: SlackListenerRegistrar, deps: SlackDeps): void {
  commands.register(app, deps);
  actions.register(app, deps);
  views.register(app, deps);
  events.register(app, deps);
}
