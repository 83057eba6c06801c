import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import type { Logger } from "../logger";

/*
 * Admission control: under more traffic than the app can work on, every request still gets an
 * answer. Requests from Slack and from Twilio each have a budget of requests in progress; one over
 * it is answered at once with 503 and Retry-After (Slack retries events; a text Twilio could not
 * deliver stays in its message log, which the inbound reconciliation job reads), instead of
 * queueing until connections time out. /healthz and everything else is never gated.
 */

/** Requests of one class (Slack's, Twilio's) worked on at once before more are refused. */
export const DEFAULT_MAX_IN_FLIGHT = 64;
/** What Retry-After tells a refused caller, in seconds. */
export const RETRY_AFTER_SECONDS = 1;

/** Which budget a path draws on; null: not gated. */
export function admissionClass(path: string): "slack" | "twilio" | null {
  if (path === "/slack/events" || path.startsWith("/slack/")) return "slack";
  if (path.startsWith("/twilio/")) return "twilio";
  return null;
}

export interface AdmissionStats {
  inFlight: Record<"slack" | "twilio", number>;
  refused: Record<"slack" | "twilio", number>;
}

/** A bounded number of requests in progress per class; the rest are refused quickly. */
export class AdmissionGate {
  readonly stats: AdmissionStats = { inFlight: { slack: 0, twilio: 0 }, refused: { slack: 0, twilio: 0 } };
  private lastWarnedAt = 0;

  constructor(
    private readonly maxInFlight: number,
    private readonly logger: Logger,
  ) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1)
      throw new RangeError(`maxInFlight must be a whole number ≥ 1 (got ${maxInFlight}).`);
  }

  /** Wraps a request listener: gated requests beyond the budget get 503 + Retry-After without reaching it. */
  wrap(listener: RequestListener): RequestListener {
    return (req: IncomingMessage, res: ServerResponse) => {
      const kind = admissionClass(pathOf(req));
      if (kind === null) return listener(req, res);
      if (this.stats.inFlight[kind] >= this.maxInFlight) return this.refuse(kind, res);
      this.stats.inFlight[kind]++;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.stats.inFlight[kind]--;
      };
      // "close" also fires when the caller hangs up before the answer: the budget is never leaked.
      res.once("finish", release);
      res.once("close", release);
      listener(req, res);
    };
  }

  /** Puts the gate in front of every request listener of `server` (Bolt's receiver, custom routes included). */
  install(server: Server): void {
    const listeners = server.listeners("request") as RequestListener[];
    server.removeAllListeners("request");
    for (const listener of listeners) server.on("request", this.wrap(listener));
  }

  private refuse(kind: "slack" | "twilio", res: ServerResponse): void {
    this.stats.refused[kind]++;
    const body = "Busy: too many requests in progress. Retry after a second.";
    res.writeHead(503, {
      "content-type": "text/plain; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      "retry-after": String(RETRY_AFTER_SECONDS),
    });
    res.end(body);
    const now = Date.now();
    if (now - this.lastWarnedAt >= 10_000) {
      this.lastWarnedAt = now;
      this.logger.warn(
        { kind, refused: this.stats.refused, maxInFlight: this.maxInFlight },
        "overloaded: refusing requests with 503 and Retry-After (texts Twilio could not deliver are reconciled from its message log)",
      );
    }
  }
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

/** Keep-alive longer than any load balancer's or client's idle timeout: the server never closes a connection a client is about to reuse. */
export function keepConnectionsOpen(server: Server): void {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
}
