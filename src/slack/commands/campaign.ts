import { listCampaigns } from "../../services/campaign-list";
import { EMPTY_CAMPAIGN_FORM, type CampaignForm } from "../../domain/campaign-form";
import {
  campaignFormChoices,
  changeCampaignStatus,
  formOfCampaign,
  requireCampaign,
  requireEditableCampaign,
  type CampaignRecord,
  type StatusChange,
} from "../../services/campaigns";
import { launchCampaign } from "../../services/campaign-launch";
import { campaignReport } from "../../services/campaign-report";
import { listCannedReplies } from "../../services/conversation-controls";
import { customFieldNames } from "../../services/segments";
import { drawCard } from "../../services/texting";
import {
  CAMPAIGN_COMMAND,
  campaignBlockedMessage,
  campaignCapConfirmMessage,
  campaignFormFailedMessage,
  campaignLaunchedMessage,
  campaignListMessage,
  campaignReportMessage,
  campaignStatusMessage,
  campaignUsageMessage,
} from "../blocks/campaign-messages";
import {
  campaignLoadingModal,
  campaignModal,
  campaignNeedsSegmentModal,
  campaignUnavailableModal,
  modalMetadata,
  type CampaignModalMetadata,
} from "../blocks/campaign-modal";
import { cannedReplyModal } from "../blocks/canned-reply";
import { textingMessage } from "../blocks/texting";
import { answerFailure } from "../answer-failure";
import { openFollowUp } from "./campaign-followup";
import { showResults } from "./campaign-report";
import type { SlackDeps } from "../deps";
import { slackErrorCode } from "../tell-user";
import type { Actor } from "../../services/actors";
import { latestAudit } from "../../services/audit";
import { campaignAuditMessage } from "../blocks/audit";
import { exportSubcommand } from "./campaign-export";
import { answerLater, slashCommand, type CommandArgs, type Subcommand } from "./router";

export { CAMPAIGN_COMMAND };

/** `/campaign …`: create, check, launch and steer texting campaigns. Answers are visible only to the organizer. */
export function campaignCommand(deps: SlackDeps) {
  const manage = { permission: "campaigns.manage" } as const;
  const named = (
    name: string,
    summary: string,
    who: Pick<Subcommand, "permission" | "what">,
    run: (args: CommandArgs, campaignName: string, actor: Actor) => Promise<void>,
  ): Subcommand => ({
    name,
    args: "<name>",
    summary,
    ...who,
    run: async (args, rest, actor) => {
      if (!rest) {
        await args.ack(campaignUsageMessage(name));
        return;
      }
      await run(args, rest, actor);
    },
  });
  const status = (change: StatusChange, summary: string, what: string) =>
    named(change, summary, { ...manage, what }, (args, name, actor) => changeStatus(deps, args, name, change, actor));
  return slashCommand(deps, CAMPAIGN_COMMAND, "create, check, launch and steer texting campaigns.", [
    {
      name: "new",
      summary: "create a campaign (goal, scripts, audience, sending rules) as a draft",
      ...manage,
      what: "creating a campaign",
      run: (args) => openForm(deps, args, null),
    },
    {
      name: "list",
      summary: "every campaign with its status and progress",
      permission: "campaigns.read",
      what: "listing campaigns",
      run: (args) => listAll(deps, args),
    },
    named(
      "show",
      "goal, audience, each script previewed for real contacts, cost, and what blocks launch",
      { permission: "campaigns.read", what: "looking at a campaign" },
      (args, name) => show(deps, args, name),
    ),
    named(
      "report",
      "how it is going: delivery, replies, opt-outs, clicks, goal progress, variants against A, volunteers, and a chart",
      { permission: "campaigns.read", what: "reading campaign reports" },
      (args, name, actor) => showResults(deps, args, name, actor),
    ),
    named("edit", "change a draft or paused campaign", { ...manage, what: "editing a campaign" }, (args, name) =>
      openForm(deps, args, name),
    ),
    named(
      "launch",
      "start a draft once every check passes (nothing is sent until volunteers click)",
      { ...manage, what: "launching a campaign" },
      (args, name, actor) => launch(deps, args, name, actor),
    ),
    named(
      "send",
      "text this campaign's contacts, one click per text",
      { permission: "texts.send", what: "texting voters" },
      (args, name, actor) => startTexting(deps, args, name, actor),
    ),
    named(
      "replies",
      "save canned replies volunteers send from a conversation's thread",
      { permission: "canned-replies.manage", what: "saving canned replies" },
      (args, name) => openCannedReplies(deps, args, name),
    ),
    named(
      "followup",
      "a new campaign for the people a launched one reached, by where they stand: replied with a tag, replied without one, never replied, clicked a link",
      { ...manage, what: "starting a follow-up campaign" },
      (args, name) => openFollowUp(deps, args, name),
    ),
    named(
      "audit",
      "who did what to a campaign, latest first",
      { permission: "audit.read", what: "reading the audit trail" },
      (args, name) => showAudit(deps, args, name),
    ),
    exportSubcommand(deps),
    status("pause", "stop sending until resumed", "pausing a campaign"),
    status("resume", "let volunteers send again", "resuming a campaign"),
    status("archive", "end a campaign for good (conversations and reports stay)", "archiving a campaign"),
  ]);
}

