import type { types } from "@slack/bolt";
import { escapeForSlack } from "../../domain/slack-text";
import { FIELD_LABELS, type SegmentBlock } from "./segment-fields";
import { clip, context, modal, number, section } from "./kit";

/* The count line at the top of the /segment new form, redrawn after each edit. */

type KnownBlock = types.KnownBlock;

export const COUNT_BLOCK = "audience_count";
export const DETAIL_BLOCK = "audience_detail";

/** What the count line shows while the form is edited. */
export type AudienceStatus =
  | { kind: "prompt"; nameProblem?: string }
  | { kind: "count"; reachable: number; description: string; fieldsIgnored: boolean; nameProblem?: string }
  | { kind: "problems"; problems: Partial<Record<SegmentBlock, string>>; nameProblem?: string }
  | { kind: "failed"; nameProblem?: string };

/** "12,345 reachable contacts (opted-out numbers excluded)" */
export function reachableText(reachable: number): string {
  return `${number(reachable)} reachable ${reachable === 1 ? "contact" : "contacts"} (opted-out numbers excluded)`;
}

function problemLines(problems: Partial<Record<SegmentBlock, string>>): string {
  return (Object.entries(problems) as [SegmentBlock, string][])
    .map(([block, text]) => `• ${FIELD_LABELS[block]}: ${escapeForSlack(text)}`)
    .join("\n");
}

/** The count line and the line under it. */
export function audienceStatusBlocks(status: AudienceStatus): KnownBlock[] {
  let head: string;
  let detail: string;
  switch (status.kind) {
    case "prompt":
      head = "Fill in at least one condition to see how many contacts it reaches.";
      detail = "The count updates as you edit.";
      break;
    case "count":
      head = reachableText(status.reachable);
      detail = status.fieldsIgnored
        ? `Using the advanced filter; the other fields are ignored. ${escapeForSlack(status.description)}`
        : escapeForSlack(status.description);
      break;
    case "problems":
      head = ":warning: Fix this to see the count:";
      detail = problemLines(status.problems);
      break;
    case "failed":
      head = ":x: Could not count contacts just now.";
      detail =
        "The count comes back with your next change, and saving still works. If it keeps failing, tell your admin.";
      break;
  }
  if (status.nameProblem) detail = `${detail}\n:warning: ${escapeForSlack(status.nameProblem)}`;
  return [section(head, { blockId: COUNT_BLOCK }), context(clip(detail, 2_000), DETAIL_BLOCK)];
}

/** The view as Slack sent it, with a new count line. Input blocks keep their ids, so Slack keeps what was entered. */
export function withAudienceStatus(
  view: {
    callback_id: string;
    private_metadata: string;
    title: { text: string };
    submit?: { text: string } | null;
    close?: { text: string } | null;
    blocks: unknown[];
  },
  status: AudienceStatus,
): types.ModalView {
  const [head, detail] = audienceStatusBlocks(status);
  const blocks = (view.blocks as KnownBlock[]).map((block) =>
    block.block_id === COUNT_BLOCK ? head! : block.block_id === DETAIL_BLOCK ? detail! : block,
  );
  return modal({
    callbackId: view.callback_id,
    privateMetadata: view.private_metadata,
    title: view.title.text,
    ...(view.submit ? { submit: view.submit.text } : {}),
    ...(view.close ? { close: view.close.text } : {}),
    blocks,
  });
}
