import type { types } from "@slack/bolt";
import { MAX_SMS_BODY_CHARACTERS } from "../../domain/sms-length";
import { escapeForSlack } from "../../domain/slack-text";
import { mergeFieldHint } from "./campaign-modal";
import { clip, ephemeral, input, modal, placeholder, section } from "./kit";

/* `/campaign replies <name>`: the form that saves a campaign's canned replies, and its confirmation. */

export const CANNED_REPLY_VIEW = "campaign_canned_reply";
export type CannedReplyBlock = "title" | "body";
export const cannedAction = (block: CannedReplyBlock) => `canned.${block}`;

export interface CannedReplyMetadata {
  channelId: string;
  campaignId: string;
  /** Custom import columns the reply may merge. */
  fields: string[];
}

/** The form that saves a canned reply for a campaign, with the ones it has listed above it. */
export function cannedReplyModal(
  metadata: string,
  campaignName: string,
  existing: readonly { title: string; body: string }[],
  customFields: readonly string[],
): types.ModalView {
  const saved = existing.length
    ? existing
        .slice(0, 20)
        .map((r) => `• *${escapeForSlack(r.title)}*: ${escapeForSlack(clip(r.body, 150))}`)
        .join("\n")
    : "_None yet._";
  return modal({
    callbackId: CANNED_REPLY_VIEW,
    privateMetadata: metadata,
    title: "Canned reply",
    submit: "Save reply",
    close: "Cancel",
    blocks: [
      section(
        `Canned replies of *${escapeForSlack(clip(campaignName, 100))}* (volunteers send them from a thread's menu, rendered for that voter):\n${saved}`,
      ),
      input({
        blockId: "title",
        label: "Title (shown in the menu)",
        element: {
          type: "plain_text_input",
          action_id: cannedAction("title"),
          max_length: 40,
          placeholder: placeholder("Polling place"),
        },
        hint: "Saving a title that exists replaces its text.",
      }),
      input({
        blockId: "body",
        label: "Text",
        element: {
          type: "plain_text_input",
          action_id: cannedAction("body"),
          multiline: true,
          max_length: MAX_SMS_BODY_CHARACTERS,
          placeholder: placeholder("Hi {firstName|there}, you can find your polling place at vote.org"),
        },
        hint: mergeFieldHint(customFields),
      }),
    ],
  });
}

export const cannedReplySavedMessage = (campaignName: string, title: string) =>
  ephemeral(
    `:white_check_mark: Saved canned reply *${escapeForSlack(title)}* for *${escapeForSlack(campaignName)}*. Volunteers find it in the “Canned reply” menu of each new thread.`,
  );
