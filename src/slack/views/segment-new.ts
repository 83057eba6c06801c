import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction, webApi } from "@slack/bolt";
import type { AudienceFilter } from "../../domain/audience-filter";
import { filterFromForm } from "../../domain/segment-form";
import { normalizeSegmentName, segmentNameProblem } from "../../domain/segment-name";
import { createSegment, previewAudience } from "../../services/segments";
import { failureText } from "../answer-failure";
import type { SegmentModalMetadata } from "../blocks/segment-fields";
import { segmentSavedMessage } from "../blocks/segment-messages";
import type { SlackDeps } from "../deps";
import { readSegmentForm, type ViewStateValues } from "../segment-form";
import { tellUser } from "../tell-user";
import { actorOf } from "../actor";

/**
 * The segment form was submitted: problems go back under the fields that caused them (the modal
 * stays open); a valid segment is saved, the modal closes, and the organizer is told how many
 * contacts it reaches.
 */
export function segmentNewSubmitted(deps: SlackDeps) {
  return async ({
    ack,
    view,
    body,
    client,
  }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const { name, form } = readSegmentForm(view.state.values as ViewStateValues);
    const result = filterFromForm(form);
    const errors: Record<string, string> = result.ok ? {} : { ...result.problems };
    const nameProblem = segmentNameProblem(normalizeSegmentName(name));
    if (nameProblem) errors.name = nameProblem;
    if (!result.ok || Object.keys(errors).length > 0) {
      await ack({ response_action: "errors", errors });
      return;
    }
    let saved: { id: string; name: string };
    try {
      saved = await createSegment(deps.db, { name, filter: result.filter, actor: await actorOf(deps, body.user.id) });
    } catch (error) {
      // The modal stays open, the problem under the name (a taken name is the problem a person can fix here).
      const message = failureText(deps.logger, error, { what: "saving the segment", context: { user: body.user.id } });
      await ack({ response_action: "errors", errors: { name: message } });
      return;
    }
    await ack();
    const { channelId } = JSON.parse(view.private_metadata) as SegmentModalMetadata;
    deps.background.run("segment-saved", () =>
      confirmSaved(deps, client, { channelId, userId: body.user.id }, saved.name, result.filter),
    );
  };
}

async function confirmSaved(
  deps: SlackDeps,
  client: webApi.WebClient,
  to: { channelId: string; userId: string },
  name: string,
  filter: AudienceFilter,
) {
  const { reachable, description } = await previewAudience(deps.db, filter);
  await tellUser(client, to, segmentSavedMessage(name, reachable, description));
}
