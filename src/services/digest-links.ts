import type { Database } from "../db/database";
import type { Logger } from "../logger";

/*
 * The daily digest's thread links: asked of Slack (PermalinkSource, in src/slack) a few at a time,
 * and stored on the conversation so each thread is asked once.
 */

/** Permalink lookups in flight at once. */
const PERMALINK_CONCURRENCY = 4;
/** After this many lookups fail in a row, Slack is having trouble: the rest of the run goes without links. */
const PERMALINK_FAILURES_BEFORE_GIVING_UP = 5;

const STORE_PERMALINK_SQL = `UPDATE "Conversation" SET permalink = $2 WHERE id = $1::uuid AND permalink IS NULL`;

/** A thread's Slack link (chat.getPermalink); null when Slack did not answer. Never throws for Slack's reasons. */
export interface PermalinkSource {
  permalink(channel: string, ts: string): Promise<string | null>;
}

export interface LinkWanted {
  conversationId: string;
  channel: string;
  ts: string;
}

/**
 * Asks Slack for the links of threads the posts show, a few at a time, and stores each answer so
 * a thread is asked once. A lookup that fails leaves that link out; after several failures in a
 * row the rest of the run goes without links rather than waiting on Slack.
 */
export async function fillPermalinks(
  deps: { db: Database; logger: Logger; permalinks: PermalinkSource },
  wanted: LinkWanted[],
): Promise<{ found: Map<string, string>; asked: number; missing: number }> {
  const found = new Map<string, string>();
  let next = 0;
  let asked = 0;
  let failuresInARow = 0;
  const worker = async () => {
    while (next < wanted.length && failuresInARow < PERMALINK_FAILURES_BEFORE_GIVING_UP) {
      const w = wanted[next++]!;
      asked++;
      const link = await deps.permalinks.permalink(w.channel, w.ts).catch((error: unknown) => {
        deps.logger.warn({ err: error, conversation: w.conversationId }, "permalink lookup failed");
        return null;
      });
      if (!link) {
        failuresInARow++;
        continue;
      }
      failuresInARow = 0;
      found.set(w.conversationId, link);
      // Not stored, it is asked again next time; the post still gets it now.
      await deps.db.prisma
        .$executeRawUnsafe(STORE_PERMALINK_SQL, w.conversationId, link)
        .catch((error: unknown) =>
          deps.logger.warn({ err: error, conversation: w.conversationId }, "permalink not stored"),
        );
    }
  };
  await Promise.all(Array.from({ length: Math.min(PERMALINK_CONCURRENCY, wanted.length) }, worker));
  if (failuresInARow >= PERMALINK_FAILURES_BEFORE_GIVING_UP)
    deps.logger.warn({ asked, left: wanted.length - asked }, "permalink lookups keep failing; digests go without them");
  return { found, asked, missing: wanted.length - found.size };
}
