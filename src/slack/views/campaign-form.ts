import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction, webApi } from "@slack/bolt";
import {
  validateCampaignForm,
  type CampaignDraft,
  type CampaignField,
  type CampaignForm,
  type CampaignFormResult,
} from "../../domain/campaign-form";
import { escapeForSlack } from "../../domain/slack-text";
import { mergeFieldsFor } from "../../domain/script";
import {
  campaignById,
  CampaignError,
  campaignFormChoices,
  createCampaign,
  updateCampaign,
} from "../../services/campaigns";
import { campaignReport } from "../../services/campaign-report";
import { failureText } from "../answer-failure";
import { prepareAttachedFiles, prepareCampaignMedia, type CampaignMediaItem } from "../../services/campaign-media";
import { campaignMediaMessage } from "../blocks/campaign-media";
import { campaignSavedMessage } from "../blocks/campaign-messages";
import {
  campaignCheckingFilesModal,
  campaignFilesSavedModal,
  campaignModal,
  type CampaignModalMetadata,
} from "../blocks/campaign-modal";
import { section } from "../blocks/kit";
import { slackMediaReader } from "../file-download";
import { readCampaignForm } from "../campaign-form";
import type { SlackDeps } from "../deps";
import type { ViewStateValues } from "../segment-form";
import { tellUser } from "../tell-user";
import { actorOf } from "../actor";

/**
 * The campaign form was submitted (new or edit): every problem goes back under the field that
 * caused it and the modal stays open; a valid campaign is saved as a draft (or the edit is saved),
 * the modal closes, and the organizer gets the summary: audience, previews, cost, warnings.
 */
export function campaignFormSubmitted(deps: SlackDeps) {
  return async ({
    ack,
    view,
    body,
    client,
  }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const metadata = JSON.parse(view.private_metadata) as CampaignModalMetadata;
    const form = readCampaignForm(view.state.values as ViewStateValues);
    const result = validateCampaignForm(form, { knownFields: mergeFieldsFor(metadata.fields) });
    if (!result.ok) {
      await ack({ response_action: "errors", errors: result.problems });
      return;
    }
    const to = { channelId: metadata.channelId, userId: body.user.id };
    if (form.mediaFiles.length > 0) {
      // Reading and fitting files takes longer than the 3 seconds Slack waits: the modal says so meanwhile.
      await ack({
        response_action: "update",
        view: campaignCheckingFilesModal(view.private_metadata, metadata.mode, form.mediaFiles.length),
      });
      deps.background.run("campaign-files", () =>
        attachFilesThenSave(deps, client, { viewId: view.id, metadata: view.private_metadata, to }, form, result),
      );
      return;
    }
    let saved: { id: string; name: string };
    try {
      saved = await saveCampaign(deps, metadata, result.draft, body.user.id);
    } catch (error) {
      // The modal stays open, the problem under the field it is about: the segment when it is gone, else the name.
      const message = failureText(deps.logger, error, { what: "saving the campaign", context: { user: body.user.id } });
      await ack({ response_action: "errors", errors: { [fieldOf(error)]: message } });
      return;
    }
    await ack();
    deps.background.run("campaign-saved", () => afterSave(deps, client, to, saved, metadata.mode, result, []));
  };
}

type ValidForm = Extract<CampaignFormResult, { ok: true }>;

function saveCampaign(
  deps: SlackDeps,
  metadata: CampaignModalMetadata,
  draft: CampaignDraft,
  userId: string,
): Promise<{ id: string; name: string }> {
  return actorOf(deps, userId).then((actor) =>
    metadata.mode === "edit" && metadata.campaignId
      ? updateCampaign(deps.db, metadata.campaignId, draft, actor)
      : createCampaign(deps.db, draft, actor),
  );
}

/** The field a failed save is about: the segment when it is gone, the files when one is, else the name. */
function fieldOf(error: unknown): CampaignField {
  if (!(error instanceof CampaignError)) return "name";
  return error.reason === "segment_missing" ? "segment" : error.reason === "media_missing" ? "attachedMedia" : "name";
}

/** The organizer hears about the media (files, then links) first, so the summary after it knows whether they are ready. */
async function afterSave(
  deps: SlackDeps,
  client: webApi.WebClient,
  to: { channelId: string; userId: string },
  saved: { id: string; name: string },
  mode: CampaignModalMetadata["mode"],
  result: ValidForm,
  files: CampaignMediaItem[],
): Promise<void> {
  deps.logger.info({ campaign: saved.id, user: to.userId, mode }, "campaign saved");
  if (files.length) {
    const { scripts, followUps } = result.draft;
    const report = {
      campaignId: saved.id,
      campaignName: saved.name,
      items: files,
      ready: true,
      variants: scripts.map((s) => ({ label: s.label, textOnly: s.textOnly ?? false })),
      followUps: followUps.length,
    };
    await tellUser(client, to, campaignMediaMessage(report));
  }
  await checkMedia(deps, client, to, saved.id);
  await summarize(deps, client, to, saved.id, { mode, warnings: result.warnings, inserted: result.inserted });
}

