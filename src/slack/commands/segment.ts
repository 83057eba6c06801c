import { listSegments, prepareDeletion, segmentChoices, showSegment } from "../../services/segments";
import { answerFailure } from "../answer-failure";
import {
  SEGMENT_COMMAND,
  segmentDeleteConfirmMessage,
  segmentDetailsMessage,
  segmentFormFailedMessage,
  segmentListMessage,
  segmentUsageMessage,
} from "../blocks/segment-messages";
import { segmentLoadingModal, segmentModal, segmentUnavailableModal } from "../blocks/segment-modal";
import type { SlackDeps } from "../deps";
import { slackErrorCode } from "../tell-user";
import { answerLater, slashCommand, type CommandArgs } from "./router";

export { SEGMENT_COMMAND };

/** `/segment …`: save audiences, see who is in them. Answers are visible only to the organizer. */
export function segmentCommand(deps: SlackDeps) {
  return slashCommand(deps, SEGMENT_COMMAND, "save audiences (who a campaign texts) and see who is in them.", [
    {
      name: "new",
      summary: "build a segment in a form that counts reachable contacts as you go",
      permission: "segments.manage",
      what: "creating a segment",
      run: (args) => openSegmentForm(deps, args),
    },
    {
      name: "list",
      summary: "every saved segment with its conditions",
      permission: "campaigns.read",
      what: "listing segments",
      run: (args) => listAll(deps, args),
    },
    {
      name: "show",
      args: "<name>",
      summary: "reachable count, breakdown by state and time zone, five sample contacts",
      permission: "campaigns.read",
      what: "looking at a segment",
      run: (args, name) => show(deps, args, name),
    },
    {
      name: "delete",
      args: "<name>",
      summary: "delete a segment no campaign uses (asks first)",
      permission: "segments.manage",
      what: "deleting a segment",
      run: (args, name) => askToDelete(deps, args, name),
    },
  ]);
}

/** The modal opens at once (trigger_id lasts about 3 s); its menus are filled in once tags and zones are read. */
async function openSegmentForm(deps: SlackDeps, { ack, client, command, respond }: CommandArgs): Promise<void> {
  await ack();
  const metadata = { channelId: command.channel_id };
  const log = deps.logger.child({ flow: "segment-new", user: command.user_id });
  let opened: Awaited<ReturnType<typeof client.views.open>>;
  try {
    opened = await client.views.open({ trigger_id: command.trigger_id, view: segmentLoadingModal(metadata) });
  } catch (error) {
    log.error({ err: error }, "segment form did not open");
    await respond(segmentFormFailedMessage(slackErrorCode(error) ?? "no answer"));
    return;
  }
  const viewId = opened.view?.id;
  if (!viewId) return;
  deps.background.run("segment-form", async () => {
    try {
      const choices = await segmentChoices(deps.db);
      await client.views.update({ view_id: viewId, hash: opened.view?.hash, view: segmentModal(metadata, choices) });
    } catch (error) {
      if (slackErrorCode(error) === "not_found") return; // closed while loading
      log.error({ err: error }, "segment form could not load");
      await client.views.update({ view_id: viewId, view: segmentUnavailableModal(metadata) }).catch(() => undefined);
    }
  });
}

async function listAll(deps: SlackDeps, { ack, command }: CommandArgs): Promise<void> {
  try {
    await ack(segmentListMessage(await listSegments(deps.db)));
  } catch (error) {
    await ack(answerFailure(deps.logger, error, { what: "listing the segments", context: { user: command.user_id } }));
  }
}

/** Counting over many contacts can take a while: acknowledge now, answer through response_url. */
async function show(deps: SlackDeps, args: CommandArgs, name: string): Promise<void> {
  if (!name) {
    await args.ack(segmentUsageMessage("show"));
    return;
  }
  const failed = { what: "counting the segment", context: { user: args.command.user_id, segment: name } };
  await answerLater(deps, args, "segment-show", failed, async () =>
    segmentDetailsMessage(await showSegment(deps.db, name)),
  );
}

async function askToDelete(deps: SlackDeps, { ack, command }: CommandArgs, name: string): Promise<void> {
  if (!name) {
    await ack(segmentUsageMessage("delete"));
    return;
  }
  try {
    await ack(segmentDeleteConfirmMessage(await prepareDeletion(deps.db, name)));
  } catch (error) {
    const failed = {
      what: "looking up the segment to delete",
      context: { user: command.user_id, segment: name },
      consequence: "nothing was deleted",
    };
    await ack(answerFailure(deps.logger, error, failed));
  }
}