/**
 * The form opens at once (trigger_id lasts about 3 s) with a loading view, then fills in: the
 * segments and contact fields to offer, and for `edit` the campaign as saved.
 */
async function openForm(
  deps: SlackDeps,
  { ack, client, command, respond }: CommandArgs,
  name: string | null,
): Promise<void> {
  let campaign: CampaignRecord | null = null;
  if (name !== null) {
    try {
      campaign = await requireEditableCampaign(deps.db, name);
    } catch (error) {
      const context = { user: command.user_id, campaign: name };
      await ack(answerFailure(deps.logger, error, { what: "opening the campaign", context }));
      return;
    }
  }
  await ack();
  const mode = campaign ? "edit" : "new";
  const base: Omit<CampaignModalMetadata, "fields"> = {
    channelId: command.channel_id,
    mode,
    ...(campaign ? { campaignId: campaign.id } : {}),
  };
  const log = deps.logger.child({ flow: `campaign-${mode}`, user: command.user_id });
  let opened: Awaited<ReturnType<typeof client.views.open>>;
  try {
    opened = await client.views.open({
      trigger_id: command.trigger_id,
      view: campaignLoadingModal(modalMetadata(base, []), mode),
    });
  } catch (error) {
    log.error({ err: error }, "campaign form did not open");
    await respond(campaignFormFailedMessage(slackErrorCode(error) ?? "no answer"));
    return;
  }
  const viewId = opened.view?.id;
  if (!viewId) return;
  deps.background.run("campaign-form", async () => {
    try {
      const choices = await campaignFormChoices(deps.db, {
        segmentId: campaign?.segment?.id,
        mediaFileIds: campaign?.mediaFileIds,
      });
      const metadata = modalMetadata(base, choices.customFields);
      const form: CampaignForm = campaign
        ? formOfCampaign(campaign)
        : { ...EMPTY_CAMPAIGN_FORM, channelId: command.channel_id };
      const view =
        choices.segments.length === 0
          ? campaignNeedsSegmentModal(metadata)
          : campaignModal(metadata, mode, choices, form);
      await client.views.update({ view_id: viewId, hash: opened.view?.hash, view });
    } catch (error) {
      if (slackErrorCode(error) === "not_found") return; // closed while loading
      log.error({ err: error }, "campaign form could not load");
      await client.views
        .update({ view_id: viewId, view: campaignUnavailableModal(modalMetadata(base, []), mode) })
        .catch(() => undefined);
    }
  });
}

async function listAll(deps: SlackDeps, { ack, command }: CommandArgs): Promise<void> {
  try {
    await ack(campaignListMessage(await listCampaigns(deps.db)));
  } catch (error) {
    await ack(answerFailure(deps.logger, error, { what: "listing the campaigns", context: { user: command.user_id } }));
  }
}

/** Previews and counts read the audience, which can take a while: acknowledge now, answer through response_url. */
async function show(deps: SlackDeps, args: CommandArgs, name: string): Promise<void> {
  const failed = { what: "showing the campaign", context: { user: args.command.user_id, campaign: name } };
  await answerLater(deps, args, "campaign-show", failed, async () =>
    campaignReportMessage(
      await campaignReport(deps.db, await requireCampaign(deps.db, name), {
        pricePerSegmentUsd: deps.smsSegmentPriceUsd,
        pricePerMmsUsd: deps.mmsPriceUsd,
        now: deps.clock(),
        timeZone: deps.orgTimeZone,
        publicUrl: deps.publicUrl,
      }),
    ),
  );
}

async function launch(deps: SlackDeps, args: CommandArgs, name: string, actor: Actor): Promise<void> {
  const failed = { what: "launching the campaign", context: { user: args.command.user_id, campaign: name } };
  await answerLater(deps, args, "campaign-launch", failed, async () =>
    launchAnswer(deps, await requireCampaign(deps.db, name), actor),
  );
}

