import type { IncomingMessage, ServerResponse } from "node:http";
import type { Database } from "../db/database";
import type { Logger } from "../logger";
import { findServableMedia } from "../services/media";
import { send } from "./io";

/**
 * GET/HEAD /media/:id: a stored item for Twilio to fetch, with its Content-Type and
 * Content-Length, only while a campaign or conversation that uses it is active; else 404, the
 * same answer as an id that never existed.
 */
export function mediaRoute(db: Database, clock: () => Date, logger: Logger) {
  return async (
    req: IncomingMessage & { params?: Record<string, string | string[]> },
    res: ServerResponse,
  ): Promise<void> => {
    const raw = req.params?.id;
    const id = typeof raw === "string" ? raw : "";
    try {
      const media = await findServableMedia(db, id, clock());
      if (!media) return send(res, 404, "Not found\n");
      res.writeHead(200, {
        "content-type": media.contentType,
        "content-length": media.body.length,
        "cache-control": "private, no-store",
        "x-content-type-options": "nosniff",
      });
      res.end(req.method === "HEAD" ? undefined : media.body);
    } catch (error) {
      logger.error({ err: error, mediaId: id }, "media route failed");
      send(res, 503, "Try again later\n");
    }
  };
}
