import { followUpAction, type FollowUpBlock } from "./blocks/follow-up-modal";
import type { ViewStateValues } from "./segment-form";

/** The follow-up form as picked in the modal (see blocks/follow-up-modal.ts for the blocks). */
export function readFollowUpChoice(values: ViewStateValues): { state: string | null; tag: string | null } {
  const picked = (block: FollowUpBlock) => values[block]?.[followUpAction(block)]?.selected_option?.value ?? null;
  return { state: picked("state"), tag: picked("tag") };
}
