import { createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { stringify } from "csv-stringify";
import type { Database } from "../db/database";
import { neutralizeSpreadsheetCell } from "../domain/spreadsheet-cell";
import { auditActor, requirePermission, type Actor } from "./actors";
import { recordAudit } from "./audit";
import { requireCampaign } from "./campaigns";
import { mediaUrl } from "./media";

/*
 * `/campaign export`: a campaign's contacts (tags, answers, outcome, opt-out state, clicks) and
 * every message, as CSV files for a spreadsheet or a CRM. Rows are read a page at a time by key
 * (each page its own short query: no transaction stays open while files are written, and on the
 * embedded database the one connection is free between pages) and streamed through csv-stringify
 * to files on disk, so a million rows take the memory of one page. Every cell goes through
 * neutralizeSpreadsheetCell: a voter's "=HYPERLINK(…)" reply is shown as text, never run.
 */

export const EXPORT_PAGE_SIZE = 2_000;

export interface ExportFile {
  /** File name, e.g. "gotv-contacts.csv". */
  name: string;
  title: string;
  path: string;
  rows: number;
  bytes: number;
  /** Queries it took (one per page). */
  pages: number;
  /** How long it took to write. */
  seconds: number;
}

export interface CampaignExport {
  campaign: { id: string; name: string };
  files: ExportFile[];
}

const CONTACT_COLUMNS = [
  "phone",
  "first_name",
  "last_name",
  "zip",
  "state",
  "time_zone",
  "contact_tags",
  "custom_fields",
  "campaign_status",
  "variant",
  "texts",
  "skip_reason",
  "first_texted_at",
  "last_texted_at",
  "conversation_tags",
  "goal_outcome",
  "assignee",
  "replies",
  "link_clicks",
  "opted_out",
  "opt_out_source",
  "opted_out_at",
  "opt_out_locked",
] as const;

// $1 campaign, $2 the last contact of the previous page, $3 page size, $4 the goal's outcome tag.
// Keyed on the contact: (campaignId, contactId) is a unique index, so each page starts where the last
// ended; the page is picked first, so the joins look up its rows only (not every conversation).
const CONTACTS_PAGE = `WITH page AS MATERIALIZED (SELECT * FROM "CampaignContact"
    WHERE "campaignId" = $1::uuid AND "contactId" > $2::uuid ORDER BY "contactId" LIMIT $3::int)
  SELECT cc."contactId" AS "key", c.phone, c."firstName", c."lastName", c.zip, c.state, c."timeZone",
    array_to_string(c.tags, '; ') AS "contactTags", c."customFields"::text AS "customFields",
    cc.status::text AS status, v.label AS variant, cc."skipReason", cc."firstTextAt", cc."lastTextAt",
    array_to_string(cv.tags, '; ') AS "conversationTags", COALESCE($4::text = ANY(cv.tags), false) AS outcome,
    cv.assignee,
    -- By contact first: (contactId, direction, createdAt) is indexed, conversationId is not.
    (SELECT count(*) FROM "Message" m WHERE m."contactId" = c.id AND m.direction = 'outbound' AND m."conversationId" = cv.id)::int AS texts,
    (SELECT count(*) FROM "Message" m WHERE m."contactId" = c.id AND m.direction = 'inbound' AND m."conversationId" = cv.id)::int AS replies,
    (SELECT count(*) FROM "LinkClick" k JOIN "ShortLink" s ON s.id = k."shortLinkId"
      WHERE s."campaignId" = cc."campaignId" AND s."contactId" = c.id)::int AS clicks,
    o.source::text AS "optOutSource", o."createdAt" AS "optedOutAt", o."adminLock"
  FROM page cc
  JOIN "Contact" c ON c.id = cc."contactId"
  LEFT JOIN "ScriptVariant" v ON v.id = cc."variantId"
  LEFT JOIN "Conversation" cv ON cv."campaignId" = cc."campaignId" AND cv."contactId" = cc."contactId"
  LEFT JOIN "OptOut" o ON o.phone = c.phone
  ORDER BY cc."contactId"`;

interface ContactRow {
  key: string;
  phone: string;
  firstName: string | null;
  lastName: string | null;
  zip: string | null;
  state: string | null;
  timeZone: string | null;
  contactTags: string;
  customFields: string;
  status: string;
  variant: string | null;
  skipReason: string | null;
  firstTextAt: Date | null;
  lastTextAt: Date | null;
  conversationTags: string | null;
  outcome: boolean;
  assignee: string | null;
  texts: number;
  replies: number;
  clicks: number;
  optOutSource: string | null;
  optedOutAt: Date | null;
  adminLock: boolean | null;
}

const MESSAGE_COLUMNS = [
  "at",
  "direction",
  "contact_phone",
  "first_name",
  "last_name",
  "from",
  "to",
  "body",
  "media",
  "status",
  "error_code",
  "sent_by",
  "campaign_text",
  "step",
  "segments",
  "twilio_sid",
] as const;

// Every message of the campaign, a page of its conversations at a time (keyed on the contact, like
// the contacts), each conversation's messages in order: read by contact, the indexed column.
const CONVERSATIONS_PAGE = `SELECT "contactId", id FROM "Conversation"
  WHERE "campaignId" = $1::uuid AND "contactId" > $2::uuid ORDER BY "contactId" LIMIT $3::int`;
const MESSAGES_PAGE = `SELECT m."createdAt", m.direction::text AS direction, c.phone, c."firstName", c."lastName",
    m."fromPhone", m."toPhone", m.body, m."mediaUrls", m."mediaIds",
    (SELECT array_agg(COALESCE(md.name, md.source, u.id) ORDER BY u.k)
       FROM unnest(m."mediaIds") WITH ORDINALITY AS u(id, k) LEFT JOIN "Media" md ON md.id = u.id) AS "mediaNames",
    m.status, m."errorCode",
    m."sentBy", m.initiated, m.step, m.segments, m."twilioSid"
  FROM "Message" m
  LEFT JOIN "Contact" c ON c.id = m."contactId"
  WHERE m."contactId" = ANY($2::uuid[]) AND (m."conversationId" = ANY($3::uuid[]) OR m."campaignId" = $1::uuid)
  ORDER BY m."contactId", m."createdAt", m.id`;

interface MessageRow {
  createdAt: Date;
  direction: string;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  fromPhone: string;
  toPhone: string;
  body: string;
  mediaUrls: string[];
  /** Stored media the message carried (sent, or a voter's pictures once copied), and each one's name or source link. */
  mediaIds: string[];
  mediaNames: string[] | null;
  status: string;
  errorCode: number | null;
  sentBy: string | null;
  initiated: boolean;
  step: number | null;
  segments: number | null;
  twilioSid: string | null;
}

type Cell = string | number | boolean | Date | null | undefined;
const cell = (value: Cell): string => {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "boolean") return value ? "yes" : "no";
  return neutralizeSpreadsheetCell(String(value));
};