/**
 * The files attached in the form, read from Slack with the bot's token, checked, fitted and stored;
 * then the campaign is saved with them. A file that cannot be used saves nothing: the form comes
 * back with what was typed, the usable files attached (ticked) and the refused one explained.
 */
async function attachFilesThenSave(
  deps: SlackDeps,
  client: webApi.WebClient,
  modal: { viewId: string; metadata: string; to: { channelId: string; userId: string } },
  form: CampaignForm,
  result: ValidForm,
): Promise<void> {
  const metadata = JSON.parse(modal.metadata) as CampaignModalMetadata;
  const userId = modal.to.userId;
  const readFile = slackMediaReader(client, deps.botToken, deps.importDownloadTimeoutMs);
  const items = await prepareAttachedFiles(deps.db, { readFile, logger: deps.logger }, form.mediaFiles, userId);
  const fileIds = [...result.draft.mediaFileIds, ...items.flatMap((i) => (i.ok ? [i.id] : []))];
  const refused = items.filter((i) => !i.ok);
  const again = { ...form, mediaFiles: [], attachedMediaIds: fileIds };
  if (refused.length) {
    const lines = refused.map((i) => `:x: *${escapeForSlack(i.url)}*: ${escapeForSlack(i.ok ? "" : i.message)}`);
    const kept = fileIds.length > result.draft.mediaFileIds.length ? " The files that fit are attached below." : "";
    await showFormAgain(deps, client, modal, metadata, again, `${lines.join("\n")}\nNothing was saved.${kept}`);
    return;
  }
  let saved: { id: string; name: string };
  try {
    saved = await saveCampaign(deps, metadata, { ...result.draft, mediaFileIds: fileIds }, userId);
  } catch (error) {
    const message = failureText(deps.logger, error, { what: "saving the campaign", context: { user: userId } });
    await showFormAgain(deps, client, modal, metadata, again, `:x: ${escapeForSlack(message)}`);
    return;
  }
  await client.views
    .update({ view_id: modal.viewId, view: campaignFilesSavedModal(modal.metadata, metadata.mode, saved.name) })
    .catch((error: unknown) =>
      deps.logger.info({ err: error, campaign: saved.id }, "campaign modal closed before saving"),
    );
  await afterSave(deps, client, modal.to, saved, metadata.mode, result, items);
}

/** The form again, as it was typed, with why it was not saved above the files (and at the top). */
async function showFormAgain(
  deps: SlackDeps,
  client: webApi.WebClient,
  modal: { viewId: string; metadata: string; to: { channelId: string; userId: string } },
  metadata: CampaignModalMetadata,
  form: CampaignForm,
  problem: string,
): Promise<void> {
  const choices = await campaignFormChoices(deps.db, {
    segmentId: form.segmentId,
    mediaFileIds: form.attachedMediaIds,
  });
  const view = campaignModal(
    modal.metadata,
    metadata.mode,
    { ...choices, mediaFilesProblem: problem },
    form,
    ":warning: Not saved yet: see *Pictures or videos* below.",
  );
  try {
    await client.views.update({ view_id: modal.viewId, view });
  } catch (error) {
    // Closed meanwhile: the organizer still hears why nothing was saved.
    deps.logger.info({ err: error, user: modal.to.userId }, "campaign modal closed before its files were checked");
    await tellUser(client, modal.to, { text: problem, blocks: [section(problem)] });
  }
}

/** Fetches, checks and stores the campaign's new media links, and tells the organizer each one's size before and after. */
async function checkMedia(
  deps: SlackDeps,
  client: webApi.WebClient,
  to: { channelId: string; userId: string },
  campaignId: string,
): Promise<void> {
  const report = await prepareCampaignMedia(deps.db, deps, campaignId, to.userId);
  if (report) await tellUser(client, to, campaignMediaMessage(report));
}

async function summarize(
  deps: SlackDeps,
  client: webApi.WebClient,
  to: { channelId: string; userId: string },
  campaignId: string,
  saved: Parameters<typeof campaignSavedMessage>[1],
): Promise<void> {
  const campaign = await campaignById(deps.db, campaignId);
  if (!campaign) return;
  const report = await campaignReport(deps.db, campaign, {
    pricePerSegmentUsd: deps.smsSegmentPriceUsd,
    pricePerMmsUsd: deps.mmsPriceUsd,
    now: deps.clock(),
    timeZone: deps.orgTimeZone,
  });
  const { text, blocks } = campaignSavedMessage(report, saved);
  await tellUser(client, to, { text, blocks });
}
