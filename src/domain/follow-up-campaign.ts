import { RESPONSE_STATES, type ResponseCondition, type ResponseState } from "./audience-filter";
import { nameSafe, numberedNames } from "./display-name";

/*
 * Follow-up campaigns: after a campaign ran, its contacts stand somewhere (replied and were
 * tagged, replied without a tag, never replied, clicked a link), and the next campaign texts one
 * of those groups. Its audience is a segment of one response condition (audience-filter.ts), its
 * settings start as the first campaign's; the names of both are made here.
 */

/** Names tried before giving up: "X", "X (2)" … "X (20)". */
export const NAME_ATTEMPTS = 20;

export type FollowUpField = "state" | "tag";

export interface FollowUpChoice {
  state: ResponseState;
  /** Only for replied_tagged. */
  tag: string | null;
}

export type FollowUpChoiceResult =
  ({ ok: true } & FollowUpChoice) | { ok: false; problems: Partial<Record<FollowUpField, string>> };

/** The group picked in the follow-up form, or what is missing, under the field it is about. */
export function checkFollowUpChoice(input: { state: string | null; tag: string | null }): FollowUpChoiceResult {
  const state = RESPONSE_STATES.find((s) => s === input.state);
  if (!state)
    return {
      ok: false,
      problems: {
        state:
          "Pick who to text: people who replied and were tagged, replied without a tag, never replied, or clicked a link.",
      },
    };
  if (state !== "replied_tagged") return { ok: true, state, tag: null };
  const tag = (input.tag ?? "").trim().toLowerCase();
  if (!tag)
    return { ok: false, problems: { tag: "Pick the tag: the follow-up goes to people whose conversation has it." } };
  return { ok: true, state, tag };
}

/** The audience condition of a follow-up to `campaignId`. */
export function responseCondition(campaignId: string, choice: FollowUpChoice): ResponseCondition {
  return {
    response: { campaign: campaignId, state: choice.state, ...(choice.tag !== null ? { tag: choice.tag } : {}) },
  };
}

const SEGMENT_TAILS: Record<ResponseState, (tag: string) => string> = {
  replied_tagged: (tag) => ` - replied: ${nameSafe(tag) || "tagged"}`,
  replied_untagged: () => " - replied, no tag",
  no_reply: () => " - no reply",
  clicked_link: () => " - clicked a link",
};

/** Names for the follow-up's segment, first choice first: "Spring GOTV - replied: pledged", then "… (2)". */
export function followUpSegmentNames(campaignName: string, choice: FollowUpChoice): string[] {
  return numberedNames(campaignName, SEGMENT_TAILS[choice.state](choice.tag ?? ""), NAME_ATTEMPTS);
}

/** Names to suggest for the follow-up campaign: "Spring GOTV follow-up", then "… (2)". */
export function followUpCampaignNames(campaignName: string): string[] {
  return numberedNames(campaignName, " follow-up", NAME_ATTEMPTS);
}
