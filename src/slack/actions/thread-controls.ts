import type {
  AllMiddlewareArgs,
  BlockAction,
  ButtonAction,
  SlackActionMiddlewareArgs,
  StaticSelectAction,
} from "@slack/bolt";
import {
  assignConversation,
  optOutFromThread,
  sendCannedReply,
  setFollowUp,
  toggleTag,
} from "../../services/conversation-controls";
import { fullPhoneOf } from "../../services/contact-phones";
import { answerFailure } from "../answer-failure";
import { fullPhoneMessage, slackThreadRenderer } from "../blocks/conversation";
import type { SlackDeps } from "../deps";
import { actorOf } from "../actor";
import type { Actor } from "../../services/actors";

type ControlArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction | StaticSelectAction>> & AllMiddlewareArgs;
type Control = (
  deps: SlackDeps,
  input: { conversationId: string; choice: string; actor: Actor; actionKey: string },
) => Promise<void>;

/** One thread control: acknowledge, change the conversation, tell the volunteer only if it failed. */
function control(deps: SlackDeps, what: string, run: Control) {
  return async ({ ack, action, body, respond }: ControlArgs): Promise<void> => {
    await ack();
    const raw = action.type === "button" ? (action.value ?? "") : (action.selected_option?.value ?? "");
    const [conversationId = "", choice = ""] = raw.split("|");
    const user = body.user.id;
    try {
      await run(deps, { conversationId, choice, actor: await actorOf(deps, user), actionKey: action.action_ts });
      deps.inbox.wake();
    } catch (error) {
      const answer = answerFailure(deps.logger, error, { what, context: { user, conversationId } });
      await respond({ ...answer, replace_original: false });
    }
  };
}

const controlDeps = (deps: SlackDeps) => ({
  db: deps.db,
  render: slackThreadRenderer,
  logger: deps.logger,
  clock: deps.clock,
});

export const threadAssignClicked = (deps: SlackDeps) =>
  control(deps, "assigning the conversation", (d, i) =>
    assignConversation(controlDeps(d), i.conversationId, i.actor, true, i.actionKey),
  );
export const threadReleaseClicked = (deps: SlackDeps) =>
  control(deps, "releasing the conversation", (d, i) =>
    assignConversation(controlDeps(d), i.conversationId, i.actor, false, i.actionKey),
  );
export const threadTagPicked = (deps: SlackDeps) =>
  control(deps, "tagging the conversation", (d, i) =>
    toggleTag(controlDeps(d), i.conversationId, i.choice, i.actor, i.actionKey),
  );
export const threadFollowUpPicked = (deps: SlackDeps) =>
  control(deps, "setting the follow-up", (d, i) =>
    setFollowUp(controlDeps(d), i.conversationId, Number(i.choice) || 0, i.actor, i.actionKey),
  );
export const threadOptOutClicked = (deps: SlackDeps) =>
  control(deps, "opting the voter out", (d, i) =>
    optOutFromThread(controlDeps(d), i.conversationId, i.actor, i.actionKey),
  );
export const threadCannedPicked = (deps: SlackDeps) =>
  control(deps, "sending the canned reply", async (d, i) => {
    await sendCannedReply(controlDeps(d), i.conversationId, i.choice, i.actor, i.actionKey);
  });

/** "Full number": an organizer gets the voter's number in a message only they see; anyone else a refusal. */
export const threadShowPhoneClicked =
  (deps: SlackDeps) =>
  async ({ ack, action, body, respond }: ControlArgs): Promise<void> => {
    await ack();
    const conversationId = action.type === "button" ? (action.value ?? "") : "";
    const user = body.user.id;
    try {
      const { phone, contactName } = await fullPhoneOf(deps.db, await actorOf(deps, user), conversationId);
      await respond(fullPhoneMessage(contactName, phone));
    } catch (error) {
      const answer = answerFailure(deps.logger, error, {
        what: "showing the full number",
        context: { user, conversationId },
      });
      await respond({ ...answer, replace_original: false });
    }
  };
