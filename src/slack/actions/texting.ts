import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from "@slack/bolt";
import type { Prisma } from "../../db/generated/client";
import { enqueueSlackPost } from "../../services/slack-outbox";
import { sendCardThenDraw, type SendOutcome } from "../../services/send-card";
import { drawCard, skipCard } from "../../services/texting";
import { answerFailure } from "../answer-failure";
import { adminAlertMessage, textingMessage, type SendButtonValue } from "../blocks/texting";
import type { SlackDeps } from "../deps";

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

function readValue(action: ButtonAction): Partial<SendButtonValue> {
  try {
    return JSON.parse(action.value ?? "{}") as Partial<SendButtonValue>;
  } catch {
    return {};
  }
}

/**
 * The Send button of a texting card: exactly one text for one click (the service claims the
 * card's intent), then the volunteer's next card in place of this one. A double click, a Slack
 * retry or a second volunteer on the same contact sends nothing and just shows the next card.
 */
export function textingSendClicked(deps: SlackDeps) {
  return async ({ ack, action, respond, body }: ButtonArgs): Promise<void> => {
    await ack();
    const volunteer = body.user.id;
    const value = readValue(action);
    deps.background.run("texting-send", async () => {
      try {
        if (!value.c || !value.cc || !value.i) throw new Error("texting card without campaign, contact or intent");
        const now = deps.clock();
        const role = await deps.roles.roleOf(volunteer);
        const { outcome, drawNext } = await sendCardThenDraw(
          deps.db,
          deps.sms,
          {
            campaignContactId: value.cc,
            intentId: value.i,
            volunteer,
            role,
            now,
            campaignId: value.c,
            sentInSession: Number(value.n) || 0,
          },
          { sender: deps.sender, publicUrl: deps.publicUrl },
        );
        const lead = outcome.kind === "already-handled" ? `:information_source: ${outcome.message}` : undefined;
        if (outcome.kind === "failed" && outcome.alertAdmins) await alertOrganizer(deps, outcome, now);
        await respond({ replace_original: true, ...textingMessage(await drawNext(), lead) });
      } catch (error) {
        await respond(
          answerFailure(deps.logger, error, {
            what: "sending the text",
            context: { user: volunteer, card: value },
            consequence:
              "we could not tell whether it went out, and it will be checked with Twilio before anything is sent again. Type /campaign send to continue",
          }),
        );
      }
    });
  };
}

/**
 * DMs the campaign's organizer about a failure only they can fix (carrier filtering, an
 * unregistered sender), through the durable outbox. One alert per campaign, problem and hour,
 * however many volunteers hit it and however many processes serve them: the hour is in the key.
 */
async function alertOrganizer(
  deps: SlackDeps,
  failed: Extract<SendOutcome, { kind: "failed" }>,
  now: Date,
): Promise<void> {
  const hour = now.toISOString().slice(0, 13);
  const message = adminAlertMessage(failed.campaignName, failed.note.reason, failed.forAdmins);
  await enqueueSlackPost(deps.db.prisma, {
    channel: failed.adminUserId,
    method: "chat.postMessage",
    args: { text: message.text, blocks: message.blocks as unknown as Prisma.InputJsonArray },
    dedupeKey: `send-alert:${failed.campaignId}:${failed.failure}:${hour}`,
  });
}

/** The Skip button: this contact is not texted by this campaign; the next card replaces this one. */
export function textingSkipClicked(deps: SlackDeps) {
  return async ({ ack, action, respond, body }: ButtonArgs): Promise<void> => {
    await ack();
    const volunteer = body.user.id;
    const value = readValue(action);
    deps.background.run("texting-skip", async () => {
      try {
        if (!value.c || !value.cc) throw new Error("texting card without campaign or contact");
        const now = deps.clock();
        const role = await deps.roles.roleOf(volunteer);
        const note = await skipCard(deps.db, { campaignContactId: value.cc, volunteer, role, now });
        const draw = await drawCard(deps.db, {
          campaignId: value.c,
          volunteer,
          role,
          now,
          notes: note ? [note] : [],
          sentInSession: Number(value.n) || 0,
          publicUrl: deps.publicUrl,
        });
        await respond({ replace_original: true, ...textingMessage(draw) });
      } catch (error) {
        await respond(
          answerFailure(deps.logger, error, {
            what: "skipping the contact",
            context: { user: volunteer, card: value },
            consequence: "type /campaign send to continue",
          }),
        );
      }
    });
  };
}
