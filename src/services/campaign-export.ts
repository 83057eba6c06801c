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

// $1 campaign, $2 the last entry id of the previous page, $3 page size, $4 the goal's outcome tag.
const CONTACTS_PAGE = `SELECT cc.id AS "key", c.phone, c."firstName", c."lastName", c.zip, c.state, c."timeZone",
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
  FROM "CampaignContact" cc
  JOIN "Contact" c ON c.id = cc."contactId"
  LEFT JOIN "ScriptVariant" v ON v.id = cc."variantId"
  LEFT JOIN "Conversation" cv ON cv."campaignId" = cc."campaignId" AND cv."contactId" = cc."contactId"
  LEFT JOIN "OptOut" o ON o.phone = c.phone
  WHERE cc."campaignId" = $1::uuid AND cc.id > $2::uuid
  ORDER BY cc.id LIMIT $3::int`;

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
  "media_urls",
  "status",
  "error_code",
  "sent_by",
  "campaign_text",
  "step",
  "segments",
  "twilio_sid",
] as const;

// Every message of the campaign: its texts, and the voters' texts in its conversations.
const MESSAGES_PAGE = `SELECT m.id AS "key", m."createdAt", m.direction::text AS direction, c.phone, c."firstName", c."lastName",
    m."fromPhone", m."toPhone", m.body, array_to_string(m."mediaUrls", ' ') AS "mediaUrls", m.status, m."errorCode",
    m."sentBy", m.initiated, m.step, m.segments, m."twilioSid"
  FROM "Message" m
  LEFT JOIN "Conversation" cv ON cv.id = m."conversationId"
  LEFT JOIN "Contact" c ON c.id = m."contactId"
  WHERE (m."campaignId" = $1::uuid OR cv."campaignId" = $1::uuid) AND m.id > $2::uuid
  ORDER BY m.id LIMIT $3::int`;

interface MessageRow {
  key: string;
  createdAt: Date;
  direction: string;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  fromPhone: string;
  toPhone: string;
  body: string;
  mediaUrls: string;
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

const messageCells = (r: MessageRow): Cell[] => [
  r.createdAt,
  r.direction,
  r.phone,
  r.firstName,
  r.lastName,
  r.fromPhone,
  r.toPhone,
  r.body,
  r.mediaUrls,
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
async function writeCsv<R extends { key: string }>(
  file: { path: string; columns: readonly string[] },
  page: (after: string) => Promise<R[]>,
  cells: (row: R) => Cell[],
): Promise<{ rows: number; pages: number; bytes: number; seconds: number }> {
  const started = performance.now();
  let rows = 0;
  let pages = 0;
  async function* records() {
    let after = FIRST_KEY;
    for (;;) {
      const batch = await page(after);
      pages++;
      for (const row of batch) yield cells(row).map(cell);
      rows += batch.length;
      if (batch.length === 0) return;
      after = batch[batch.length - 1]!.key;
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
  options: { pageSize?: number } = {},
): Promise<CampaignExport> {
  await requirePermission(db, actor, "campaigns.export", "exporting a campaign", { subject: campaignName });
  const campaign = await requireCampaign(db, campaignName);
  const pageSize = options.pageSize ?? EXPORT_PAGE_SIZE;
  const base = slug(campaign.name);
  const contactsPath = path.join(dir, `${base}-contacts.csv`);
  const messagesPath = path.join(dir, `${base}-messages.csv`);
  const contacts = await writeCsv(
    { path: contactsPath, columns: CONTACT_COLUMNS },
    (after) => db.sql.query<ContactRow>(CONTACTS_PAGE, [campaign.id, after, pageSize, campaign.goalOutcomeTag ?? null]),
    contactCells,
  );
  const messages = await writeCsv(
    { path: messagesPath, columns: MESSAGE_COLUMNS },
    (after) => db.sql.query<MessageRow>(MESSAGES_PAGE, [campaign.id, after, pageSize]),
    messageCells,
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
