/**
 * The people of the faults benchmark and the faults it injects: volunteers clicking Send, voters
 * replying (some asking to opt out), volunteers answering in threads, and Slack and Twilio failing
 * under them. Every request ends in a status or a counted network error: nothing here throws.
 */
import type { Database } from "../src/db/database";
import {
  blockActionsPayload,
  eventBody,
  interactionBody,
  messageEvent,
  postToSlackApp,
  postTwilioWebhook,
  slashCommandBody,
} from "../test/fakes/signing";
import type { FakeSlack } from "../test/fakes/slack-api";
import type { FakeTwilio } from "../test/fakes/twilio-api";
import { PUBLIC_URL, SENDER, SIGNING_SECRET } from "../test/support/app-harness";
import { responseServer } from "./volunteers";

/** How long a volunteer waits for a card before starting over with /campaign send. */
const CARD_WAIT_MS = 8_000;
/** Slack retries an event it got no 200 for three times (here a second apart, not minutes). */
const SLACK_EVENT_ATTEMPTS = 4;

export type Counts = Record<string, number>;
/** The first answer's body for each kind of refusal counted, to say what it was. */
export const samples = new Map<string, string>();
export const bump = (counts: Counts, key: string, by = 1) => void (counts[key] = (counts[key] ?? 0) + by);
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The running app processes: the URL of one that is up (the i-th when it is), or null. */
export interface LiveApps {
  pick(i: number): string | null;
}

/** A voter's text, as Twilio logs it whether or not our webhook took it. */
export interface VoterText {
  sid: string;
  from: string;
  body: string;
  optOut: boolean;
  /** Our answer to the webhook, or "network" when the request failed. */
  answer: number | "network";
  /** Real time our 200 came back. */
  acceptedAt: number | null;
}

/** A volunteer's answer in a voter's thread. */
export interface ThreadAnswer {
  phone: string;
  text: string;
  /** Slack got a 200 for the event (after its retries). */
  acked: boolean;
}

