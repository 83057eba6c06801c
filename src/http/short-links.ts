import type { IncomingMessage, ServerResponse } from "node:http";
import type { Database } from "../db/database";
import type { Logger } from "../logger";
import { visitShortLink } from "../services/short-links";
import { send } from "./io";

const NOT_FOUND_PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Link not found</title></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 3em auto; padding: 0 1em">
<h1>This link doesn't lead anywhere</h1>
<p>Check that the whole link from the text message was copied, or reply to the message to ask for it again.</p>
</body></html>
`;

/**
 * GET (and HEAD) /l/:code: a 302 to where the short link leads, counting a person's click (not a
 * link preview's). An unknown or malformed code gets a small 404 page; a database failure a 503
 * page, never a stack trace.
 */
export function shortLinkRoute(deps: { db: Pick<Database, "sql">; logger: Logger; clock: () => Date }) {
  return async (
    req: IncomingMessage & { params?: Record<string, string | string[]> },
    res: ServerResponse,
  ): Promise<void> => {
    const raw = req.params?.code;
    const code = typeof raw === "string" ? raw : "";
    try {
      const visit = await visitShortLink(deps.db, {
        code,
        method: req.method ?? "GET",
        userAgent: req.headers["user-agent"],
        now: deps.clock(),
      });
      if (visit.kind === "not-found") {
        send(res, 404, NOT_FOUND_PAGE, "text/html; charset=utf-8");
        return;
      }
      res.writeHead(302, { location: visit.url, "cache-control": "no-store", "content-length": 0 });
      res.end();
    } catch (error) {
      deps.logger.error({ err: error }, "short link: lookup failed");
      res.setHeader("retry-after", "5");
      send(
        res,
        503,
        NOT_FOUND_PAGE.replace(/doesn't lead anywhere/, "can't be opened right now"),
        "text/html; charset=utf-8",
      );
    }
  };
}
