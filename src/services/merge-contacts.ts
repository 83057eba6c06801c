import type { Database } from "../db/database";
import { usableValueSql } from "../domain/merge-values";
import type { MergeContact } from "../domain/script";

/**
 * Contacts with everything a script may merge: their columns plus the engagement fields
 * (`lastTag`, `lastReplyDate`) that follow-ups use, read from their conversations and replies.
 * The SQL for those two fields lives here once; the send path's card query uses it too.
 */

export interface MergeContactRow extends MergeContact {
  id: string;
  phone: string;
  zip: string | null;
  timeZone: string | null;
  customFields: Record<string, unknown>;
}

/** The latest tag of the contact's most recently active tagged conversation (`contact` is a "Contact" alias). */
export const lastTagSql = (contact: string): string =>
  `(SELECT lt_cv.tags[cardinality(lt_cv.tags)] FROM "Conversation" lt_cv
     WHERE lt_cv."contactId" = ${contact}.id AND cardinality(lt_cv.tags) > 0 ORDER BY lt_cv."updatedAt" DESC LIMIT 1)`;

/** When the contact last texted us. */
export const lastReplyAtSql = (contact: string): string =>
  `(SELECT max(lr_m."createdAt") FROM "Message" lr_m WHERE lr_m."contactId" = ${contact}.id AND lr_m.direction = 'inbound')`;

/** The merge columns of a contact aliased `c`, as MergeContactRow names them. */
export const MERGE_CONTACT_COLUMNS = `c.id, c.phone, c."firstName", c."lastName", c.zip, c.state, c."timeZone", c."customFields",
  ${lastTagSql("c")} AS "lastTag", ${lastReplyAtSql("c")} AS "lastReplyAt"`;

/** Reads through the client or inside a transaction. */
export type SqlReader = Pick<Database["prisma"], "$queryRawUnsafe">;

/** The contacts with these ids, in the order given (missing ids are left out). */
export async function loadMergeContacts(db: SqlReader, ids: readonly string[]): Promise<MergeContactRow[]> {
  if (ids.length === 0) return [];
  const rows = await db.$queryRawUnsafe<MergeContactRow[]>(
    `SELECT ${MERGE_CONTACT_COLUMNS} FROM "Contact" c WHERE c.id = ANY(string_to_array($1::text, ',')::uuid[])`,
    ids.join(","),
  );
  const byId = new Map(rows.map((r) => [r.id, { ...r, lastReplyAt: r.lastReplyAt ? new Date(r.lastReplyAt) : null }]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** Per standard field key (see mergeFieldKey), when a contact `c` has a value for it that renders. */
export const STANDARD_FIELD_PRESENCE: Record<string, string> = {
  firstname: usableValueSql(`c."firstName"`),
  lastname: usableValueSql(`c."lastName"`),
  zip: usableValueSql("c.zip"),
  state: usableValueSql("c.state"),
  lasttag: usableValueSql(lastTagSql("c")),
  lastreplydate: `${lastReplyAtSql("c")} IS NOT NULL`,
};