/** Calls `request`; true on a 200, else counts why under `label`. */
async function ok(
  counts: Counts,
  label: string,
  request: () => Promise<{ status: number; text: string }>,
): Promise<boolean> {
  try {
    const { status, text } = await request();
    bump(counts, status === 200 ? label : `${label}:${status}`);
    if (status !== 200) samples.set(`${label}:${status}`, text.slice(0, 200));
    return status === 200;
  } catch {
    bump(counts, `${label}:networkError`);
    return false;
  }
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

type Card = { blocks?: Array<{ elements?: Array<{ action_id?: string; value?: string }> }> };
const sendButton = (card: unknown) =>
  (card as Card).blocks?.flatMap((b) => b.elements ?? []).find((e) => e.action_id === "texting_send")?.value;

/** Volunteers texting their campaign until `done()`: /campaign send, then Send on each card. */
export async function volunteersSending(run: {
  apps: LiveApps;
  campaigns: readonly string[];
  volunteers: number;
  done: () => boolean;
  counts: Counts;
}): Promise<void> {
  const responses = await responseServer();
  try {
    await Promise.all(
      Array.from({ length: run.volunteers }, async (_, v) => {
        const user = `U0FAULT${String(v).padStart(3, "0")}`;
        const campaign = run.campaigns[v % run.campaigns.length]!;
        let n = 0;
        while (!run.done()) {
          const url = run.apps.pick(v);
          if (!url) {
            await sleep(200);
            continue;
          }
          const startId = `${user}-${n++}`;
          const first = responses.next(startId);
          const body = slashCommandBody({
            command: "/campaign",
            text: `send ${campaign}`,
            user_id: user,
            response_url: responses.url(startId),
          });
          if (!(await ok(run.counts, "sendCommands", () => postToSlackApp(url, { secret: SIGNING_SECRET, body })))) {
            await sleep(300);
            continue;
          }
          let card = await within(first, CARD_WAIT_MS);
          while (card !== null && !run.done()) {
            const value = sendButton(card);
            if (!value) {
              bump(run.counts, "cardsWithNothingToSend");
              await sleep(1_000);
              break;
            }
            const id = `${user}-${n++}`;
            const next = responses.next(id);
            const click = interactionBody(
              blockActionsPayload({ actionId: "texting_send", value, userId: user, responseUrl: responses.url(id) }),
            );
            if (!(await ok(run.counts, "clicks", () => postToSlackApp(url, { secret: SIGNING_SECRET, body: click }))))
              break;
            card = await within(next, CARD_WAIT_MS);
            if (card === null) bump(run.counts, "cardsThatNeverCame");
          }
        }
      }),
    );
  } finally {
    await responses.close();
  }
}

/**
 * Voters answering the first text they get until `done()`: 14% reply, 4% text STOP (Twilio adds
 * OptOutType) and 2% write that they want no more texts. Each text is in the fake Twilio's log
 * before its webhook is posted to a running app; Twilio does not retry a failed webhook.
 */
export async function votersReplying(run: {
  apps: LiveApps;
  twilio: FakeTwilio;
  authToken: string;
  done: () => boolean;
  counts: Counts;
  log: VoterText[];
  random: () => number;
}): Promise<void> {
  const decided = new Set<string>();
  const replies: Promise<void>[] = [];
  let seen = 0;
  const reply = async (from: string, body: string, optOut: boolean) => {
    await sleep(run.random() * 1_500);
    // Twilio logs the text whether or not the webhook reaches us (and adds OptOutType to a STOP).
    const { sid, params } = run.twilio.receive({ from, to: SENDER, body });
    if (body === "STOP") params.OptOutType = "STOP";
    const text: VoterText = { sid, from, body, optOut, answer: "network", acceptedAt: null };
    run.log.push(text);
    const url = run.apps.pick(Math.floor(run.random() * 2));
    if (!url) return bump(run.counts, "voterTexts:noAppUp");
    try {
      const { status } = await postTwilioWebhook(url, PUBLIC_URL, "/twilio/sms", run.authToken, params);
      text.answer = status;
      if (status === 200) text.acceptedAt = Date.now();
      bump(run.counts, status === 200 ? "voterTexts" : `voterTexts:${status}`);
    } catch {
      bump(run.counts, "voterTexts:networkError");
    }
  };
  while (!run.done()) {
    for (const messages = run.twilio.messages; seen < messages.length; seen++) {
      const to = messages[seen]!.to;
      if (decided.has(to)) continue;
      decided.add(to);
      const r = run.random();
      if (r < 0.04) replies.push(reply(to, "STOP", true));
      else if (r < 0.06) replies.push(reply(to, "Please stop texting me", true));
      else if (r < 0.2) replies.push(reply(to, `Yes, I will vote (${to})`, false));
    }
    await sleep(200);
  }
  await Promise.all(replies);
}

/**
 * Volunteers answering every thread where a voter waits, until `done()`: a message event in the
 * thread, posted again (with Slack's retry headers) while it gets no 200, as Slack does.
 */
export async function volunteersAnswering(run: {
  apps: LiveApps;
  db: Database;
  done: () => boolean;
  counts: Counts;
  answers: ThreadAnswer[];
}): Promise<void> {
  const answered = new Set<string>();
  const pending: Promise<void>[] = [];
  const answer = async (i: number, thread: { channel: string; ts: string; user: string; phone: string }) => {
    const text = `Thanks! Polls open at 6 am. (answer ${i})`;
    const body = eventBody(messageEvent({ channel: thread.channel, user: thread.user, threadTs: thread.ts, text }), {
      eventId: `EvFAULT${String(i).padStart(6, "0")}`,
    });
    const sent: ThreadAnswer = { phone: thread.phone, text, acked: false };
    run.answers.push(sent);
    for (let attempt = 0; attempt < SLACK_EVENT_ATTEMPTS && !sent.acked; attempt++) {
      const url = run.apps.pick(i);
      const headers: Record<string, string> =
        attempt === 0 ? {} : { "x-slack-retry-num": String(attempt), "x-slack-retry-reason": "http_error" };
      if (url)
        sent.acked = await ok(run.counts, "threadAnswers", () =>
          postToSlackApp(url, { secret: SIGNING_SECRET, body, headers }),
        );
      if (!sent.acked) await sleep(1_000);
    }
    if (!sent.acked) bump(run.counts, "threadAnswers:slackGaveUp");
  };
  while (!run.done()) {
    const waiting = await run.db.prisma.conversation
      .findMany({
        where: { waitingSince: { not: null }, slackThreadTs: { not: null } },
        select: {
          id: true,
          slackChannelId: true,
          slackThreadTs: true,
          assignee: true,
          contact: { select: { phone: true } },
        },
      })
      .catch(() => (bump(run.counts, "benchDatabaseReadErrors"), []));
    for (const c of waiting) {
      if (answered.has(c.id) || !c.slackChannelId || !c.slackThreadTs) continue;
      answered.add(c.id);
      const thread = {
        channel: c.slackChannelId,
        ts: c.slackThreadTs,
        user: c.assignee ?? "U0FAULT000",
        phone: c.contact.phone,
      };
      pending.push(answer(answered.size, thread));
    }
    await sleep(500);
  }
  await Promise.all(pending);
}

const NETWORK_FAULTS = [
  "slack429",
  "slack500",
  "slackSlow3s",
  "twilio503",
  "twilioDroppedAfterCreate",
  "twilioDropped",
  "twilioSlow3s",
] as const;

/** One Slack or Twilio fault every `everyMs` until `done()`, in turn; counts each injected. */
export async function networkFaults(run: {
  slack: FakeSlack;
  twilio: FakeTwilio;
  everyMs: number;
  done: () => boolean;
  counts: Counts;
}): Promise<void> {
  for (let i = 0; !run.done(); i++) {
    const fault = NETWORK_FAULTS[i % NETWORK_FAULTS.length]!;
    bump(run.counts, fault);
    if (fault === "slack429") run.slack.failNext("chat.postMessage", { status: 429, retryAfterSeconds: 1 });
    else if (fault === "slack500") run.slack.failNext("chat.postMessage", { status: 500, error: "internal_error" });
    else if (fault === "twilio503") run.twilio.failNext({ status: 503 });
    else if (fault === "twilioDroppedAfterCreate") run.twilio.dropConnectionNext({ afterCreate: true });
    else if (fault === "twilioDropped") run.twilio.dropConnectionNext();
    else {
      const fake = fault === "slackSlow3s" ? run.slack : run.twilio;
      fake.delay(3_000);
      await sleep(1_000);
      fake.delay(0);
    }
    await sleep(run.everyMs);
  }
}
