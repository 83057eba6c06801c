import type { SqlQuery } from "@prisma/driver-adapter-utils";

/**
 * Statements on the send path that PostgreSQL should parse and plan once per connection instead
 * of on every click: planning the card query cost as much as running it. Only texts from a fixed
 * set belong here (never with values written into them), since each one stays prepared on every
 * pooled connection for the life of the process.
 */
const names = new Map<string, string>();

/** Registers `sql` (a fixed text) as a prepared statement and returns it unchanged. */
export function prepared(sql: string): string {
  if (!names.has(sql)) names.set(sql, `p${names.size}`);
  return sql;
}

/** For `PrismaPg`'s `statementNameGenerator`: a name for registered texts, none (unnamed) for the rest. */
export function preparedStatementName(query: Pick<SqlQuery, "sql">): string {
  return names.get(query.sql) ?? "";
}
