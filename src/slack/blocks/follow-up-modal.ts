import type { types } from "@slack/bolt";
import type { ResponseState } from "../../domain/audience-filter";
import { escapeForSlack } from "../../domain/slack-text";
import type { FollowUpState, FollowUpTag } from "../../services/follow-up-campaigns";
import { context, input, modal, number, option, section, staticSelect } from "./kit";

/* `/campaign followup <name>`: pick who to text again; the regular campaign form follows. */

type ModalView = types.ModalView;

export const FOLLOW_UP_VIEW = "campaign_followup";

/** Block ids of the form, also the fields submit errors are shown under. */
export type FollowUpBlock = "state" | "tag";
export const followUpAction = (block: FollowUpBlock) => `followup.${block}`;

export interface FollowUpModalMetadata {
  /** Where the campaign form's summary goes: the channel the command was typed in. */
  channelId: string;
  /** The campaign followed up. */
  campaignId: string;
  /** Custom import columns, for the campaign form that follows (see campaign-modal.ts's modalMetadata). */
  fields: string[];
}

/** What each group is called in the form. */
export const STATE_LABELS: Record<ResponseState, string> = {
  replied_tagged: "Replied, and were tagged…",
  replied_untagged: "Replied, with no tag",
  no_reply: "Were texted, never replied",
  clicked_link: "Clicked a link",
};

const reachable = (n: number) => `${number(n)} reachable`;

function followUpView(metadata: string, blocks: types.KnownBlock[], submit?: string): ModalView {
  return modal({
    callbackId: FOLLOW_UP_VIEW,
    privateMetadata: metadata,
    title: "Follow-up campaign",
    close: "Cancel",
    ...(submit ? { submit } : {}),
    blocks,
  });
}

/** Shown at once (trigger_id lasts 3 s) while the campaign's contacts are counted. */
export function followUpLoadingModal(metadata: string, campaignName: string): ModalView {
  return followUpView(metadata, [
    section(`:hourglass_flowing_sand: Counting where the people *${escapeForSlack(campaignName)}* texted stand…`),
  ]);
}

export function followUpUnavailableModal(metadata: string): ModalView {
  return followUpView(metadata, [
    section(":x: The follow-up form could not load. Close it and try again in a minute."),
  ]);
}

/**
 * The groups of the campaign's contacts, each with how many can be texted, and the tags its
 * conversations carry (for “replied, and were tagged”). Without any tag there is no tag menu:
 * Slack refuses a menu without options.
 */
export function followUpModal(
  metadata: string,
  campaignName: string,
  states: readonly FollowUpState[],
  tags: readonly FollowUpTag[],
): ModalView {
  const tagBlock = tags.length
    ? input({
        blockId: "tag",
        label: "Tag",
        optional: true,
        hint: "For “Replied, and were tagged”: the tag their conversation has.",
        element: staticSelect({
          actionId: followUpAction("tag"),
          placeholder: "Pick a tag",
          options: tags.map((t) => option(`${t.tag} · ${reachable(t.reachable)}`, t.tag)),
        }),
      })
    : context("No conversation of this campaign has a tag yet.", "tag_none");
  return followUpView(
    metadata,
    [
      section(
        `Text the people *${escapeForSlack(campaignName)}* reached again, by where they stand in it. You write the new texts next.`,
      ),
      input({
        blockId: "state",
        label: "Who gets the follow-up",
        element: {
          type: "radio_buttons",
          action_id: followUpAction("state"),
          options: states.map((s) => option(STATE_LABELS[s.state], s.state, reachable(s.reachable))),
        },
      }),
      tagBlock,
      context(
        "Counts leave out opted-out numbers. The group is saved as a segment, and the campaign form opens with this campaign's settings and empty scripts.",
      ),
    ],
    "Next",
  );
}
