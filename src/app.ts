import type { IncomingMessage, ServerResponse } from "node:http";
import { App, HTTPReceiver, SocketModeReceiver } from "@slack/bolt";
import { CredentialsRejected, Readiness, untilReachable, type CheckOutcome } from "./boot/readiness";
import { BackgroundWork } from "./background";
import type { Config } from "./config";
import { openDatabase, type Database } from "./db/database";
import { applyMigrations } from "./db/migrate";
import type { ChannelRate } from "./domain/slack-rate";
import { AdmissionGate, DEFAULT_MAX_IN_FLIGHT, keepConnectionsOpen, type AdmissionStats } from "./http/admission";
import { healthRoute } from "./http/health";
import { mediaRoute } from "./http/media";
import { shortLinkRoute } from "./http/short-links";
import { AppServer, type RouteHandler } from "./http/server";
import { boltLogger, type Logger } from "./logger";
import { ConversationInbox } from "./services/conversation-inbox";
import { THREAD_ROOT_HOOK, threadRootSettled } from "./services/conversation-threads";
import { tellOrganizersChannelBlocked } from "./services/slack-channel-access";
import { SlackOutboxDrainer } from "./services/slack-outbox-drainer";
import { slackThreadRenderer } from "./slack/blocks/conversation";
import { slackDigestRenderer } from "./slack/blocks/digest";
import { slackWindowNotes } from "./slack/blocks/window-notes";
import { permalinkWebClient, WebClientPermalinks } from "./slack/permalinks";
import { slackFileReader } from "./slack/slack-files";
import { threadFilesWebClient, WebClientThreadFiles } from "./slack/thread-files";
import { twilioMediaFetcher } from "./sms/twilio-media";
import { lookupWebClient } from "./slack/lookup-client";
import { slackRoleDirectory } from "./slack/roles";
import { userNames } from "./slack/user-names";
import { registerListeners } from "./slack";
import { startScheduler, type Job, type JobDeps } from "./jobs/scheduler";
import { outboxWebClient, WebClientSlackPoster } from "./slack/outbox-poster";
import { createTwilioGateway } from "./sms/twilio-gateway";
import { checkTwilioAccount } from "./sms/twilio-check";
import { checkSlackToken } from "./slack/token-check";
import { inboundSmsRoute, statusCallbackRoute } from "./sms/webhooks";

export interface RunningApp {
  /** Where the server listens locally, e.g. http://127.0.0.1:3000. */
  readonly localUrl: string;
  readonly db: Database;
  /** Slack and Twilio requests in progress now, and how many were refused with 503 (overload). */
  readonly admission: AdmissionStats;
  /** Fails health, lets in-flight requests, background work (imports) and Slack posts in flight finish, then closes the database. */
  stop(options?: StopOptions): Promise<void>;
}

export interface StopOptions {
  /** How long to keep serving after /healthz starts failing, so a load balancer stops routing here first (default 0). */
  drainMs?: number;
}

/** The app as soon as its port is open: `ready` settles once the database, Slack and Twilio are, or with a StartupError. */
export interface LaunchedApp {
  readonly localUrl: string;
  readonly ready: Promise<void>;
  /** The database, once open (throws before). */
  readonly db: Database;
  /** Slack and Twilio requests in progress now, and how many were refused with 503 (overload). */
  readonly admission: AdmissionStats;
  /** Safe at any moment, during the boot checks too. */
  stop(options?: StopOptions): Promise<void>;
}

/** A start-up failure with a message an operator can act on. */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StartupError";
  }
}

export interface AppOptions {
  /** The one clock (tests set it to check sending hours and caps at a chosen time). */
  clock?: () => Date;
  /** How media links are downloaded (default: the global fetch); tests route them to a local server. */
  fetchMedia?: typeof fetch;
  /** Slack's per-channel posting rate (tests scale it up to drain a backlog quickly). */
  slackChannelRate?: ChannelRate;
  /** How long an import may take to download its file from Slack (tests shorten it). */
  importDownloadTimeoutMs?: number;
  /** The jobs the scheduler runs on their cron (default: all); a test that runs a job itself leaves it out. */
  scheduledJobs?: readonly Job[];
}