const contactCells = (r: ContactRow): Cell[] => [
  r.phone,
  r.firstName,
  r.lastName,
  r.zip,
  r.state,
  r.timeZone,
  r.contactTags,
  r.customFields === "{}" ? "" : r.customFields,
  r.status,
  r.variant,
  r.texts,
  r.skipReason,
  r.firstTextAt,
  r.lastTextAt,
  r.conversationTags,
  r.outcome,
  r.assignee,
  r.replies,
  r.clicks,
  r.optOutSource !== null,
  r.optOutSource,
  r.optedOutAt,
  r.optOutSource !== null ? Boolean(r.adminLock) : null,
];

/**
 * The media a message carried: its stored items (what Twilio fetched, or a voter's copied pictures) at
 * PUBLIC_URL/media/<id>, or by name (the file's, else the link it came from) without a PUBLIC_URL;
 * else the links on it (as typed, or Twilio's for a voter's picture not copied yet).
 */
function carriedMedia(r: MessageRow, publicUrl: string | undefined): string {
  if (r.mediaIds.length === 0) return r.mediaUrls.join(" ");
  return publicUrl ? r.mediaIds.map((id) => mediaUrl(publicUrl, id)).join(" ") : (r.mediaNames ?? r.mediaIds).join(" ");
}

const messageCells =
  (publicUrl: string | undefined) =>
  (r: MessageRow): Cell[] => [
    r.createdAt,
    r.direction,
    r.phone,
    r.firstName,
    r.lastName,
    r.fromPhone,
    r.toPhone,
    r.body,
    carriedMedia(r, publicUrl),
    r.status,
    r.errorCode,
    r.sentBy,
    r.direction === "outbound" ? r.initiated : null,
    r.step,
    r.segments,
    r.twilioSid,
  ];

