import { randomUUID } from "node:crypto";
import fc from "fast-check";
import {
  audienceFilterSchema,
  RESPONSE_STATES,
  type AudienceFilter,
  type ResponseState,
} from "../../../src/domain/audience-filter";
import {
  compileAudienceFilter,
  reachableAudienceSql,
  responseCountsSql,
  responseTagCountsSql,
  type ResponseTagRow,
} from "../../../src/domain/audience-sql";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

// ---------------------------------------------------------------------------------------------
// The seeded world: 48 contacts whose history in two campaigns follows the index i.

const COUNT = 48;
const FOLLOWED = randomUUID(); // the campaign followed up
const OTHER = randomUUID(); // every contact's earlier campaign: its tags, replies and clicks must not leak
const day = (month: number, date: number) => new Date(Date.UTC(2026, month - 1, date, 15));
const FIRST_TEXT = day(3, 1);
const OPTED_OUT = [13, 21, 35];

/** The entry in FOLLOWED by i % 6 (none when i % 8 = 7): what happened to its texts. */
const ENTRIES = [
  { status: "pending", step: 0, texted: false }, // never drawn
  { status: "sent", step: 0, texted: true },
  { status: "sent", step: 1, texted: true }, // follow-up 1 went out
  { status: "assigned", step: 1, texted: true }, // follow-up 1 is in a volunteer's batch
  { status: "skipped", step: 0, texted: false }, // the first text failed at Twilio: firstTextAt set, nothing went out
  { status: "skipped", step: 1, texted: true }, // follow-up 1 was skipped (cap)
] as const;
const inFollowed = (i: number) => i % 8 !== 7;
const entryOf = (i: number) => ENTRIES[i % 6]!;
const texted = (i: number) => inFollowed(i) && entryOf(i).texted;

/** Inbound texts by ⌊i / 6⌋ % 4 (every entry kind meets each): none, after the first text, only before it, at its very instant. */
const INBOUND_AT = [null, day(3, 5), day(2, 1), FIRST_TEXT];
const inboundAt = (i: number) => INBOUND_AT[Math.floor(i / 6) % 4] ?? null;
const repliedSinceFirst = (i: number) => inboundAt(i) !== null && inboundAt(i)!.getTime() >= FIRST_TEXT.getTime();

/** FOLLOWED's conversation tags by i % 5 (4: no conversation); contact 6 is tagged without ever being texted. */
const TAGS_BY_FIVE: (string[] | null)[] = [["pledged"], [], ["moved", "pledged"], ["Pledged"], null];
const followedTags = (i: number): string[] | null => (i === 6 ? ["wrong number"] : (TAGS_BY_FIVE[i % 5] ?? null));
const hasConversation = (i: number) => inFollowed(i) && followedTags(i) !== null;

/** Clicks by i % 7: 0 on FOLLOWED's link, 1 on OTHER's, 2 on a link of no campaign. */
const clickedFollowed = (i: number) => i % 7 === 0;

const contacts = Array.from({ length: COUNT }, (_, i) => ({
  i,
  id: randomUUID(),
  phone: `+1303555${String(i).padStart(4, "0")}`,
  tags: i % 2 === 0 ? ["volunteer"] : [],
}));
const optOutPhones = new Set(OPTED_OUT.map((i) => contacts[i]!.phone));

// ---------------------------------------------------------------------------------------------
// Reference evaluator: the documented meaning of a response, over the rules above.

function responseHolds(i: number, campaign: string, state: ResponseState, tag: string | undefined): boolean {
  if (campaign !== FOLLOWED) {
    // OTHER texted everyone on Jan 1 (so any text of theirs replies to it) and tagged every conversation the same.
    if (campaign !== OTHER) return false;
    const replied = inboundAt(i) !== null;
    if (state === "clicked_link") return i % 7 === 1;
    if (state === "no_reply") return !replied;
    if (state === "replied_untagged") return false;
    return replied && (tag === "supporter" || tag === "pledged");
  }
  if (state === "clicked_link") return clickedFollowed(i);
  if (!texted(i)) return false;
  const replied = repliedSinceFirst(i);
  const tags = hasConversation(i) ? followedTags(i)!.map((t) => t.toLowerCase()) : [];
  if (state === "no_reply") return !replied;
  if (state === "replied_untagged") return replied && tags.length === 0;
  return replied && (tag === undefined ? tags.length > 0 : tags.includes(tag));
}

