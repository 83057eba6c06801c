import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction, webApi } from "@slack/bolt";
import { parseMediaLinks } from "../../domain/media-links";
import { mergeFieldsFor } from "../../domain/script";
import { lintScript } from "../../domain/script-lint";
import { downloadMedia } from "../../media/fetch";
import { campaignById } from "../../services/campaigns";
import { requireCannedReplyManager, saveCannedReply } from "../../services/conversation-controls";
import { discardMedia, prepareMediaItem } from "../../services/media";
import {
  cannedAction,
  cannedMediaLines,
  cannedReplyDoneModal,
  cannedReplyModal,
  cannedReplySavedMessage,
  cannedReplyWorkingModal,
  type CannedMediaLine,
  type CannedReplyMetadata,
} from "../blocks/canned-reply";
import { customFieldNames } from "../../services/segments";
import { listCannedReplies } from "../../services/conversation-controls";
import { failureText } from "../answer-failure";
import { slackMediaReader } from "../file-download";
import { message } from "../blocks/kit";
import { escapeForSlack } from "../../domain/slack-text";
import type { SlackDeps } from "../deps";
import type { ViewStateValues } from "../segment-form";
import { tellUser } from "../tell-user";
import { actorOf } from "../actor";
import type { Actor } from "../../services/actors";

/** A picture or video to prepare: a file attached in the modal (read with the bot token), or a link. */
interface MediaSource {
  label: string;
  read: () => Promise<{ body: Buffer; contentType: string }>;
}

/** An attached file as the view_submission's file_input state carries it (Slack's file object). */
interface AttachedFile {
  id: string;
  name?: string;
}

/**
 * A canned reply was submitted: merge-field and link mistakes go back under their field; a good one
 * without media is saved at once. With media, the modal shows that they are being checked, each is
 * read, compressed and stored in the background, and the modal then shows each one's size before
 * and after (the reply saved), or why one was refused (nothing saved, the form again).
 */
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
    const linksText = (values.links?.[cannedAction("links")]?.value ?? "").trim();
    const files = ((view.state.values.files?.[cannedAction("files")] as { files?: AttachedFile[] } | undefined)
      ?.files ?? []) as AttachedFile[];
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
    const { urls: links, problem } = parseMediaLinks(linksText, files.length);
    if (problem) errors.links = problem;
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
    const actor = await actorOf(deps, body.user.id);
    const to = { channelId: metadata.channelId, userId: body.user.id };
    const reply = { campaignId: campaign.id, title, body: text, actor };
    try {
      // Before any file is read: someone who may not save canned replies gets nothing stored.
      await requireCannedReplyManager(deps.db, actor, campaign.id);
      if (files.length + links.length === 0) await saveCannedReply(deps.db, reply);
    } catch (error) {
      const context = { user: body.user.id, campaign: campaign.id };
      await ack({
        response_action: "errors",
        errors: { title: failureText(deps.logger, error, { what: "saving the canned reply", context }) },
      });
      return;
    }
    if (files.length + links.length === 0) {
      await ack();
      deps.background.run("canned-reply-saved", () =>
        tellUser(client, to, cannedReplySavedMessage(campaign.name, title)),
      );
      return;
    }
    const readFile = slackMediaReader(client, deps.botToken, deps.importDownloadTimeoutMs);
    const sources: MediaSource[] = [
      ...files.map((file) => slackFileSource(readFile, file)),
      ...links.map((url) => ({ label: url, read: () => downloadMedia(url, { fetch: deps.fetchMedia }) })),
    ];
    await ack({ response_action: "update", view: cannedReplyWorkingModal(view.private_metadata, sources.length) });
    deps.background.run("canned-reply-media", () =>
      saveWithMedia(deps, client, {
        viewId: view.id,
        metadata: view.private_metadata,
        campaignName: campaign.name,
        reply,
        links: linksText,
        sources,
        to,
      }),
    );
  };
}

/** Reads, compresses and stores every item; all stored: the reply is saved with them; one refused: nothing is. */
async function saveWithMedia(
  deps: SlackDeps,
  client: webApi.WebClient,
  job: {
    viewId: string;
    metadata: string;
    campaignName: string;
    reply: { campaignId: string; title: string; body: string; actor: Actor };
    links: string;
    sources: MediaSource[];
    to: { channelId: string; userId: string };
  },
): Promise<void> {
  const { reply } = job;
  const lines: CannedMediaLine[] = [];
  const ids: string[] = [];
  for (const source of job.sources) {
    const item = await prepareMediaItem(
      deps.db,
      source.read,
      { source: source.label, createdBy: reply.actor.userId },
      deps.logger,
    );
    if (item.ok) ids.push(item.id);
    lines.push(item.ok ? { label: source.label, ...item } : { label: source.label, ok: false, message: item.message });
  }
  const show = (view: ReturnType<typeof cannedReplyModal>) =>
    client.views.update({ view_id: job.viewId, view }).then(
      () => true,
      (error: unknown) => {
        deps.logger.warn({ err: error, user: job.to.userId }, "canned reply modal could not show the media result");
        return false;
      },
    );
  if (lines.some((l) => !l.ok)) {
    await discardMedia(deps.db, ids);
    const refused = `Fix or remove what cannot be sent, then attach the files again:\n${cannedMediaLines(lines)}`;
    const [existing, fields] = await Promise.all([
      listCannedReplies(deps.db, reply.campaignId),
      customFieldNames(deps.db, 200),
    ]);
    const again = { title: reply.title, body: reply.body, links: job.links, refused };
    if (!(await show(cannedReplyModal(job.metadata, job.campaignName, existing, fields, again))))
      await tellUser(
        client,
        job.to,
        message(`:x: Canned reply *${escapeForSlack(reply.title)}* was not saved. ${refused}`),
      );
    return;
  }
  try {
    await saveCannedReply(deps.db, { ...reply, mediaIds: ids });
  } catch (error) {
    await discardMedia(deps.db, ids);
    const why = failureText(deps.logger, error, { what: "saving the canned reply", context: { user: job.to.userId } });
    await tellUser(client, job.to, message(`:x: Canned reply *${escapeForSlack(reply.title)}* was not saved: ${why}`));
    return;
  }
  const saved = cannedReplySavedMessage(job.campaignName, reply.title, lines);
  await show(cannedReplyDoneModal(job.metadata, saved));
  await tellUser(client, job.to, saved);
}

/** A file attached in the modal, read with the bot token as every modal's file input is (slackMediaReader). */
function slackFileSource(
  read: (fileId: string) => Promise<{ body: Buffer; contentType: string }>,
  file: AttachedFile,
): MediaSource {
  return { label: file.name ?? "file", read: () => read(file.id) };
}
