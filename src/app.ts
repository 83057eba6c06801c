import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { App } from "@slack/bolt";
import { BackgroundWork } from "./background";
import type { Config } from "./config";
import { openDatabase, type Database } from "./db/database";
import { applyMigrations } from "./db/migrate";
import type { ChannelRate } from "./domain/slack-rate";
import { AdmissionGate, DEFAULT_MAX_IN_FLIGHT, keepConnectionsOpen, type AdmissionStats } from "./http/admission";
import { healthRoute } from "./http/health";
import { shortLinkRoute } from "./http/short-links";
import { mediaRoute } from "./http/media";
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
import { slackRoleDirectory } from "./slack/roles";
import { userNames } from "./slack/user-names";
import { registerListeners } from "./slack";
import { startScheduler, type JobDeps } from "./jobs/scheduler";
import { outboxWebClient, WebClientSlackPoster } from "./slack/outbox-poster";
import { createTwilioGateway } from "./sms/twilio-gateway";
import { inboundSmsRoute, statusCallbackRoute } from "./sms/webhooks";

export interface RunningApp {
  /** Where the server listens locally, e.g. http://127.0.0.1:3000. */
  readonly localUrl: string;
  readonly db: Database;
  /** Slack and Twilio requests in progress now, and how many were refused with 503 (overload). */
  readonly admission: AdmissionStats;
  /** Stops accepting, lets in-flight requests, background work (imports) and Slack posts in flight finish, then closes the database. */
  stop(): Promise<void>;
}

/** A start-up failure with a message an operator can act on. */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StartupError";
  }
}

/** Composes the app: database → migrations → Bolt (Slack routes + custom routes) → listening server. */
export interface AppOptions {
  /** The one clock (tests set it to check sending hours and caps at a chosen time). */
  clock?: () => Date;
  /** How media links are downloaded (default: the global fetch); tests route them to a local server. */
  fetchMedia?: typeof fetch;
  /** Slack's per-channel posting rate (tests scale it up to drain a backlog quickly). */
  slackChannelRate?: ChannelRate;
  /** How long an import may take to download its file from Slack (tests shorten it). */
  importDownloadTimeoutMs?: number;
}

export async function startApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<RunningApp> {
  const clock = options.clock ?? (() => new Date());
  const db = await openDatabase(config.database).catch((error: unknown) => {
    throw new StartupError(`Could not open the database (${describeTarget(config)}): ${(error as Error).message}`, {
      cause: error,
    });
  });
  try {
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

    const sms = createTwilioGateway(config.twilio, config.publicUrl, { logger });
    const sender = config.twilio.messagingServiceSid ?? config.twilio.fromNumber ?? "";
    const inbox = new ConversationInbox(
      {
        db,
        sms,
        sender,
        clock,
        render: slackThreadRenderer,
        unmatchedChannel: config.slack.unmatchedChannel ?? null,
        logger,
        readSlackFile: slackFileReader(config.slack.botToken, config.slack.apiUrl),
        publicUrl: config.publicUrl,
      },
      { names: (ids) => userNames(app.client, ids), roleOf: (id) => roles.roleOf(id) },
    );
    const webhookDeps = {
      prisma: db.prisma,
      sql: db.sql,
      authToken: config.twilio.authToken,
      publicUrl: config.publicUrl,
      logger,
      clock,
      onInboundStored: () => inbox.wake(),
    };
    const app = new App({
      token: config.slack.botToken,
      signingSecret: config.slack.signingSecret,
      // Listeners finish (and write what they must) before Slack gets its 200: at-least-once handling.
      processBeforeResponse: true,
      deferInitialization: true,
      logger: boltLogger(logger),
      clientOptions: config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {},
      customRoutes: [
        { path: "/healthz", method: "GET", handler: healthRoute(() => db.ping(), logger) },
        { path: "/twilio/sms", method: "POST", handler: inboundSmsRoute(webhookDeps) },
        { path: "/twilio/status", method: "POST", handler: statusCallbackRoute(webhookDeps) },
        { path: "/l/:code", method: ["GET", "HEAD"], handler: shortLinkRoute({ db, logger, clock }) },
        { path: "/media/:id", method: ["GET", "HEAD"], handler: mediaRoute(db, clock, logger) },
      ],
    });
    const background = new BackgroundWork(logger);
    const roles = slackRoleDirectory(app.client, { organizerGroup: config.slack.organizerGroup, logger });
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
    // Bolt checks the token lazily, on the first request; check it now so a bad token fails the boot.
    await app
      .init()
      .then(() => app.client.auth.test())
      .catch((error: unknown) => {
        throw new StartupError(
          `Slack did not accept SLACK_BOT_TOKEN (${(error as Error).message}). Check the token under OAuth & Permissions, and that the app is installed in the workspace.`,
          { cause: error },
        );
      });
    const server: Server = await app.start(config.port);
    // Overload gets a quick 503 with Retry-After on Slack's and Twilio's routes, never a reset connection.
    const admission = new AdmissionGate(config.http?.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, logger);
    admission.install(server);
    keepConnectionsOpen(server);
    const scheduler = startScheduler(jobDeps({ db, logger, sms, clock }, config));
    // Make up for runs missed while no process was up (each job's effect is idempotent per period).
    background.run("jobs-at-boot", () => scheduler.runAll());
    outbox.start();
    inbox.start();
    const { port } = server.address() as AddressInfo;
    let stopping: Promise<void> | undefined;
    return {
      localUrl: `http://127.0.0.1:${port}`,
      db,
      admission: admission.stats,
      stop() {
        stopping ??= (async () => {
          const closed = app.stop();
          server.closeIdleConnections();
          await closed;
          await scheduler.stop();
          await background.drain();
          await inbox.stop();
          await outbox.stop();
          await db.close();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
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
