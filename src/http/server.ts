import http, { type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../logger";
import { sendJson } from "./io";

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

type Method = "GET" | "HEAD" | "POST";

/** A request as a route handler gets it: `params` holds the path's `:name` segments. */
export type RoutedRequest = IncomingMessage & { params?: Record<string, string> };

/** A route that may not be able to answer yet (its dependency is still starting): it then gets a quick 503. */
export interface Route {
  method: Method | Method[];
  /** An exact path, or one with `:name` segments (`/l/:code`), each matching one non-empty segment. */
  path: string;
  handler: RouteHandler;
  /** False while what the route needs is not ready; the caller is told to retry (Slack and load balancers do). */
  available?: () => boolean;
}

/**
 * The app's one HTTP server. It listens before the database, Slack and Twilio are ready, so
 * /healthz can say what the process waits for; routes that need those answer 503 until then.
 */
export class AppServer {
  private readonly server: Server;
  private readonly routes: Route[] = [];

  constructor(private readonly logger: Logger) {
    this.server = http.createServer((req, res) => this.dispatch(req, res));
  }

  /** The Node server, for what wraps every request (admission control) or tunes its connections. */
  get httpServer(): Server {
    return this.server;
  }

  add(route: Route): void {
    this.routes.push(route);
  }

  async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops accepting connections, lets requests in flight finish, then resolves. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    await closed;
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const matching = this.routes.flatMap((r) => {
      const params = matchPath(r.path, path);
      return params ? [{ route: r, params }] : [];
    });
    const found = matching.find(({ route: r }) => methodsOf(r).includes(req.method as Method));
    if (!found) {
      sendJson(res, matching.length > 0 ? 405 : 404, { error: "not found" });
      return;
    }
    const { route, params } = found;
    (req as RoutedRequest).params = params;
    if (route.available && !route.available()) {
      res.setHeader("retry-after", "5");
      sendJson(res, 503, { error: "starting or stopping; try again shortly" });
      return;
    }
    try {
      const answered = route.handler(req, res);
      if (answered instanceof Promise) answered.catch((error: unknown) => this.failed(error, path, res));
    } catch (error) {
      this.failed(error, path, res);
    }
  }

  private failed(error: unknown, path: string, res: ServerResponse): void {
    this.logger.error({ err: error, path }, "request failed");
    if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
    else res.destroy();
  }
}

const methodsOf = (route: Route): Method[] => (Array.isArray(route.method) ? route.method : [route.method]);

/** The `:name` segments of `path` when it matches `pattern`, or null. */
function matchPath(pattern: string, path: string): Record<string, string> | null {
  if (!pattern.includes(":")) return pattern === path ? {} : null;
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const segment = got[i]!;
    if (part.startsWith(":")) {
      if (segment === "") return null;
      try {
        params[part.slice(1)] = decodeURIComponent(segment);
      } catch {
        return null;
      }
    } else if (part !== segment) return null;
  }
  return params;
}