function holds(filter: AudienceFilter, i: number): boolean {
  if ("all" in filter) return filter.all.every((f) => holds(f, i));
  if ("any" in filter) return filter.any.some((f) => holds(f, i));
  if ("response" in filter) {
    const { campaign, state, tag } = filter.response;
    return responseHolds(i, campaign, state, tag);
  }
  if ("tags" in filter) return (filter.tags.any ?? []).some((t) => contacts[i]!.tags.includes(t));
  throw new Error(`not generated here: ${JSON.stringify(filter)}`);
}

const indexesWhere = (rule: (i: number) => boolean) => contacts.filter(({ i }) => rule(i)).map(({ i }) => i);
const response = (state: ResponseState, tag?: string, campaign = FOLLOWED) =>
  audienceFilterSchema.parse({ response: { campaign, state, ...(tag === undefined ? {} : { tag }) } });

// ---------------------------------------------------------------------------------------------

describe.each(BACKENDS)("responses to a campaign in SQL (%s)", (_backend, create) => {
  let db: Awaited<ReturnType<typeof openMigratedDatabase>>;

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    const p = db.prisma;
    await p.campaign.createMany({
      data: [
        { id: FOLLOWED, name: "Spring GOTV", status: "running", createdBy: "U1" },
        { id: OTHER, name: "Winter persuasion", status: "archived", createdBy: "U1" },
      ],
    });
    await p.contact.createMany({ data: contacts.map(({ id, phone, tags }) => ({ id, phone, tags })) });
    await p.campaignContact.createMany({
      data: contacts.flatMap(({ i, id }) => [
        { campaignId: OTHER, contactId: id, status: "sent" as const, firstTextAt: day(1, 1), lastTextAt: day(1, 1) },
        ...(inFollowed(i)
          ? [
              {
                campaignId: FOLLOWED,
                contactId: id,
                status: entryOf(i).status,
                step: entryOf(i).step,
                firstTextAt: entryOf(i).status === "pending" ? null : FIRST_TEXT,
                lastTextAt: entryOf(i).status === "pending" ? null : FIRST_TEXT,
              },
            ]
          : []),
      ]),
    });
    await p.message.createMany({
      data: contacts.flatMap(({ i, id, phone }) => {
        const at = inboundAt(i);
        return at
          ? [
              {
                direction: "inbound" as const,
                contactId: id,
                fromPhone: phone,
                toPhone: "+15555550000",
                body: "hi",
                status: "received",
                createdAt: at,
              },
            ]
          : [];
      }),
    });
    await p.conversation.createMany({
      data: contacts.flatMap(({ i, id }) => [
        { campaignId: OTHER, contactId: id, tags: ["supporter", "pledged"] },
        ...(hasConversation(i) ? [{ campaignId: FOLLOWED, contactId: id, tags: followedTags(i)! }] : []),
        ...(i % 9 === 0 ? [{ campaignId: null, contactId: id, tags: ["pledged"] }] : []),
      ]),
    });
    const links = { 0: FOLLOWED, 1: OTHER, 2: null } as Record<number, string | null>;
    for (const { i, id } of contacts.filter(({ i }) => i % 7 in links)) {
      const link = await p.shortLink.create({
        data: { code: `r${i}`, targetUrl: "https://example.org/vote", campaignId: links[i % 7], contactId: id },
      });
      await p.linkClick.create({ data: { shortLinkId: link.id, contactId: id } });
    }
    const anonymous = await p.shortLink.create({
      data: { code: "anon", targetUrl: "https://example.org/vote", campaignId: FOLLOWED },
    });
    await p.linkClick.create({ data: { shortLinkId: anonymous.id, contactId: null } });
    await p.optOut.createMany({ data: [...optOutPhones].map((phone) => ({ phone, source: "keyword" as const })) });
  });
  afterAll(() => db?.dispose());

  /** The indexes of the contacts the filter matches, opted out or not. */
  async function matching(filter: AudienceFilter): Promise<number[]> {
    const { where, params } = compileAudienceFilter(filter);
    const rows = await db.prisma.$queryRawUnsafe<{ phone: string }[]>(
      `SELECT c.phone FROM "Contact" c WHERE ${where} ORDER BY c.phone`,
      ...params,
    );
    return rows.map((r) => Number(r.phone.slice(-4)));
  }

  async function reachable(filter: AudienceFilter): Promise<number> {
    const { sql, params } = reachableAudienceSql(filter);
    const [row] = await db.prisma.$queryRawUnsafe<{ reachable: number }[]>(sql, ...params);
    return row!.reachable;
  }

  it("puts each texted contact in the state of their conversation in this campaign only", async () => {
    // 8: on follow-up 1, tag stored as "Pledged"; 20: wrote at the very instant of the first text; 33: its follow-up
    // is in a volunteer's batch; 35: opted out, still matched (only reachable counts leave it out).
    expect(await matching(response("replied_tagged", "pledged"))).toEqual([8, 20, 32, 33, 35, 43, 45]);
    expect(await matching(response("replied_tagged", "moved"))).toEqual([32]);
    // 9 replied and has no conversation row at all.
    expect(await matching(response("replied_untagged"))).toEqual([9, 11, 19, 21, 44]);
    // 2 never wrote; 14 wrote only before the first text (to the other campaign).
    expect(await matching(response("no_reply"))).toEqual([1, 2, 3, 5, 13, 14, 17, 25, 26, 27, 29, 37, 38, 41]);
    // 7 is not in the campaign but clicked its link; the anonymous click counts for nobody.
    expect(await matching(response("clicked_link"))).toEqual([0, 7, 14, 21, 28, 35, 42]);
    // 10's first text failed (skipped on step 0), though it wrote and was tagged; 6 was tagged but never texted.
    expect(await matching(response("replied_tagged", "wrong number"))).toEqual([]);
    for (const state of RESPONSE_STATES.filter((s) => s !== "clicked_link"))
      expect(await matching(response(state, state === "replied_tagged" ? "pledged" : undefined))).not.toContain(10);
  });

  it("agrees with the reference for every state and tag, in this campaign and another", async () => {
    for (const campaign of [FOLLOWED, OTHER, randomUUID()])
      for (const state of RESPONSE_STATES)
        for (const tag of state === "replied_tagged" ? ["pledged", "moved", "supporter", "wrong number"] : [undefined])
          expect(await matching(response(state, tag, campaign))).toEqual(
            indexesWhere((i) => responseHolds(i, campaign, state, tag)),
          );
  });

  it("counts every state in one query as the segments would, opted-out numbers left out", async () => {
    const [row] = await db.prisma.$queryRawUnsafe<Record<ResponseState, number>[]>(
      ...((q) => [q.sql, ...q.params] as const)(responseCountsSql(FOLLOWED)),
    );
    const reachableWhere = (rule: (i: number) => boolean) =>
      indexesWhere((i) => rule(i) && !OPTED_OUT.includes(i)).length;
    expect(row).toEqual({
      replied_tagged: reachableWhere((i) => responseHolds(i, FOLLOWED, "replied_tagged", undefined)),
      replied_untagged: await reachable(response("replied_untagged")),
      no_reply: await reachable(response("no_reply")),
      clicked_link: await reachable(response("clicked_link")),
    });
    expect(row).toEqual({ replied_tagged: 6, replied_untagged: 4, no_reply: 13, clicked_link: 5 });
  });

  it("lists the campaign's tags with what each tag's segment would reach", async () => {
    const { sql, params } = responseTagCountsSql(FOLLOWED);
    const rows = await db.prisma.$queryRawUnsafe<ResponseTagRow[]>(sql, ...params);
    expect(rows).toEqual([
      { tag: "pledged", contacts: 6 },
      { tag: "moved", contacts: 1 },
      { tag: "wrong number", contacts: 0 },
    ]);
    for (const { tag, contacts: count } of rows) expect(await reachable(response("replied_tagged", tag))).toBe(count);
    const limited = responseTagCountsSql(FOLLOWED, 1);
    expect(await db.prisma.$queryRawUnsafe(limited.sql, ...limited.params)).toEqual([{ tag: "pledged", contacts: 6 }]);
  });

  it("agrees with the reference on random combinations", async () => {
    const condition = fc.oneof(
      fc
        .record({
          campaign: fc.constantFrom(FOLLOWED, OTHER),
          state: fc.constantFrom(...RESPONSE_STATES),
          tag: fc.constantFrom("pledged", "Moved", "supporter", "wrong number"),
        })
        .map(({ campaign, state, tag }) => ({
          response: { campaign, state, ...(state === "replied_tagged" ? { tag } : {}) },
        })),
      fc.constant({ tags: { any: ["volunteer"] } }),
    );
    const filter = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: "small", maxDepth: 3 },
        condition,
        fc.record({ all: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) }),
        fc.record({ any: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) }),
      ),
    })).node;
    await fc.assert(
      fc.asyncProperty(filter, async (input) => {
        const parsed = audienceFilterSchema.parse(input);
        expect(await matching(parsed)).toEqual(indexesWhere((i) => holds(parsed, i)));
        expect(await reachable(parsed)).toBe(indexesWhere((i) => holds(parsed, i) && !OPTED_OUT.includes(i)).length);
      }),
      { numRuns: 25 },
    );
  });
});
