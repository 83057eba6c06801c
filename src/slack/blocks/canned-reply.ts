import type { types } from "@slack/bolt";
import { MAX_MEDIA_PER_TEXT } from "../../domain/media-links";
import { MAX_SMS_BODY_CHARACTERS } from "../../domain/sms-length";
import { escapeForSlack } from "../../domain/slack-text";
import { mediaKind, mediaSize } from "./campaign-media";
import { MEDIA_FILE_TYPES, mergeFieldHint } from "./campaign-modal";
import { clip, ephemeral, input, modal, placeholder, section } from "./kit";

/* `/campaign replies <name>`: the form that saves a campaign's canned replies, and its confirmation. */

export const CANNED_REPLY_VIEW = "campaign_canned_reply";
export type CannedReplyBlock = "title" | "body" | "files" | "links";
export const cannedAction = (block: CannedReplyBlock) => `canned.${block}`;

export interface CannedReplyMetadata {
  channelId: string;
  campaignId: string;
  /** Custom import columns the reply may merge. */
  fields: string[];
}

/** What the organizer typed, shown again with why their media were refused (files must be attached again). */
export interface CannedReplyRetry {
  title: string;
  body: string;
  links: string;
  refused: string;
}

/** The form that saves a canned reply for a campaign, with the ones it has listed above it. */
export function cannedReplyModal(
  metadata: string,
  campaignName: string,
  existing: readonly { title: string; body: string; mediaCount?: number }[],
  customFields: readonly string[],
  retry?: CannedReplyRetry,
): types.ModalView {
  const saved = existing.length
    ? existing
        .slice(0, 20)
        .map(
          (r) =>
            `• *${escapeForSlack(r.title)}*: ${escapeForSlack(clip(r.body, 150))}${r.mediaCount ? ` :frame_with_picture: ${r.mediaCount}` : ""}`,
        )
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
          ...(retry ? { initial_value: retry.title } : {}),
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
          ...(retry ? { initial_value: retry.body } : {}),
        },
        hint: mergeFieldHint(customFields),
      }),
      ...(retry ? [section(`:x: Nothing was saved. ${escapeForSlack(retry.refused)}`)] : []),
      input({
        blockId: "files",
        label: "Pictures or videos (optional)",
        optional: true,
        element: {
          type: "file_input",
          action_id: cannedAction("files"),
          filetypes: MEDIA_FILE_TYPES,
          max_files: MAX_CANNED_MEDIA,
        } as unknown as types.InputBlockElement,
        hint: `Sent with the text as one picture message (MMS), made to fit 600 KB. Up to ${MAX_CANNED_MEDIA} with the links below.`,
      }),
      input({
        blockId: "links",
        label: "Or links to pictures or videos (optional)",
        optional: true,
        element: {
          type: "plain_text_input",
          action_id: cannedAction("links"),
          multiline: true,
          placeholder: placeholder("https://example.org/flyer.jpg (one per line)"),
          ...(retry?.links ? { initial_value: retry.links } : {}),
        },
      }),
    ],
  });
}

/** Twilio's limit of media per message. */
export const MAX_CANNED_MEDIA = MAX_MEDIA_PER_TEXT;

/** One media item of a canned reply as prepared: its size before and after, or why it was refused. */
export type CannedMediaLine =
  | { label: string; ok: true; originalBytes: number; bytes: number; contentType: string }
  | { label: string; ok: false; message: string };

/** Each item's size before and after compression, or why it cannot be sent. */
export const cannedMediaLines = (items: readonly CannedMediaLine[]): string =>
  items
    .map((item, i) =>
      item.ok
        ? `${i + 1}. :white_check_mark: ${escapeForSlack(item.label)}: ${mediaSize(item.originalBytes)} → *${mediaSize(item.bytes)}* ${mediaKind(item.contentType)}`
        : `${i + 1}. :x: ${escapeForSlack(item.label)}: ${escapeForSlack(item.message)}`,
    )
    .join("\n");

export const cannedReplySavedMessage = (campaignName: string, title: string, media: readonly CannedMediaLine[] = []) =>
  ephemeral(
    clip(
      `:white_check_mark: Saved canned reply *${escapeForSlack(title)}* for *${escapeForSlack(campaignName)}*. Volunteers find it in the “Canned reply” menu of each new thread.${media.length ? `\nIt goes out as one picture message with:\n${cannedMediaLines(media)}` : ""}`,
      2900,
    ),
  );

/** Shown in the modal while the reply's media are read and compressed (a video takes a while). */
export const cannedReplyWorkingModal = (metadata: string, count: number): types.ModalView =>
  modal({
    callbackId: CANNED_REPLY_VIEW,
    privateMetadata: metadata,
    title: "Canned reply",
    close: "Close",
    blocks: [
      section(
        `:hourglass_flowing_sand: Checking and compressing ${count === 1 ? "the picture or video" : `${count} pictures or videos`} so they fit a text… This page shows the result; you can close it, the answer also comes as a message.`,
      ),
    ],
  });

/** The modal once the reply is saved with its media: each item's size before and after. */
export const cannedReplyDoneModal = (metadata: string, saved: ReturnType<typeof cannedReplySavedMessage>) =>
  modal({
    callbackId: CANNED_REPLY_VIEW,
    privateMetadata: metadata,
    title: "Canned reply",
    close: "Done",
    blocks: [section(saved.text)],
  });
