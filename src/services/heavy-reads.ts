import { HEAVY_READ_TIMEOUT_MS, isStatementTimeout } from "../db/database";
import { UserError } from "../domain/user-error";

/** A heavy read PostgreSQL stopped after HEAVY_READ_TIMEOUT_MS; the message says what to do. */
export class ReadTooSlow extends UserError {
  override name = "ReadTooSlow";
}

/**
 * Runs a read made on `db.heavyReads`; a statement the database cancelled for taking too long
 * becomes a ReadTooSlow saying `what` took too long and `advice`, instead of a generic failure.
 */
export async function heavyRead<T>(what: string, advice: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!isStatementTimeout(error)) throw error;
    throw new ReadTooSlow(
      `${what} took too long (the limit is ${HEAVY_READ_TIMEOUT_MS / 1000} seconds), so the database stopped it. ${advice}`,
      { cause: error },
    );
  }
}
