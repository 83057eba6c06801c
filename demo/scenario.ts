/**
 * The demo's story: one campaign from contact list to follow-up, played against the real app on
 * an in-memory embedded database, with Slack and Twilio answered by the local fakes the
 * end-to-end tests use. Every step goes through the app's real request paths; the clock moves
 * through the app's controllable clock. `npm run demo` prints it; test/e2e/demo.e2e.test.ts
 * checks it.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { SENDER, startHarness, type Harness } from "../test/support/app-harness";
import { createPgliteDatabase } from "../test/support/databases";
import { DemoDriver, type Posted } from "./driver";
import { watchNetwork } from "./network-watch";
import { Recorder, type DemoEvent, type Names } from "./recorder";

export const CAMPAIGN = "GOTV Nov 3";
export const ORGANIZER = "U0ORGANIZER";
export const MARCUS = "U0MARCUS";
export const PRIYA = "U0PRIYA";
export const ORGANIZING = "C0ORGANIZE";
export const PHONEBANK = "C0PHONEBANK";
export const REPLIES = "C0REPLIES";
export const CONTACTS_CSV = path.join(__dirname, "..", "examples", "contacts.csv");

export const SCRIPT_A =
  "Hi {firstName|there}, this is Sam with Neighbors for Measure B. Election Day is Tuesday, Nov 3. Can we count on your vote? Reply STOP to opt out.";
/** Variant B forgets the opt-out line: the form's lint catches it, and inserts it when asked. */
export const SCRIPT_B_WITHOUT_OPT_OUT =
  "Hey {firstName|there}! Sam with Neighbors for Measure B here. Measure B fixes our parks and libraries. Can we count on your vote?";
export const FOLLOW_UP =
  "Hi {firstName|there}, Sam again from Neighbors for Measure B. Polls are open 6am to 9pm on Tuesday. Can we count on your vote? Reply STOP to opt out.";
export const HELP_TEXT = "Neighbors for Measure B volunteers text about the Nov 3 election. Reply STOP to opt out.";
export const VOLUNTEER_ANSWER =
  "Polls open at 6am and close at 9pm. Your polling place is on vote.nyc, and you can vote early until Sunday!";

export const THANKS = "Thank you, Dana! See you at the polls.";

/** Monday Oct 26 2026 in New York (EDT, UTC-4). */
const monday = (time: string) => new Date(`2026-10-26T${time}-04:00`);
const tuesday = (time: string) => new Date(`2026-10-27T${time}-04:00`);

/** Who the contacts are in the sample file (examples/contacts.csv). */
export const PHONES = {
  dana: "+12125550142",
  jamal: "+12125550187",
  rosa: "+17185550119",
  leilani: "+18085550163",
  grace: "+12125550110",
} as const;

export interface DemoFacts {
  /** Every text Twilio accepted, by recipient's phone and body, in order. */
  texts: Array<{ to: string; body: string }>;
  /** Contacts the send card put back for quiet hours on Monday morning, and when they came back. */
  deferred: Array<{ phone: string; until: string | null }>;
  /** Contacts skipped for the frequency cap. */
  capped: string[];
  optOuts: Array<{ phone: string; source: string }>;
  /** The digest posts in the reply channel (their fallback text and blocks as text). */
  digests: string[];
  /** Remote addresses the process connected to. */
  connections: string[];
}

export interface DemoRun {
  events: DemoEvent[];
  names: Names;
  facts: DemoFacts;
}

export async function runDemo(): Promise<DemoRun> {
  const network = watchNetwork();
  const clock = { now: monday("09:55:00") };
  let h: Harness | undefined;
  try {
    // Slack's posting rate scaled up (as the e2e tests do): the demo is about what is posted, not how fast.
    h = await startHarness(createPgliteDatabase, {
      clock: () => clock.now,
      slackChannelRate: { perSecond: 50, burst: 5 },
    });
    const recorder = new Recorder(h.slack, h.twilio, clock);
    const demo = new DemoDriver(h, recorder, clock);
    const facts = await play(h, demo, recorder);
    return { events: recorder.events, names: recorder.names, facts: { ...facts, connections: [...network.connected] } };
  } finally {
    await h?.close();
    network.stop();
  }
}

