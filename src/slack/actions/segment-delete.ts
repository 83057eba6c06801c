import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from "@slack/bolt";
import { deleteSegment, SegmentError } from "../../services/segments";
import {
  segmentDeletedMessage,
  segmentFailureMessage,
  segmentKeptMessage,
  segmentProblemMessage,
} from "../blocks/segment-messages";
import type { SlackDeps } from "../deps";

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** "Delete segment" under `/segment delete`: the button carries the segment id, so a double click deletes once and says so. */
export function segmentDeleteConfirmed(deps: SlackDeps) {
  return async ({ ack, action, body, respond }: ButtonArgs): Promise<void> => {
    await ack();
    try {
      const deleted = await deleteSegment(deps.db, { id: action.value ?? "" });
      await respond(segmentDeletedMessage(deleted.name));
    } catch (error) {
      if (error instanceof SegmentError) {
        await respond({ replace_original: true, ...segmentProblemMessage(error.message) });
        return;
      }
      deps.logger.error({ err: error, user: body.user.id, segmentId: action.value }, "segment delete failed");
      await respond({ replace_original: true, ...segmentFailureMessage("nothing was deleted") });
    }
  };
}

/** "Keep it": the question goes away. */
export async function segmentDeleteCancelled({ ack, respond }: ButtonArgs): Promise<void> {
  await ack();
  await respond(segmentKeptMessage());
}
