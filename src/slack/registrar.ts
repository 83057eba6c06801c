import type { App } from "@slack/bolt";

/** The part of Bolt's App that listeners register on; the manifest test records through it. */
export type SlackListenerRegistrar = Pick<
  App,
  "command" | "action" | "view" | "event" | "message" | "shortcut" | "options"
>;
