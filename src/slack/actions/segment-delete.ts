import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from "@slack/bolt";
import { deleteSegment } from "../../services/segments";
import { answerFailure } from "../answer-failure";
import { segmentDeletedMessage, segmentKeptMessage } from "../blocks/segment-messages";
import type { SlackDeps } from "../deps";
import { actorOf } from "../actor";

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** "Delete segment" under `/segment delete`: the button carries the segment id, so a double click deletes once and says so. */
export function segmentDeleteConfirmed(deps: SlackDeps) {
  return async ({ ack, action, body, respond }: ButtonArgs): Promise<void> => {
    await ack();
    try {
      const deleted = await deleteSegment(deps.db, { id: action.value ?? "" }, await actorOf(deps, body.user.id));
      await respond(segmentDeletedMessage(deleted.name));
    } catch (error) {
      const failed = {
        what: "deleting the segment",
        context: { user: body.user.id, segmentId: action.value },
        consequence: "nothing was deleted",
      };
      await respond({ replace_original: true, ...answerFailure(deps.logger, error, failed) });
    }
  };
}

/** "Keep it": the question goes away. */
export async function segmentDeleteCancelled({ ack, respond }: ButtonArgs): Promise<void> {
  await ack();
  await respond(segmentKeptMessage());
}
