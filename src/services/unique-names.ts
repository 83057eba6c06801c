import type { Tx } from "../db/database";
import type { PrismaClient } from "../db/generated/client";
import { nameKey, normalizeName } from "../domain/display-name";
import { suggestNames } from "../domain/suggest";

/*
 * Names organizers give campaigns and segments are unique ignoring letter case (display-name.ts).
 * The rule lives here once for both: creations and renames of one kind are serialized under an
 * advisory lock, so two names differing only in case cannot both get in; lookups ignore case and,
 * on a miss, suggest what the organizer may have meant.
 */

type Reader = Pick<PrismaClient, "$queryRawUnsafe">;

const KINDS = {
  campaign: { table: `"Campaign"`, lock: 0x70327063616d7000n /* "p2pcamp" */, suggestable: `status <> 'archived'` },
  segment: { table: `"Segment"`, lock: 0x7032707365676d00n /* "p2psegm" */, suggestable: "true" },
} as const;

export type NamedKind = keyof typeof KINDS;

/** How many names a miss suggests at most. */
const MAX_SUGGESTIONS = 5;

function sameName(
  db: Reader,
  kind: NamedKind,
  name: string,
  exceptId?: string,
): Promise<{ id: string; name: string }[]> {
  return db.$queryRawUnsafe<{ id: string; name: string }[]>(
    `SELECT id, name FROM ${KINDS[kind].table} WHERE lower(name) = lower($1) AND ($2::uuid IS NULL OR id <> $2::uuid)`,
    name,
    exceptId ?? null,
  );
}

/** Whether another row of the kind already has this name, ignoring letter case. */
export async function nameTaken(db: Reader, kind: NamedKind, name: string, exceptId?: string): Promise<boolean> {
  const normalized = normalizeName(name);
  return normalized !== "" && (await sameName(db, kind, normalized, exceptId)).length > 0;
}

/**
 * Takes the kind's name lock for the rest of the transaction, then tells whether the name is
 * still free: call it before inserting or renaming, in the same transaction.
 */
export async function claimName(tx: Tx, kind: NamedKind, name: string, exceptId?: string): Promise<boolean> {
  await tx.$executeRawUnsafe("SELECT pg_advisory_xact_lock($1::bigint)", KINDS[kind].lock.toString());
  return !(await nameTaken(tx, kind, name, exceptId));
}

export type NameLookup = { found: true; id: string } | { found: false; suggestions: string[] };

/**
 * The row named `typed`, ignoring letter case; when rows written around the services clash in
 * case, the exact spelling wins. On a miss: every name containing what was typed ("gotv" is
 * ambiguous between "GOTV Nov 3" and "GOTV early vote"), then the nearest ones.
 */
export async function lookupName(db: Reader, kind: NamedKind, typed: string): Promise<NameLookup> {
  const name = normalizeName(typed);
  const matches = name ? await sameName(db, kind, name) : [];
  const exact = matches.length === 1 ? matches[0] : matches.find((m) => m.name === name);
  if (exact) return { found: true, id: exact.id };
  if (matches.length > 1) return { found: false, suggestions: matches.map((m) => m.name) };
  const rows = await db.$queryRawUnsafe<{ name: string }[]>(
    `SELECT name FROM ${KINDS[kind].table} WHERE ${KINDS[kind].suggestable}`,
  );
  const names = rows.map((r) => r.name);
  const containing = name ? names.filter((n) => nameKey(n).includes(nameKey(name))) : [];
  return {
    found: false,
    suggestions: [...new Set([...containing, ...suggestNames(name, names)])].slice(0, MAX_SUGGESTIONS),
  };
}

/** The first of `names` no row of the kind has (letter case ignored), or null when every one is taken. */
export async function firstFreeName(db: Reader, kind: NamedKind, names: readonly string[]): Promise<string | null> {
  if (names.length === 0) return null;
  const rows = await db.$queryRawUnsafe<{ name: string }[]>(
    `SELECT u.name FROM unnest($1::text[]) WITH ORDINALITY AS u(name, n)
     WHERE NOT EXISTS (SELECT 1 FROM ${KINDS[kind].table} t WHERE lower(t.name) = lower(u.name)) ORDER BY u.n LIMIT 1`,
    names.map(normalizeName),
  );
  return rows[0]?.name ?? null;
}

/** claimName for a list of acceptable names: takes the kind's name lock, then picks the first one free. */
export async function claimFreeName(tx: Tx, kind: NamedKind, names: readonly string[]): Promise<string | null> {
  await tx.$executeRawUnsafe("SELECT pg_advisory_xact_lock($1::bigint)", KINDS[kind].lock.toString());
  return firstFreeName(tx, kind, names);
}
