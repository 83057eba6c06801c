import type { AllMiddlewareArgs, SlackOptionsMiddlewareArgs } from "@slack/bolt";
import { searchTags } from "../../services/segments";
import { option, SLACK_LIMITS } from "../blocks/kit";
import type { SlackDeps } from "../deps";

/** The tag menus of the segment form when there are too many tags to list: the most used tags containing what was typed. */
export function segmentTagOptions(deps: SlackDeps) {
  return async ({ ack, body }: SlackOptionsMiddlewareArgs<"block_suggestion"> & AllMiddlewareArgs): Promise<void> => {
    try {
      const tags = await searchTags(deps.db, body.value ?? "");
      await ack({ options: tags.filter((t) => t.length <= SLACK_LIMITS.optionValue).map((t) => option(t, t)) });
    } catch (error) {
      deps.logger.error({ err: error, query: body.value }, "tag search failed");
      await ack({ options: [] });
    }
  };
}