const FIRST_KEY = "00000000-0000-0000-0000-000000000000";

/** Streams every row of a paged query into a CSV file; one page in memory at a time. */
async function writeCsv<R>(
  file: { path: string; columns: readonly string[] },
  page: (after: string) => Promise<{ rows: R[]; next: string | null }>,
  cells: (row: R) => Cell[],
): Promise<{ rows: number; pages: number; bytes: number; seconds: number }> {
  const started = performance.now();
  let rows = 0;
  let pages = 0;
  async function* records() {
    let after: string | null = FIRST_KEY;
    while (after !== null) {
      const batch: { rows: R[]; next: string | null } = await page(after);
      pages++;
      for (const row of batch.rows) yield cells(row).map(cell);
      rows += batch.rows.length;
      after = batch.next;
    }
  }
  await pipeline(
    Readable.from(records()),
    stringify({ header: true, columns: [...file.columns], bom: true }),
    createWriteStream(file.path),
  );
  return { rows, pages, bytes: (await stat(file.path)).size, seconds: (performance.now() - started) / 1000 };
}

/** A file-name-safe form of the campaign's name. */
const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40) || "campaign";

/**
 * Writes the campaign's contacts and messages as CSV files into `dir` (organizers only: the files
 * hold full phone numbers), and records the export in the audit trail.
 */
export async function writeCampaignExport(
  db: Database,
  actor: Actor,
  campaignName: string,
  dir: string,
  options: { pageSize?: number; publicUrl?: string } = {},
): Promise<CampaignExport> {
  await requirePermission(db, actor, "campaigns.export", "exporting a campaign", { subject: campaignName });
  const campaign = await requireCampaign(db, campaignName);
  const pageSize = options.pageSize ?? EXPORT_PAGE_SIZE;
  // A conversation holds a handful of texts: a page of messages is about a page of rows.
  const conversationsPerPage = Math.max(1, Math.floor(pageSize / 4));
  const base = slug(campaign.name);
  const contactsPath = path.join(dir, `${base}-contacts.csv`);
  const messagesPath = path.join(dir, `${base}-messages.csv`);
  const contacts = await writeCsv(
    { path: contactsPath, columns: CONTACT_COLUMNS },
    async (after) => {
      const rows = await db.sql.query<ContactRow>(CONTACTS_PAGE, [
        campaign.id,
        after,
        pageSize,
        campaign.goalOutcomeTag ?? null,
      ]);
      return { rows, next: rows.length === pageSize ? rows[rows.length - 1]!.key : null };
    },
    contactCells,
  );
  const messages = await writeCsv(
    { path: messagesPath, columns: MESSAGE_COLUMNS },
    async (after) => {
      const conversations = await db.sql.query<{ contactId: string; id: string }>(CONVERSATIONS_PAGE, [
        campaign.id,
        after,
        conversationsPerPage,
      ]);
      if (conversations.length === 0) return { rows: [], next: null };
      const rows = await db.sql.query<MessageRow>(MESSAGES_PAGE, [
        campaign.id,
        conversations.map((c) => c.contactId),
        conversations.map((c) => c.id),
      ]);
      const next =
        conversations.length === conversationsPerPage ? conversations[conversations.length - 1]!.contactId : null;
      return { rows, next };
    },
    messageCells(options.publicUrl),
  );
  await recordAudit(
    db.prisma,
    {
      ...auditActor(actor),
      action: "campaign.export",
      campaignId: campaign.id,
      subject: campaign.name,
      after: { contacts: contacts.rows, messages: messages.rows },
    },
    actor.at,
  );
  return {
    campaign: { id: campaign.id, name: campaign.name },
    files: [
      { name: path.basename(contactsPath), title: `${campaign.name}: contacts`, path: contactsPath, ...contacts },
      { name: path.basename(messagesPath), title: `${campaign.name}: messages`, path: messagesPath, ...messages },
    ],
  };
}