async function play(h: Harness, demo: DemoDriver, recorder: Recorder): Promise<Omit<DemoFacts, "connections">> {
  const db = h.app.db.prisma;
  const people: Array<[string, string, boolean]> = [
    [ORGANIZER, "Olivia Park", true],
    [MARCUS, "Marcus Reed", false],
    [PRIYA, "Priya Shah", false],
  ];
  for (const [id, name, admin] of people) {
    h.slack.addUser({ id, name: name.split(" ")[0]!.toLowerCase(), real_name: name, is_admin: admin });
    recorder.names.users.set(id, name);
  }
  for (const [id, name] of [
    [ORGANIZING, "organizing"],
    [PHONEBANK, "phonebank"],
    [REPLIES, "gotv-replies"],
  ] as const) {
    h.slack.addChannel({ id, name, is_private: id === REPLIES });
    recorder.names.channels.set(id, name);
  }
  recorder.names.phones.set(SENDER, "the campaign's number");

  // History from before the demo: Grace got three texts from other campaigns this week.
  recorder.scene(demo.now, "Before the demo: Grace Liu already got 3 texts from other campaigns this week");
  await db.message.createMany({
    data: [5, 3, 1].map((daysAgo) => ({
      direction: "outbound" as const,
      initiated: true,
      fromPhone: SENDER,
      toPhone: PHONES.grace,
      body: "An earlier campaign's text",
      status: "delivered",
      createdAt: new Date(demo.now.getTime() - daysAgo * 86_400_000),
    })),
  });

  // ---- Monday morning: Olivia sets up the campaign ---------------------------------------
  await demo.moveClockTo(monday("10:00:00"), "Olivia imports the contact list");
  await demo.command(ORGANIZER, ORGANIZING, "/contacts import");
  const csv = await readFile(CONTACTS_CSV);
  const file = h.slack.addFile({ name: "contacts.csv", bytes: csv, mimetype: "text/csv", user: ORGANIZER });
  await demo.submit(ORGANIZER, demo.view("contacts_import"), { file: { file: "contacts.csv" } }, [file]);
  await demo.settle(() =>
    h!.slack.callsTo("chat.update").some((c) => String(c.args.text).includes("Imported *contacts.csv*")),
  );
  for (const contact of await db.contact.findMany())
    recorder.names.phones.set(contact.phone, [contact.firstName, contact.lastName].filter(Boolean).join(" "));

  await demo.moveClockTo(monday("10:05:00"), "Olivia builds the audience");
  await demo.command(ORGANIZER, ORGANIZING, "/segment new");
  await demo.submit(ORGANIZER, demo.view("segment_new"), { name: "Supporters", tagsAny: ["supporter"] });

  await demo.moveClockTo(monday("10:10:00"), "Olivia writes the campaign: a goal and two script variants");
  await demo.command(ORGANIZER, ORGANIZING, `/campaign new`);
  const form = {
    name: CAMPAIGN,
    goalType: "turnout",
    goalTarget: "6",
    goalOutcomeTag: "pledged",
    callToAction: "Can we count on your vote?",
    senderIdentity: "Sam with Neighbors for Measure B",
    scriptA: SCRIPT_A,
    scriptB: SCRIPT_B_WITHOUT_OPT_OUT,
    followUp1: FOLLOW_UP,
    followUpDelay1: "1",
    channel: REPLIES,
    segment: "Supporters",
    helpText: HELP_TEXT,
  };
  const problems = await demo.submit(ORGANIZER, demo.view("campaign_form"), form);
  if (!problems?.scriptB) throw new Error(`the form's lint did not catch script B: ${JSON.stringify(problems)}`);
  await demo.submit(ORGANIZER, demo.view("campaign_form"), { ...form, addMissing: true });

  await demo.moveClockTo(monday("10:12:00"), "Olivia launches it");
  await demo.command(ORGANIZER, ORGANIZING, `/campaign launch ${CAMPAIGN}`);

  // ---- Volunteers send, one click per text ---------------------------------------------
  await demo.moveClockTo(monday("10:15:00"), "The campaign's first daily digest: its time (9:30 AM) has passed");
  recorder.scene(demo.now, "Marcus starts texting");
  await sendTexts(demo, MARCUS, 3);

  await demo.moveClockTo(
    monday("10:50:00"),
    "Priya joins: Marcus's batch sat idle for 30 minutes, so the rest of it comes to her",
  );
  await sendTexts(demo, PRIYA, 10);
  const deferred = (
    await db.campaignContact.findMany({
      where: { status: "deferred" },
      include: { contact: true },
    })
  ).map((d) => ({ phone: d.contact.phone, until: d.deferredUntil?.toISOString() ?? null }));

  // ---- Voters answer ----------------------------------------------------------------------
  await demo.moveClockTo(monday("11:05:00"), "Dana replies: her thread opens in #gotv-replies");
  await demo.voterTexts(PHONES.dana, "Yes!! What time do the polls open?");
  const dana = await db.conversation.findFirstOrThrow({ where: { contact: { phone: PHONES.dana } } });

  await demo.moveClockTo(monday("11:08:00"), "Marcus answers in the thread, and his answer goes out as a text");
  await demo.replyInThread(MARCUS, REPLIES, dana.slackThreadTs!, VOLUNTEER_ANSWER);

  await demo.moveClockTo(monday("11:12:00"), "Dana pledges, and Marcus tags her conversation toward the goal");
  await demo.voterTexts(PHONES.dana, "Perfect, count me in. I'll be there at 7!");
  await demo.choose(MARCUS, REPLIES, demo.posted(REPLIES, dana.slackThreadTs!), "thread_tag", "pledged");
  await demo.replyInThread(MARCUS, REPLIES, dana.slackThreadTs!, THANKS);

  await demo.moveClockTo(monday("11:20:00"), "Jamal asks to stop, in his own words");
  await demo.voterTexts(PHONES.jamal, "stop texting me");

  await demo.moveClockTo(monday("11:30:00"), "Rosa asks for help, in Spanish");
  await demo.voterTexts(PHONES.rosa, "AYUDA");

  // ---- The clock moves on -----------------------------------------------------------------
  await demo.moveClockTo(monday("15:05:00"), "3:05 PM: it is 9:05 AM in Honolulu, so Leilani can be texted");
  await sendTexts(demo, PRIYA, 1);

  await demo.moveClockTo(tuesday("09:35:00"), "Tuesday 9:35 AM: the daily digest");

  await demo.moveClockTo(tuesday("10:55:00"), "Tuesday 10:55 AM: follow-ups are due for those who did not reply");
  await sendTexts(demo, MARCUS, 10);

  await demo.moveClockTo(tuesday("11:00:00"), "Olivia checks on the campaign");
  await demo.command(ORGANIZER, ORGANIZING, `/campaign show ${CAMPAIGN}`);

  await demo.moveClockTo(tuesday("11:05:00"), "Olivia asks for the report: figures, goal, and the A/B verdict");
  await demo.command(ORGANIZER, ORGANIZING, `/campaign report ${CAMPAIGN}`);
  // The chart is drawn after the figures answer, then uploaded to her direct messages with the app.
  await demo.settle(() => h!.slack.callsTo("files.completeUploadExternal").some((c) => c.status === 200 && !c.error));

  await demo.moveClockTo(tuesday("11:10:00"), "Olivia opens the app's Home tab");
  await demo.openHome(ORGANIZER);

  const capped = (await db.campaignContact.findMany({ where: { skipCode: "cap" }, include: { contact: true } })).map(
    (c) => c.contact.phone,
  );
  const optOuts = (await db.optOut.findMany({ orderBy: { createdAt: "asc" } })).map((o) => ({
    phone: o.phone,
    source: String(o.source),
  }));
  const digests = h.slack
    .callsTo("chat.postMessage")
    .filter((c) => c.status === 200 && c.args.channel === REPLIES && String(c.args.text).startsWith("Daily digest"))
    .map((c) => [String(c.args.text), JSON.stringify(c.args.blocks)].join("\n"));
  const texts = h.twilio.messages.map((m) => ({ to: m.to, body: m.body }));
  return { texts, deferred, capped, optOuts, digests };
}

/** A volunteer draws a send card and clicks Send up to `clicks` times, as long as a contact is offered. */
async function sendTexts(demo: DemoDriver, volunteer: string, clicks: number): Promise<void> {
  const { responseId } = await demo.command(volunteer, PHONEBANK, `/campaign send ${CAMPAIGN}`);
  let card: Posted = demo.response(responseId);
  for (let i = 0; i < clicks && hasSend(card); i++) {
    const next = await demo.click(volunteer, PHONEBANK, card, "texting_send");
    card = demo.response(next);
  }
}

const hasSend = (card: Posted) =>
  (card.blocks ?? []).some((b) => (b.elements ?? []).some((e) => e.action_id === "texting_send"));
