/*
 * The suppression list: a number on it is never texted again, by any campaign, from any sending
 * number (PLATFORM.md, opt-outs). Whether a number is on it is decided here, in two forms a test
 * keeps equal (test/integration/domain/rules-sql.test.ts): `isOptedOut` over a list in memory, and
 * `optedOutSql` that every query choosing whom to text runs. Recording an opt-out is the service's
 * (src/services/opt-outs.ts).
 */

/** True when `phone` (E.164) is on the suppression list. */
export function isOptedOut(phone: string, optedOut: ReadonlySet<string>): boolean {
  return optedOut.has(phone);
}

/** SQL twin of isOptedOut: true when the number in the SQL expression `phone` is on the list. */
export const optedOutSql = (phone: string): string =>
  `EXISTS (SELECT 1 FROM "OptOut" opt_out WHERE opt_out.phone = ${phone})`;
