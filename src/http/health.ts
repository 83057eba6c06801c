import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readiness } from "../boot/readiness";
import type { Logger } from "../logger";
import { sendJson } from "./io";

const PING_TIMEOUT_MS = 2_000;

/**
 * GET /healthz: 200 when every boot check passed and the database answers; 503 otherwise (so a
 * load balancer routes elsewhere), saying what is not ready. The database's own error text (host,
 * user) goes to the log, never to whoever asked.
 */
export function healthRoute(deps: { readiness: Readiness; ping: () => Promise<void>; logger: Logger }) {
  return async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const state = deps.readiness.state;
    if (state.phase === "stopping") return sendJson(res, 503, { status: "stopping", ready: false });
    if (state.phase === "failed") return sendJson(res, 503, { status: "failed", ready: false });
    if (state.phase === "starting") {
      return sendJson(res, 503, { status: "starting", ready: false, waitingFor: state.waitingFor });
    }
    const started = performance.now();
    try {
      await withTimeout(deps.ping(), PING_TIMEOUT_MS);
      sendJson(res, 200, {
        status: "ok",
        ready: true,
        database: "ok",
        databaseLatencyMs: Math.round(performance.now() - started),
      });
    } catch (error) {
      deps.logger.warn({ err: error }, "health check: database unreachable");
      sendJson(res, 503, { status: "unavailable", ready: false, database: "unreachable", waitingFor: ["database"] });
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
