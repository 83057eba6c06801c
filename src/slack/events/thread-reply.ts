import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from "@slack/bolt";
import { recordThreadReply, type SlackAttachment } from "../../services/thread-replies";
import type { SlackDeps } from "../deps";

type MessageArgs = SlackEventMiddlewareArgs<"message"> & AllMiddlewareArgs;

/** Message subtypes that are still a person's reply in a thread (a plain reply has none). */
const REPLY_SUBTYPES = new Set(["file_share", "thread_broadcast"]);

/**
 * A message in a channel. Only a person's reply inside a thread can be a text to a voter (also when
 * sent to the channel too): bot posts (ours included), edits, deletions and other subtypes are ignored; files shared
 * with it go out as MMS after compression, or get a note saying why they cannot. The reply is written to
 * the durable inbox (keyed on channel + ts, so Slack's retries add nothing) before Slack gets its
 * 200; the inbox sends it and marks it sent or failed in the thread.
 */
export function threadReplyReceived(deps: SlackDeps) {
  return async ({ message }: MessageArgs): Promise<void> => {
    const m = message as {
      subtype?: string;
      bot_id?: string;
      channel?: string;
      ts?: string;
      thread_ts?: string;
      user?: string;
      text?: string;
      files?: Array<{ name?: string; mimetype?: string; url_private_download?: string; url_private?: string }>;
    };
    // A file shared in a thread is kept too: it cannot go out as a text, and the volunteer must be told so.
    // A reply also sent to the channel (thread_broadcast) is a reply like any other: it is texted.
    if (
      (m.subtype !== undefined && !REPLY_SUBTYPES.has(m.subtype)) ||
      m.bot_id ||
      !m.thread_ts ||
      m.thread_ts === m.ts ||
      !m.channel ||
      !m.ts ||
      !m.user
    )
      return;
    const stored = await recordThreadReply(deps.db, {
      channel: m.channel,
      ts: m.ts,
      threadTs: m.thread_ts,
      user: m.user,
      text: m.text ?? "",
      ...(m.subtype === "file_share" || m.files?.length
        ? { files: true, attachments: attachmentsOf(m.files ?? []) }
        : {}),
    });
    if (stored) deps.inbox.wake();
  };
}

function attachmentsOf(
  files: Array<{ name?: string; mimetype?: string; url_private_download?: string; url_private?: string }>,
): SlackAttachment[] {
  return files.flatMap((f) => {
    const url = f.url_private_download ?? f.url_private;
    return url ? [{ name: f.name ?? "file", mimetype: f.mimetype ?? "", url }] : [];
  });
}
