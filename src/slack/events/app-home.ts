import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from "@slack/bolt";
import { appHome } from "../../services/app-home";
import { actorOf } from "../actor";
import { appHomeView } from "../blocks/app-home";
import type { SlackDeps } from "../deps";

/** `app_home_opened`: the Home tab is drawn again with today's figures for whoever opened it. */
export function appHomeOpened(deps: SlackDeps) {
  return async ({ event, client }: SlackEventMiddlewareArgs<"app_home_opened"> & AllMiddlewareArgs): Promise<void> => {
    if (event.tab !== "home") return;
    try {
      const actor = await actorOf(deps, event.user);
      const home = await appHome(deps.db, actor, { orgTimeZone: deps.orgTimeZone });
      await client.views.publish({ user_id: event.user, view: appHomeView(home, deps.orgTimeZone) });
    } catch (error) {
      // Nothing is lost: the tab is drawn again the next time it is opened.
      deps.logger.error({ err: error, user: event.user }, "App Home not drawn");
    }
  };
}