/** Starts the app and waits until it is ready; a start-up failure closes what was opened and throws. */
export async function startApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<RunningApp> {
  const launched = await launchApp(config, logger, options);
  try {
    await launched.ready;
  } catch (error) {
    await launched.stop().catch(() => undefined);
    throw error;
  }
  return { localUrl: launched.localUrl, db: launched.db, admission: launched.admission, stop: (o) => launched.stop(o) };
}

/**
 * Opens the port at once (/healthz says what is not ready yet), then: database → migrations →
 * Slack and Twilio checks (retried with backoff while unreachable; a rejected credential is a
 * StartupError) → listeners, jobs, inbox and outbox.
 */
export async function launchApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<LaunchedApp> {
  const clock = options.clock ?? (() => new Date());
  const readiness = new Readiness(["database", "slack", "twilio"]);
  const abort = new AbortController();
  const socketMode = config.slack.appToken !== undefined;
  const server = new AppServer(logger);
  let db: Database | undefined;
  let handlers:
    | { sms: RouteHandler; status: RouteHandler; shortLink: RouteHandler; media: RouteHandler; slack?: RouteHandler }
    | undefined;
  let running: { stop(): Promise<void> } | undefined;

  server.add({
    method: "GET",
    path: "/healthz",
    handler: healthRoute({
      readiness,
      ping: () => (db ? db.ping() : Promise.reject(new Error("database not open"))),
      logger,
    }),
  });
  const whenDatabase = () => readiness.has("database") && handlers !== undefined;
  server.add({ method: "POST", path: "/twilio/sms", available: whenDatabase, handler: (q, r) => handlers!.sms(q, r) });
  server.add({
    method: "POST",
    path: "/twilio/status",
    available: whenDatabase,
    handler: (q, r) => handlers!.status(q, r),
  });
  server.add({
    method: ["GET", "HEAD"],
    path: "/l/:code",
    available: whenDatabase,
    handler: (q, r) => handlers!.shortLink(q, r),
  });
  server.add({
    method: ["GET", "HEAD"],
    path: "/media/:id",
    available: whenDatabase,
    handler: (q, r) => handlers!.media(q, r),
  });
  if (!socketMode) {
    server.add({
      method: "POST",
      path: "/slack/events",
      available: () => readiness.has("slack") && handlers?.slack !== undefined,
      handler: (q, r) => handlers!.slack!(q, r),
    });
  }
  // Overload gets a quick 503 with Retry-After on Slack's and Twilio's routes, never a reset connection.
  const admission = new AdmissionGate(config.http?.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, logger);
  admission.install(server.httpServer);
  keepConnectionsOpen(server.httpServer);
  const port = await server.listen(config.port).catch((error: unknown) => {
    throw new StartupError(
      `Could not listen on port ${config.port}: ${(error as Error).message}. Set PORT to a free port.`,
      {
        cause: error,
      },
    );
  });
  logger.info({ port, waitingFor: ["database", "slack", "twilio"] }, "port open; starting");

  const boot = async (): Promise<void> => {
    db = await openDatabase(config.database).catch((error: unknown) => {
      throw new StartupError(`Could not open the database (${describeTarget(config)}): ${(error as Error).message}`, {
        cause: error,
      });
    });
    const applied = await applyMigrations(db).catch((error: unknown) => {
      throw new StartupError(
        `Could not migrate the database (${describeTarget(config)}): ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    });
    logger.info(
      { applied, database: config.database.kind },
      applied.length ? "migrations applied" : "database up to date",
    );
    if (abort.signal.aborted) return;
    const parts = composeApp(db, config, logger, clock, options);
    handlers = parts.handlers;
    readiness.done("database");

    const twilioReady = waitForService("twilio", () => checkTwilioAccount(config.twilio)).then((ok) => {
      if (ok) readiness.done("twilio");
      return ok;
    });
    const slackReady = waitForService("slack", () => checkSlackToken(config.slack.botToken, config.slack.apiUrl)).then(
      async (ok) => {
        if (!ok || abort.signal.aborted) return false;
        // Bolt's own client now finds Slack reachable; init reads the bot's ids with it.
        await parts.app.init();
        if (socketMode) await startSocketMode(parts.app);
        readiness.done("slack");
        return true;
      },
    );
    const [slackOk, twilioOk] = await Promise.all([slackReady, twilioReady]);
    if (!slackOk || !twilioOk || abort.signal.aborted) return;
    running = parts.startWork();
    logger.info({ mode: socketMode ? "socket" : "http" }, "ready");
  };
  async function startSocketMode(app: App): Promise<void> {
    await (app.start() as Promise<unknown>).catch((error: unknown) => {
      throw new StartupError(
        `Slack did not open a Socket Mode connection with SLACK_APP_TOKEN (${(error as Error).message}). Create an app-level token with connections:write under Basic Information → App-Level Tokens, and turn Socket Mode on.`,
        { cause: error },
      );
    });
  }

  async function waitForService(service: "slack" | "twilio", check: () => Promise<CheckOutcome>): Promise<boolean> {
    try {
      const ok = await untilReachable(check, {
        service,
        signal: abort.signal,
        onUnreachable: (o, retryInSeconds) =>
          logger.warn(
            { service, host: o.host, call: o.call, reason: o.reason, retryInSeconds },
            `${service} unreachable: ${o.call} to ${o.host} failed (${o.reason}); retrying in ${retryInSeconds} s`,
          ),
      });
      if (ok) logger.info({ service, ...ok.detail }, `${service} credentials accepted`);
      return ok !== null;
    } catch (error) {
      if (!(error instanceof CredentialsRejected)) throw error;
      throw new StartupError(
        service === "slack"
          ? `Slack did not accept SLACK_BOT_TOKEN (${error.message}). Check the token under OAuth & Permissions, and that the app is installed in the workspace.`
          : `Twilio did not accept TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (${error.message}). Copy both from the Twilio Console → Account Info.`,
        { cause: error },
      );
    }
  }

  const booting = boot();
  const ready = booting.catch((error: unknown) => {
    readiness.markFailed(error instanceof Error ? error.message : String(error));
    throw error instanceof StartupError
      ? error
      : new StartupError(`Could not start: ${(error as Error).message}`, { cause: error });
  });
  // A caller that never awaits `ready` still sees the failure in the log, not as an unhandled rejection.
  ready.catch(() => undefined);
  let stopping: Promise<void> | undefined;
  return {
    localUrl: `http://127.0.0.1:${port}`,
    ready,
    admission: admission.stats,
    get db(): Database {
      if (!db) throw new Error("the database is not open yet");
      return db;
    },
    stop({ drainMs = 0 }: StopOptions = {}) {
      stopping ??= (async () => {
        readiness.markStopping();
        abort.abort();
        if (drainMs > 0) await new Promise((r) => setTimeout(r, drainMs));
        await server.close();
        // The database may still be opening or migrating: let that finish, then close it.
        await booting.catch(() => undefined);
        await running?.stop();
        await db?.close();
      })();
      return stopping;
    },
  };
}

/** Builds every part from the open database; nothing here touches the network until `startWork`. */
function composeApp(db: Database, config: Config, logger: Logger, clock: () => Date, options: AppOptions) {
  const socketMode = config.slack.appToken !== undefined;
  const sms = createTwilioGateway(config.twilio, config.publicUrl, { logger });
  const sender = config.twilio.messagingServiceSid ?? config.twilio.fromNumber ?? "";
  let inboxStarted = false;
  const readSlackFile = slackFileReader(config.slack.botToken, config.slack.apiUrl);
  const inbox = new ConversationInbox(
    {
      db,
      sms,
      sender,
      clock,
      render: slackThreadRenderer,
      unmatchedChannel: config.slack.unmatchedChannel ?? null,
      logger,
      readSlackFile,
      publicUrl: config.publicUrl,
      webhooksSetUp: config.webhooks !== undefined,
    },
    { names: (ids) => userNames(lookups, ids), roleOf: (id) => roles.roleOf(id) },
  );
  const webhookDeps = {
    prisma: db.prisma,
    sql: db.sql,
    authToken: config.twilio.authToken,
    publicUrl: config.publicUrl,
    logger,
    clock,
    // Texts that arrive before Slack is ready are stored and wait for the inbox to start.
    onInboundStored: () => inboxStarted && inbox.wake(),
  };
  const receiver = socketMode
    ? new SocketModeReceiver({
        appToken: config.slack.appToken!,
        logger: boltLogger(logger),
        installerOptions: { clientOptions: config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {} },
      })
    : new HTTPReceiver({
        signingSecret: config.slack.signingSecret,
        // Listeners finish (and write what they must) before Slack gets its 200: at-least-once handling.
        processBeforeResponse: true,
        logger: boltLogger(logger),
      });
  const app = new App({
    token: config.slack.botToken,
    receiver,
    deferInitialization: true,
    logger: boltLogger(logger),
    clientOptions: config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {},
  });
  const background = new BackgroundWork(logger);
  // Roles and names are looked up with a time limit: the inbox waits on them, and opt-outs queue behind it.
  const lookups = lookupWebClient(config.slack.botToken, { apiUrl: config.slack.apiUrl, logger });
  const roles = slackRoleDirectory(lookups, { organizerGroup: config.slack.organizerGroup, logger });
  // Bot posts leave through the outbox, on a client of its own so Bolt's stays free for modals.
  const outbox = new SlackOutboxDrainer({
    prisma: db.prisma,
    poster: new WebClientSlackPoster(outboxWebClient(config.slack.botToken, { apiUrl: config.slack.apiUrl, logger })),
    logger,
    settleHooks: { [THREAD_ROOT_HOOK]: threadRootSettled },
    onChannelBlocked: tellOrganizersChannelBlocked({
      render: slackThreadRenderer,
      unmatchedChannel: config.slack.unmatchedChannel ?? null,
      logger,
    }),
    ...(options.slackChannelRate ? { rate: options.slackChannelRate } : {}),
  });
  registerListeners(app, {
    db,
    logger,
    botToken: config.slack.botToken,
    background,
    smsSegmentPriceUsd: config.smsSegmentPriceUsd,
    mmsPriceUsd: config.mmsPriceUsd,
    publicUrl: config.publicUrl,
    fetchMedia: options.fetchMedia ?? fetch,
    orgTimeZone: config.organization.timeZone,
    sms,
    sender,
    clock,
    inbox,
    outbox,
    roles,
    ...(options.importDownloadTimeoutMs ? { importDownloadTimeoutMs: options.importDownloadTimeoutMs } : {}),
  });
  const httpReceiver = receiver instanceof HTTPReceiver ? receiver : undefined;
  return {
    app,
    handlers: {
      sms: inboundSmsRoute(webhookDeps),
      status: statusCallbackRoute(webhookDeps),
      shortLink: shortLinkRoute({ db, logger, clock }),
      media: mediaRoute(db, clock, logger),
      ...(httpReceiver
        ? { slack: (req: IncomingMessage, res: ServerResponse) => httpReceiver.requestListener(req, res) }
        : {}),
    },
    /** Jobs, the outbox and the inbox; what `stop()` waits for, in order. */
    startWork() {
      const scheduler = startScheduler(jobDeps({ db, logger, sms, clock }, config), options.scheduledJobs);
      // Make up for runs missed while no process was up (each job's effect is idempotent per period).
      background.run("jobs-at-boot", () => scheduler.runAll());
      outbox.start();
      inboxStarted = true;
      inbox.start();
      return {
        async stop() {
          if (socketMode) await app.stop();
          await scheduler.stop();
          await background.drain();
          await inbox.stop();
          await outbox.stop();
        },
      };
    },
  };
}

function describeTarget(config: Config): string {
  if (config.database.kind === "pglite") return `embedded database in ${config.database.dataDir ?? "memory"}`;
  const url = new URL(config.database.url);
  return `PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname}`;
}

/** What jobs need, from the app's parts and its settings (also used by `npm run job`). */
export function jobDeps(parts: Pick<JobDeps, "db" | "logger" | "sms" | "clock">, config: Config): JobDeps {
  return {
    ...parts,
    render: slackThreadRenderer,
    campaignPosts: slackWindowNotes,
    settings: {
      orgTimeZone: config.organization.timeZone,
      nudgeAfterMinutes: config.conversations.nudgeAfterMinutes,
      releaseAfterMinutes: config.conversations.releaseAfterMinutes,
    },
    renderDigest: slackDigestRenderer,
    webhooks: config.webhooks ?? null,
    permalinks: new WebClientPermalinks(
      permalinkWebClient(config.slack.botToken, { apiUrl: config.slack.apiUrl, logger: parts.logger }),
      parts.logger,
    ),
    threadFiles: new WebClientThreadFiles(
      threadFilesWebClient(config.slack.botToken, { apiUrl: config.slack.apiUrl, logger: parts.logger }),
    ),
    fetchTwilioMedia: twilioMediaFetcher(config.twilio),
    unmatchedChannel: config.slack.unmatchedChannel ?? null,
  };
}