/**
 * Launches, or says what blocks the launch with one-click fixes, or asks to confirm when most of the
 * audience is at the frequency cap; shared by the command and the Launch buttons.
 */
export async function launchAnswer(deps: SlackDeps, campaign: CampaignRecord, actor: Actor, confirmCapped = false) {
  const result = await launchCampaign(deps.db, campaign, {
    pricePerSegmentUsd: deps.smsSegmentPriceUsd,
    pricePerMmsUsd: deps.mmsPriceUsd,
    now: deps.clock(),
    timeZone: deps.orgTimeZone,
    confirmCapped,
    actor,
  });
  if (!result.launched)
    return result.needsConfirmation ? campaignCapConfirmMessage(result.report) : campaignBlockedMessage(result.report);
  deps.logger.info({ campaign: campaign.id, queued: result.queued }, "campaign launched");
  return campaignLaunchedMessage(
    campaign.name,
    result.queued,
    campaign.scripts.filter((s) => s.kind === "initial").length,
  );
}

/** The canned-reply form opens at once; the contacts' fields for its hint arrive when read. */
async function openCannedReplies(
  deps: SlackDeps,
  { ack, client, command, respond }: CommandArgs,
  name: string,
): Promise<void> {
  let campaign: CampaignRecord;
  try {
    campaign = await requireCampaign(deps.db, name);
  } catch (error) {
    const context = { user: command.user_id, campaign: name };
    await ack(answerFailure(deps.logger, error, { what: "opening the campaign's canned replies", context }));
    return;
  }
  await ack();
  const base = { channelId: command.channel_id, campaignId: campaign.id };
  const existing = await listCannedReplies(deps.db, campaign.id);
  let opened: Awaited<ReturnType<typeof client.views.open>>;
  try {
    opened = await client.views.open({
      trigger_id: command.trigger_id,
      view: cannedReplyModal(modalMetadata(base, []), campaign.name, existing, []),
    });
  } catch (error) {
    deps.logger.error({ err: error, user: command.user_id }, "canned reply form did not open");
    await respond(campaignFormFailedMessage(slackErrorCode(error) ?? "no answer"));
    return;
  }
  const viewId = opened.view?.id;
  if (!viewId) return;
  deps.background.run("canned-reply-form", async () => {
    const fields = await customFieldNames(deps.db, 200);
    const metadata = modalMetadata(base, fields);
    await client.views
      .update({
        view_id: viewId,
        hash: opened.view?.hash,
        view: cannedReplyModal(metadata, campaign.name, existing, fields),
      })
      .catch((error: unknown) => {
        if (slackErrorCode(error) !== "hash_conflict" && slackErrorCode(error) !== "not_found")
          deps.logger.error({ err: error }, "canned reply form could not load fields");
      });
  });
}

/** A volunteer starts texting: their first card (claiming a batch) comes through response_url. */
async function startTexting(deps: SlackDeps, args: CommandArgs, name: string, actor: Actor): Promise<void> {
  const failed = { what: "drawing your next texting card", context: { user: args.command.user_id, campaign: name } };
  await answerLater(deps, args, "texting-start", failed, async () => {
    const campaign = await requireCampaign(deps.db, name);
    return textingMessage(
      await drawCard(deps.db, {
        campaignId: campaign.id,
        volunteer: actor.userId,
        role: actor.role,
        now: deps.clock(),
        publicUrl: deps.publicUrl,
      }),
    );
  });
}

async function changeStatus(
  deps: SlackDeps,
  { ack, command }: CommandArgs,
  name: string,
  change: StatusChange,
  actor: Actor,
): Promise<void> {
  try {
    const campaign = await changeCampaignStatus(deps.db, name, change, actor);
    deps.logger.info(
      { campaign: campaign.id, status: campaign.status, user: command.user_id },
      "campaign status changed",
    );
    await ack(campaignStatusMessage(campaign.name, campaign.status));
  } catch (error) {
    const what = `${change === "pause" ? "pausing" : change === "resume" ? "resuming" : "archiving"} the campaign`;
    await ack(answerFailure(deps.logger, error, { what, context: { user: command.user_id, campaign: name, change } }));
  }
}

/** `/campaign audit <name>`: who did what to the campaign, latest first (organizers). */
async function showAudit(deps: SlackDeps, { ack, command }: CommandArgs, name: string): Promise<void> {
  try {
    const campaign = await requireCampaign(deps.db, name);
    await ack(campaignAuditMessage(campaign.name, await latestAudit(deps.db, campaign.id), deps.orgTimeZone));
  } catch (error) {
    const context = { user: command.user_id, campaign: name };
    await ack(answerFailure(deps.logger, error, { what: "reading the audit trail", context }));
  }
}
