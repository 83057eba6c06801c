import { recordOptIn } from "../../src/services/opt-outs";
import { THREAD_SHOW_PHONE } from "../../src/slack/blocks/conversation";
import { blockActionsPayload, interactionBody, postToSlackApp, slashCommandBody } from "../fakes/signing";
import { SIGNING_SECRET, startHarness, type Harness } from "../support/app-harness";
import { BACKENDS } from "../support/databases";

/*
 * What only organizers may do, through signed Slack requests: see a voter's full number, and lift
 * the lock on an opt-out. Everyone else sees masked numbers and is refused in one line.
 */

const ORGANIZER = "U0ORGANIZER";
const VOLUNTEER = "U0VOLUNTEER";
const FOR_ORGANIZERS = /is for organizers: ask a workspace admin or someone in the organizers' user group\.$/;

describe.each(BACKENDS)("organizers only (%s)", (_name, create) => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(create);
    h.slack.addUser({ id: VOLUNTEER });
  });
  afterAll(() => h?.close());
  beforeEach(() => h.slack.reset());

  const slack = (body: string) => postToSlackApp(h.app.localUrl, { secret: SIGNING_SECRET, body });
  const unlock = async (user: string, phone: string) =>
    JSON.stringify(
      (
        await slack(
          slashCommandBody({
            command: "/contacts",
            text: `unlock ${phone}`,
            user_id: user,
            response_url: h.slack.responseUrl(),
          }),
        )
      ).json,
    );

  it("lets an organizer lift an opt-out lock, audited; the number stays opted out until the voter texts START", async () => {
    const phone = "+12125558001";
    await h.app.db.prisma.optOut.create({ data: { phone, source: "admin", adminLock: true } });

    expect(JSON.parse(await unlock(VOLUNTEER, phone))).toMatchObject({ text: expect.stringMatching(FOR_ORGANIZERS) });
    expect(await h.app.db.prisma.optOut.findUnique({ where: { phone } })).toMatchObject({ adminLock: true });
    const locked = await h.app.db.prisma.$transaction((tx) => recordOptIn(tx, phone, new Date()));
    expect(locked).toBe("locked");

    const answer = await unlock(ORGANIZER, "(212) 555-8001");
    expect(answer).toContain("lock on");
    expect(answer).toContain("•••-•••-8001"); // masked in Slack, like everywhere else
    expect(answer).not.toContain("555-8001");
    expect(await h.app.db.prisma.optOut.findUnique({ where: { phone } })).toMatchObject({ adminLock: false });
    const audit = await h.app.db.prisma.auditEvent.findFirstOrThrow({ where: { action: "opt-out.lift" } });
    expect(audit).toMatchObject({
      actor: ORGANIZER,
      role: "organizer",
      before: { adminLock: true, source: "admin" },
      after: { adminLock: false },
    });
    expect(await h.app.db.prisma.$transaction((tx) => recordOptIn(tx, phone, new Date()))).toBe("opted-in");
  });

  it("explains what is wrong with a number that cannot be unlocked, and changes nothing", async () => {
    await h.app.db.prisma.optOut.create({ data: { phone: "+12125558002", source: "keyword" } });
    expect(await unlock(ORGANIZER, "+12125558002")).toContain("without a lock");
    expect(await unlock(ORGANIZER, "+12125558003")).toContain("is not on the opt-out list");
    expect(await unlock(ORGANIZER, "call me")).toContain("is not a phone number");
    expect(await h.app.db.prisma.auditEvent.count({ where: { action: "opt-out.lift" } })).toBe(1);
  });

  it("shows a voter's full number to an organizer only; a volunteer is refused and sees nothing", async () => {
    const contact = await h.app.db.prisma.contact.create({ data: { phone: "+12125558010", firstName: "Nia" } });
    const conversation = await h.app.db.prisma.conversation.create({ data: { contactId: contact.id } });
    const click = async (user: string, id: string) => {
      await slack(
        interactionBody(
          blockActionsPayload({
            actionId: THREAD_SHOW_PHONE,
            value: conversation.id,
            userId: user,
            responseUrl: h.slack.responseUrl(id),
          }),
        ),
      );
      return JSON.stringify((await h.slack.waitFor("response_url", (c) => c.args.responseId === id)).args);
    };
    const refused = await click(VOLUNTEER, "phone-volunteer");
    expect(refused).toMatch(/Seeing full phone numbers is for organizers/);
    expect(refused).not.toContain("5558010");
    const shown = await click(ORGANIZER, "phone-organizer");
    expect(shown).toContain("+12125558010");
    expect(await h.app.db.prisma.auditEvent.count({ where: { action: "phone.show", actor: ORGANIZER } })).toBe(1);
    expect(
      await h.app.db.prisma.auditEvent.count({
        where: { action: "phones.full", actor: VOLUNTEER, outcome: "refused" },
      }),
    ).toBe(1);
  });
});
