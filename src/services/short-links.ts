import { randomBytes } from "node:crypto";
import type { Database, SqlRunner } from "../db/database";
import { newId } from "../db/ids";
import { prepared } from "../db/prepared";
import { isPersonClick, isShortCode, linksIn, rewriteLinks, shortCodeFrom } from "../domain/short-links";

/*
 * Short links and clicks (rules in src/domain/short-links.ts). A campaign text's links are
 * rewritten in the transaction that claims the send, one code per contact and link (a follow-up
 * with the same link reuses it), so the text stored is the text sent. A person's visit redirects and
 * is counted; previews and bots are redirected without counting.
 */

const FIND_LINK = prepared(
  `SELECT code FROM "ShortLink" WHERE "campaignId" = $1::uuid AND "contactId" = $2::uuid AND "targetUrl" = $3 LIMIT 1`,
);
const INSERT_LINK = prepared(`INSERT INTO "ShortLink" (id, code, "targetUrl", "campaignId", "contactId", "createdAt")
  VALUES ($1::uuid, $2, $3, $4::uuid, $5::uuid, $6) ON CONFLICT (code) DO NOTHING RETURNING code`);

/**
 * `text` with each link replaced by this contact's short link for it (made on first use). Run it in
 * the send's transaction: the codes exist exactly when the text that carries them does.
 */
export async function shortenLinksFor(
  tx: SqlRunner,
  input: { text: string; campaignId: string; contactId: string; publicUrl: string; now: Date },
): Promise<string> {
  const links = linksIn(input.text, input.publicUrl);
  if (links.length === 0) return input.text;
  const codes = new Map<string, string>();
  for (const { url } of links) {
    if (codes.has(url)) continue;
    const [found] = await tx.query<{ code: string }>(FIND_LINK, [input.campaignId, input.contactId, url]);
    let code = found?.code;
    while (!code) {
      const [made] = await tx.query<{ code: string }>(INSERT_LINK, [
        newId(),
        shortCodeFrom(randomBytes),
        url,
        input.campaignId,
        input.contactId,
        input.now,
      ]);
      code = made?.code; // a code already taken (about 1 in 10^17) draws again
    }
    codes.set(url, code);
  }
  return rewriteLinks(input.text, input.publicUrl, (url) => codes.get(url)!);
}

// One statement: find the link and, for a person's click, record it.
const VISIT = prepared(`WITH link AS (SELECT id, "targetUrl", "contactId" FROM "ShortLink" WHERE code = $1),
  click AS (INSERT INTO "LinkClick" (id, "shortLinkId", "contactId", "clickedAt")
    SELECT $2::uuid, link.id, link."contactId", $3 FROM link RETURNING 1)
  SELECT "targetUrl" AS "targetUrl", (SELECT count(*) FROM click)::int AS counted FROM link`);
const LOOKUP = prepared(`SELECT "targetUrl" AS "targetUrl", 0 AS counted FROM "ShortLink" WHERE code = $1`);

export type LinkVisit = { kind: "redirect"; url: string; counted: boolean } | { kind: "not-found" };

/** A request for `/l/<code>`: where it leads, and whether it counted as a click. */
export async function visitShortLink(
  db: Pick<Database, "sql">,
  input: { code: string; method: string; userAgent: string | undefined; now: Date },
): Promise<LinkVisit> {
  if (!isShortCode(input.code)) return { kind: "not-found" };
  const person = isPersonClick(input.method, input.userAgent);
  const [row] = person
    ? await db.sql.query<{ targetUrl: string; counted: number }>(VISIT, [input.code, newId(), input.now])
    : await db.sql.query<{ targetUrl: string; counted: number }>(LOOKUP, [input.code]);
  return row ? { kind: "redirect", url: row.targetUrl, counted: row.counted > 0 } : { kind: "not-found" };
}

export interface LinkClicks {
  /** Every person's visit to the campaign's short links. */
  clicks: number;
  /** Contacts who clicked at least once (the click rate's numerator). */
  contacts: number;
}

// $1 the campaigns, $2 to $3 the period. Campaigns with no short link get no row: their clicks are not tracked.
const CLICKS_BETWEEN_SQL = `
SELECT s."campaignId", count(k.id)::int AS clicks, count(DISTINCT k."contactId")::int AS contacts
FROM "ShortLink" s LEFT JOIN "LinkClick" k ON k."shortLinkId" = s.id AND k."clickedAt" >= $2 AND k."clickedAt" < $3
WHERE s."campaignId" = ANY($1::uuid[])
GROUP BY s."campaignId"`;

/**
 * Several campaigns' link clicks in a period (the digest's "yesterday"), counted as `linkClicks`
 * counts them; a campaign missing from the answer has no short link, so its clicks are not tracked.
 */
export async function linkClicksBetween(
  db: Pick<Database, "prisma">,
  campaignIds: readonly string[],
  from: Date,
  to: Date,
): Promise<Map<string, LinkClicks>> {
  const rows = await db.prisma.$queryRawUnsafe<Array<LinkClicks & { campaignId: string }>>(
    CLICKS_BETWEEN_SQL,
    campaignIds,
    from,
    to,
  );
  return new Map(rows.map(({ campaignId, ...counted }) => [campaignId, counted]));
}

/** A campaign's link clicks: the one count the report, the digest and anything else reads. */
export async function linkClicks(db: Pick<Database, "sql">, campaignId: string): Promise<LinkClicks> {
  const [row] = await db.sql.query<LinkClicks>(
    prepared(`SELECT count(*)::int AS clicks, count(DISTINCT k."contactId")::int AS contacts
      FROM "LinkClick" k JOIN "ShortLink" s ON s.id = k."shortLinkId" WHERE s."campaignId" = $1::uuid`),
    [campaignId],
  );
  return row ?? { clicks: 0, contacts: 0 };
}
