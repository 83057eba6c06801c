import type { Database } from "../db/database";
import type { MergeContact } from "../domain/script";

/**
 * Contacts with everything a script may merge: their columns plus the engagement fields
 * (`lastTag`, `lastReplyDate`) that follow-ups use, read from their conversations and replies.
 */

export interface MergeContactRow extends MergeContact {
  id: string;
  phone: string;
  zip: string | null;
  timeZone: string | null;
  customFields: Record<string, unknown>;
}

const SELECT_MERGE_CONTACTS = `
  SELECT c.id, c.phone, c."firstName", c."lastName", c.zip, c.state, c."timeZone", c."customFields",
    (SELECT cv.tags[cardinality(cv.tags)] FROM "Conversation" cv
      WHERE cv."contactId" = c.id AND cardinality(cv.tags) > 0 ORDER BY cv."updatedAt" DESC LIMIT 1) AS "lastTag",
    (SELECT max(m."createdAt") FROM "Message" m WHERE m."contactId" = c.id AND m.direction = 'inbound') AS "lastReplyAt"
  FROM "Contact" c`;

/** Reads through the client or inside a transaction. */
export type SqlReader = Pick<Database["prisma"], "$queryRawUnsafe">;

/** The contacts with these ids, in the order given (missing ids are left out). */
export async function loadMergeContacts(db: SqlReader, ids: readonly string[]): Promise<MergeContactRow[]> {
  if (ids.length === 0) return [];
  const rows = await db.$queryRawUnsafe<MergeContactRow[]>(
    `${SELECT_MERGE_CONTACTS} WHERE c.id = ANY(string_to_array($1::text, ',')::uuid[])`,
    ids.join(","),
  );
  const byId = new Map(rows.map((r) => [r.id, { ...r, lastReplyAt: r.lastReplyAt ? new Date(r.lastReplyAt) : null }]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** SQL that is true when a text expression holds a value a script may merge (not blank, not "null"). */
export const usableSql = (expression: string): string =>
  `(nullif(btrim(${expression}), '') IS NOT NULL AND lower(btrim(${expression})) NOT IN ('undefined', 'null', 'nan'))`;

/** Per standard field key (see mergeFieldKey), when a contact `c` has it. */
export const STANDARD_FIELD_PRESENCE: Record<string, string> = {
  firstname: usableSql(`c."firstName"`),
  lastname: usableSql(`c."lastName"`),
  zip: usableSql("c.zip"),
  state: usableSql("c.state"),
  lasttag: `EXISTS (SELECT 1 FROM "Conversation" cv WHERE cv."contactId" = c.id AND cardinality(cv.tags) > 0)`,
  lastreplydate: `EXISTS (SELECT 1 FROM "Message" m WHERE m."contactId" = c.id AND m.direction = 'inbound')`,
};
