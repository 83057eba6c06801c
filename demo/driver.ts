/**
 * The people of the demo, acting through the app's real request paths: signed slash commands,
 * clicks and form submissions into /slack/events, thread replies as Events API messages, and
 * voters' texts as signed Twilio webhooks. The same helpers the end-to-end tests use (test/fakes).
 */
import pino from "pino";
import { jobDeps } from "../src/app";
import { JOBS, runJob } from "../src/jobs/scheduler";
import { createTwilioGateway } from "../src/sms/twilio-gateway";
import {
  blockActionsPayload,
  eventBody,
  inboundSmsParams,
  interactionBody,
  messageEvent,
  postToSlackApp,
  postTwilioWebhook,
  slashCommandBody,
  statusCallbackParams,
  viewSubmissionPayload,
} from "../test/fakes/signing";
import type { SlackCall, SlackFile } from "../test/fakes/slack-api";
import { PUBLIC_URL, SENDER, SIGNING_SECRET, type Harness } from "../test/support/app-harness";
import { formAnswers, type FormAnswer, type View } from "./forms";
import type { Recorder } from "./recorder";

export type Block = {
  type: string;
  block_id?: string;
  text?: { type: string; text: string };
  elements?: Array<Record<string, unknown>>;
  accessory?: Record<string, unknown>;
};
export interface Posted {
  text?: string;
  blocks?: Block[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class DemoDriver {
  private responses = 0;

  constructor(
    readonly h: Harness,
    readonly recorder: Recorder,
    private readonly clock: { now: Date },
  ) {}

  get now(): Date {
    return this.clock.now;
  }

  /** Moves the app's clock (and Twilio's), then runs every scheduled job as its cron tick would. */
  async moveClockTo(at: Date, title: string): Promise<void> {
    this.clock.now = at;
    this.recorder.scene(at, title);
    await this.reportDeliveries();
    await this.runJobs();
  }

  private reported = new Set<string>();

  /** Twilio tells the app each text it accepted since was delivered, as its signed status callback. */
  private async reportDeliveries(): Promise<void> {
    for (const m of this.h.twilio.messages) {
      if (this.reported.has(m.sid) || !m.statusCallback) continue;
      this.reported.add(m.sid);
      this.h.twilio.setStatus(m.sid, "delivered");
      const callback = new URL(m.statusCallback);
      const params = statusCallbackParams({ messageSid: m.sid, status: "delivered", to: m.to, from: m.from ?? SENDER });
      const res = await postTwilioWebhook(
        this.h.app.localUrl,
        PUBLIC_URL,
        callback.pathname + callback.search,
        this.h.config.twilio.authToken,
        params,
      );
      if (res.status !== 200 && res.status !== 204)
        throw new Error(`Twilio's status callback answered HTTP ${res.status}: ${res.text}`);
    }
  }

  /** Runs each job once through its advisory lock, waiting its turn if a cron tick holds it. */
  async runJobs(): Promise<void> {
    const logger = pino({ level: "silent" });
    const sms = createTwilioGateway(this.h.config.twilio, PUBLIC_URL, { logger });
    const deps = jobDeps({ db: this.h.app.db, logger, sms, clock: () => this.clock.now }, this.h.config);
    for (const job of JOBS) {
      for (let tries = 0; ; tries++) {
        if ((await runJob(deps, job)).ran) break;
        if (tries > 200) throw new Error(`the ${job.name} job never got its lock`);
        await sleep(25);
      }
    }
    await this.settle();
  }

  private signed(body: string) {
    return postToSlackApp(this.h.app.localUrl, { secret: SIGNING_SECRET, body });
  }

  private nextResponseId(): string {
    this.responses += 1;
    return `demo-${this.responses}`;
  }

  /** A slash command typed in a channel; returns what the app answered through response_url, if anything. */
  async command(user: string, channel: string, text: string): Promise<{ responseId: string }> {
    const [command, ...rest] = text.split(" ");
    this.recorder.typed(user, channel, text);
    const responseId = this.nextResponseId();
    const res = await this.signed(
      slashCommandBody({
        command,
        text: rest.join(" "),
        user_id: user,
        user_name: this.recorder.names.userName(user),
        channel_id: channel,
        response_url: this.h.slack.responseUrl(responseId),
      }),
    );
    if (res.status !== 200) throw new Error(`${text} answered HTTP ${res.status}: ${res.text}`);
    this.recorder.directAnswer(user, channel, res.json);
    await this.settle();
    return { responseId };
  }

  /** The last message the app sent through a response_url. */
  response(responseId: string): Posted {
    const call = [...this.h.slack.callsTo("response_url")].reverse().find((c) => c.args.responseId === responseId);
    if (!call) throw new Error(`no answer came for ${responseId}`);
    return call.args as Posted;
  }

  /** Clicks a button (by its action id) on a message the app sent; returns the response_url id of the answer. */
  async click(user: string, channel: string, message: Posted, actionId: string, label?: string): Promise<string> {
    const button = buttonsOf(message).find((b) => b.action_id === actionId);
    if (!button) throw new Error(`no ${actionId} button on: ${message.text}`);
    const shown = label ?? labelOf(button);
    this.recorder.clicked(user, channel, shown);
    const responseId = this.nextResponseId();
    const res = await this.signed(
      interactionBody(
        blockActionsPayload({
          actionId,
          value: typeof button.value === "string" ? button.value : undefined,
          userId: user,
          channelId: channel,
          responseUrl: this.h.slack.responseUrl(responseId),
        }),
      ),
    );
    if (res.status !== 200) throw new Error(`clicking ${shown} answered HTTP ${res.status}: ${res.text}`);
    await this.settle();
    return responseId;
  }

  /** Picks an option (by its label) in a menu on a message the app posted in a channel. */
  async choose(user: string, channel: string, message: Posted & { ts: string }, actionId: string, label: string) {
    const menu = (message.blocks ?? [])
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === actionId && e.type === "static_select");
    const options = (menu?.options ?? []) as Array<{ text: { text: string }; value: string }>;
    const option = options.find((o) => o.text.text === label);
    if (!menu || !option) throw new Error(`no “${label}” in a ${actionId} menu on: ${message.text}`);
    this.recorder.picked(user, channel, (menu.placeholder as { text: string }).text, label);
    const res = await this.signed(
      interactionBody(
        blockActionsPayload({
          actionId,
          type: "static_select",
          userId: user,
          channelId: channel,
          messageTs: message.ts,
          action: { selected_option: option },
        }),
      ),
    );
    if (res.status !== 200) throw new Error(`picking ${label} answered HTTP ${res.status}: ${res.text}`);
    await this.settle();
  }

  /** A message the app posted in a channel, as it reads now (after any edit). */
  posted(channel: string, ts: string): Posted & { ts: string } {
    const call = [...this.h.slack.calls]
      .reverse()
      .find(
        (c) =>
          c.status === 200 &&
          c.args.channel === channel &&
          ((c.method === "chat.update" && c.args.ts === ts) ||
            (c.method === "chat.postMessage" && c.response?.ts === ts)),
      );
    if (!call) throw new Error(`no message ${ts} in ${channel}`);
    return { ...(call.args as Posted), ts };
  }

  /** The last modal the app opened or drew with this callback id. */
  view(callbackId: string): View {
    const calls = this.h.slack.calls.filter(
      (c: SlackCall) =>
        (c.method === "views.open" || c.method === "views.update") &&
        c.status === 200 &&
        (c.args.view as { callback_id?: string } | undefined)?.callback_id === callbackId,
    );
    const last = calls.at(-1);
    if (!last) throw new Error(`no ${callbackId} form was opened`);
    const id = (last.response?.view as { id?: string } | undefined)?.id ?? String(last.args.view_id);
    return { ...(last.args.view as View), id };
  }

  /** Fills in a modal as a person would and submits it; returns the field errors the app showed, if any. */
  async submit(
    user: string,
    view: View,
    answers: Record<string, FormAnswer>,
    files: SlackFile[] = [],
  ): Promise<Record<string, string> | null> {
    const { values, shown } = formAnswers(view, answers, files);
    this.recorder.filledForm(user, view, shown);
    const res = await this.signed(
      interactionBody(
        viewSubmissionPayload({
          callbackId: String(view.callback_id),
          privateMetadata: view.private_metadata,
          viewId: view.id,
          userId: user,
          values,
          blocks: view.blocks,
        }),
      ),
    );
    if (res.status !== 200) throw new Error(`submitting ${view.callback_id} answered HTTP ${res.status}: ${res.text}`);
    const answer = res.json as { response_action?: string; errors?: Record<string, string> } | undefined;
    const errors = answer?.response_action === "errors" ? (answer.errors ?? {}) : null;
    this.recorder.formAnswered(user, view, errors);
    await this.settle();
    return errors;
  }

  /** A volunteer's reply inside a voter's thread, as the Events API delivers it. */
  async replyInThread(user: string, channel: string, threadTs: string, text: string): Promise<void> {
    const ts = this.recorder.humanPost(user, channel, threadTs, text);
    const res = await this.signed(eventBody(messageEvent({ channel, user, threadTs, ts, text })));
    if (res.status !== 200) throw new Error(`the thread reply answered HTTP ${res.status}`);
    await this.settle();
  }

  /** A person opens the app's Home tab in Slack, as the Events API tells the app (app_home_opened). */
  async openHome(user: string): Promise<void> {
    const res = await this.signed(
      eventBody({ type: "app_home_opened", user, channel: `D${user.slice(1)}`, tab: "home" }),
    );
    if (res.status !== 200) throw new Error(`opening the Home tab answered HTTP ${res.status}`);
    await this.settle(() => this.h.slack.callsTo("views.publish").some((c) => c.args.user_id === user));
  }

  /** A voter's text reaching Twilio, posted to the app as Twilio's signed webhook. */
  async voterTexts(from: string, body: string, extra: Record<string, string> = {}): Promise<void> {
    this.recorder.voterTexted(from, body);
    const res = await postTwilioWebhook(
      this.h.app.localUrl,
      PUBLIC_URL,
      "/twilio/sms",
      this.h.config.twilio.authToken,
      {
        ...inboundSmsParams({ from, to: SENDER, body }),
        ...extra,
      },
    );
    if (res.status !== 200) throw new Error(`Twilio's webhook answered HTTP ${res.status}: ${res.text}`);
    await this.settle();
  }

  /** Waits until the app is quiet: nothing queued for Slack, every inbound event processed, no new calls. */
  async settle(until?: () => boolean): Promise<void> {
    const db = this.h.app.db.prisma;
    let last = "";
    let quiet = 0;
    for (let round = 0; round < 1_500; round++) {
      const [queued, pending] = await Promise.all([
        db.slackOutbox.count({ where: { status: "queued" } }),
        db.inboundEvent.count({ where: { processedAt: null, failedAt: null } }),
      ]);
      const seen = `${this.h.slack.calls.length}:${this.h.twilio.requests.length}:${queued}:${pending}`;
      const done = queued === 0 && pending === 0 && (until?.() ?? true);
      quiet = done && seen === last ? quiet + 1 : 0;
      if (quiet >= 3) {
        this.recorder.collect(this.clock.now);
        return;
      }
      last = seen;
      await sleep(30);
    }
    throw new Error("the app did not settle within 45 seconds");
  }
}

export function buttonsOf(message: Posted): Array<Record<string, unknown>> {
  return (message.blocks ?? []).flatMap((b) => [
    ...(b.elements ?? []).filter((e) => e.type === "button"),
    ...(b.accessory?.type === "button" ? [b.accessory] : []),
  ]);
}

function labelOf(button: Record<string, unknown>): string {
  return String((button.text as { text?: string } | undefined)?.text ?? button.action_id);
}
