import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from "@slack/bolt";
import { mergeFieldsFor } from "../../domain/script";
import { lintScript } from "../../domain/script-lint";
import { campaignById } from "../../services/campaigns";
import { saveCannedReply } from "../../services/conversation-controls";
import { cannedAction, cannedReplySavedMessage, type CannedReplyMetadata } from "../blocks/canned-reply";
import type { SlackDeps } from "../deps";
import type { ViewStateValues } from "../segment-form";
import { tellUser } from "../tell-user";
import { actorOf } from "../actor";

/** A canned reply was submitted: merge-field mistakes go back under the text; a good one is saved. */
export function cannedReplySubmitted(deps: SlackDeps) {
  return async ({
    ack,
    view,
    body,
    client,
  }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const metadata = JSON.parse(view.private_metadata) as CannedReplyMetadata;
    const values = view.state.values as ViewStateValues;
    const title = (values.title?.[cannedAction("title")]?.value ?? "").trim().replace(/\s+/g, " ");
    const text = (values.body?.[cannedAction("body")]?.value ?? "").trim();
    const errors: Record<string, string> = {};
    if (!title) errors.title = "Give the reply a short title, like “Polling place”.";
    const problems = lintScript(text, { knownFields: mergeFieldsFor(metadata.fields), kind: "follow_up" }).filter(
      (f) => f.severity === "error",
    );
    if (problems.length)
      errors.body = problems
        .slice(0, 2)
        .map((p) => p.message)
        .join(" ");
    if (Object.keys(errors).length) {
      await ack({ response_action: "errors", errors });
      return;
    }
    const campaign = await campaignById(deps.db, metadata.campaignId);
    if (!campaign) {
      await ack({
        response_action: "errors",
        errors: { title: "This campaign was deleted meanwhile; nothing was saved." },
      });
      return;
    }
    await saveCannedReply(deps.db, {
      campaignId: campaign.id,
      title,
      body: text,
      actor: await actorOf(deps, body.user.id),
    });
    await ack();
    deps.background.run("canned-reply-saved", () =>
      tellUser(
        client,
        { channelId: metadata.channelId, userId: body.user.id },
        cannedReplySavedMessage(campaign.name, title),
      ),
    );
  };
}
