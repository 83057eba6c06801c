import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../logger";
import { sendJson } from "./io";

const PING_TIMEOUT_MS = 2_000;

/** GET /healthz: 200 when the database answers, 503 when it does not (so a load balancer stops routing here). */
export function healthRoute(ping: () => Promise<void>, logger: Logger) {
  return async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    try {
      await withTimeout(ping(), PING_TIMEOUT_MS);
      sendJson(res, 200, { status: "ok", database: "ok", databaseLatencyMs: Math.round(performance.now() - started) });
    } catch (error) {
      logger.warn({ err: error }, "health check: database unreachable");
      sendJson(res, 503, { status: "unavailable", database: "unreachable", error: (error as Error).message });
    }
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
