import { escapeForSlack } from "../domain/slack-text";
import { UserError } from "../domain/user-error";
import type { Logger } from "../logger";
import { ephemeral, type EphemeralAnswer } from "./blocks/kit";

/** What was being done when it failed: for the log, and for the person who asked. */
export interface FailedAction {
  /** A phrase that reads before “failed”: "launching the campaign". */
  what: string;
  /** Who and what it was about, for the log: user, campaign, segment… */
  context?: Record<string, unknown>;
  /** What the failure leaves behind, when the person must know it: "nothing was imported". */
  consequence?: string;
}

/**
 * The words that answer a failure. A UserError's message was written for the person who asked and
 * is shown as it is; anything else is our fault: logged with its context, and answered with a
 * generic message naming what failed. Plain text, as modal field errors take it.
 */
export function failureText(logger: Logger, error: unknown, failed: FailedAction): string {
  if (error instanceof UserError) {
    logger.info({ ...failed.context, reason: error.message }, `${failed.what} failed; the user was told why`);
    return error.message;
  }
  logger.error({ err: error, ...failed.context }, `${failed.what} failed`);
  const consequence = failed.consequence ? `: ${failed.consequence}` : "";
  const what = `${failed.what.charAt(0).toUpperCase()}${failed.what.slice(1)}`;
  return `${what} failed on our side${consequence}. Try again in a minute; if it keeps failing, tell your admin.`;
}

/** The same as an ephemeral Slack answer: a UserError's message with a warning sign, ours with a cross. */
export function answerFailure(logger: Logger, error: unknown, failed: FailedAction): EphemeralAnswer {
  const text = failureText(logger, error, failed);
  return error instanceof UserError ? ephemeral(`:warning: ${escapeForSlack(text)}`) : ephemeral(`:x: ${text}`);
}
