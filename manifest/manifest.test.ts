import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { registerListeners } from "../src/slack";
import type { SlackDeps } from "../src/slack/deps";
import type { SlackListenerRegistrar } from "../src/slack/registrar";
import { MANIFEST_PATH, PLACEHOLDER_BASE, renderManifest, renderSocketModeManifest } from "./render";

interface Manifest {
  features: { slash_commands?: { command: string; url: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    socket_mode_enabled?: boolean;
    event_subscriptions?: { request_url: string; bot_events: string[] };
    interactivity?: { is_enabled: boolean; request_url: string; message_menu_options_url?: string };
  };
}

/** Everything the code registers with Bolt, recorded through the same registrar the app uses. */
function recordRegistrations() {
  const seen = { commands: [] as string[], events: [] as string[], interactive: [] as string[] };
  const constraint = (c: unknown) => (typeof c === "string" || c instanceof RegExp ? String(c) : JSON.stringify(c));
  const registrar = {
    command: (name: unknown) => seen.commands.push(String(name)),
    event: (name: unknown) => seen.events.push(String(name)),
    message: () => seen.events.push("message"),
    action: (c: unknown) => seen.interactive.push(`action ${constraint(c)}`),
    view: (c: unknown) => seen.interactive.push(`view ${constraint(c)}`),
    shortcut: (c: unknown) => seen.interactive.push(`shortcut ${constraint(c)}`),
    options: (c: unknown) => seen.interactive.push(`options ${constraint(c)}`),
  } as unknown as SlackListenerRegistrar;
  // Listeners only register here, nothing runs, so their dependencies are never touched.
  registerListeners(registrar, {} as SlackDeps);
  return seen;
}

/** Manifest bot events, and the scope each needs, for every event type a listener may take. */
const EVENT_SUBSCRIPTIONS: Record<string, { botEvents: string[]; scopes: string[] }> = {
  message: { botEvents: ["message.channels", "message.groups"], scopes: ["channels:history", "groups:history"] },
  file_shared: { botEvents: ["file_shared"], scopes: ["files:read"] },
  app_home_opened: { botEvents: ["app_home_opened"], scopes: [] },
  member_joined_channel: { botEvents: ["member_joined_channel"], scopes: ["channels:read", "groups:read"] },
};

/**
 * The bot scopes each Web API method the code calls needs (api.slack.com/methods). conversations.info
 * answers for the kind of conversation it is asked about, hence one scope per kind we meet.
 */
const METHOD_SCOPES: Record<string, string[]> = {
  "auth.test": [],
  "chat.postMessage": ["chat:write"],
  "chat.postEphemeral": ["chat:write"],
  "chat.update": ["chat:write"],
  "chat.getPermalink": [],
  "reactions.add": ["reactions:write"],
  "conversations.info": ["channels:read", "groups:read", "im:read"],
  "conversations.open": ["im:write"],
  "files.info": ["files:read"],
  "files.getUploadURLExternal": ["files:write"],
  "files.completeUploadExternal": ["files:write"],
  filesUploadV2: ["files:write"],
  "users.info": ["users:read"],
  "usergroups.list": ["usergroups:read"],
  "usergroups.users.list": ["usergroups:read"],
  "views.open": [],
  "views.update": [],
  "views.publish": [],
};

/** Every Slack Web API method named in the Slack-facing source (client.a.b(…), apiCall names, filesUploadV2). */
function methodsTheCodeCalls(): Set<string> {
  const root = path.resolve(__dirname, "../src");
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts")) files.push(full);
    }
  };
  for (const dir of ["slack", "services", "jobs"]) walk(path.join(root, dir));
  const found = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/\bclient\.([a-z]+)\.([a-zA-Z]+(?:\.[a-zA-Z]+)?)\(/g)) found.add(`${m[1]}.${m[2]}`);
    for (const m of text.matchAll(/"((?:chat|reactions|conversations|users|usergroups|files|views)\.[a-zA-Z.]+)"/g))
      found.add(m[1]!);
    if (text.includes("filesUploadV2(")) found.add("filesUploadV2");
  }
  return found;
}

describe("slack-manifest.yml", () => {
  const manifest = parse(readFileSync(MANIFEST_PATH, "utf8")) as Manifest;
  const scopes = manifest.oauth_config.scopes.bot;
  const registered = recordRegistrations();

  it("declares every slash command the code handles, with the commands scope", () => {
    expect(registered.commands.length).toBeGreaterThan(0);
    const declared = (manifest.features.slash_commands ?? []).map((c) => c.command);
    for (const command of registered.commands) expect(declared).toContain(command);
    expect(scopes).toContain("commands");
  });

  it("declares no slash command the code does not handle (users would get dispatch_failed)", () => {
    for (const command of manifest.features.slash_commands ?? [])
      expect(registered.commands).toContain(command.command);
  });

  it("subscribes to every event the code listens for, with its scopes", () => {
    const botEvents = manifest.settings.event_subscriptions?.bot_events ?? [];
    for (const event of registered.events) {
      const needs = EVENT_SUBSCRIPTIONS[event];
      expect(needs).toBeDefined();
      for (const e of needs!.botEvents) expect(botEvents).toContain(e);
      for (const s of needs!.scopes) expect(scopes).toContain(s);
    }
  });

  it("subscribes to no event that nothing listens to", () => {
    const listened = registered.events.flatMap((e) => EVENT_SUBSCRIPTIONS[e]?.botEvents ?? []);
    for (const event of manifest.settings.event_subscriptions?.bot_events ?? []) expect(listened).toContain(event);
  });

  it("asks for the scope of every Web API method the code calls", () => {
    const methods = methodsTheCodeCalls();
    expect(methods.size).toBeGreaterThan(5);
    const unknown = [...methods].filter((m) => !(m in METHOD_SCOPES));
    expect(unknown).toEqual([]);
    for (const method of methods)
      for (const scope of METHOD_SCOPES[method]!)
        expect([method, scopes]).toEqual([method, expect.arrayContaining([scope])]);
  });

  it("renders for Socket Mode: no request URLs, socket mode on, same scopes and events", () => {
    const socket = parse(renderSocketModeManifest()) as Manifest;
    expect(socket.settings.socket_mode_enabled).toBe(true);
    expect(renderSocketModeManifest()).not.toContain("YOUR-PUBLIC-HOST");
    expect(socket.features.slash_commands?.map((c) => c.command)).toEqual(
      manifest.features.slash_commands?.map((c) => c.command),
    );
    expect(socket.oauth_config.scopes.bot).toEqual(scopes);
    expect(socket.settings.event_subscriptions?.bot_events).toEqual(manifest.settings.event_subscriptions?.bot_events);
    expect(socket.settings.interactivity?.is_enabled).toBe(true);
  });

  it("enables interactivity when the code registers actions, views, shortcuts or options", () => {
    if (registered.interactive.length > 0) expect(manifest.settings.interactivity?.is_enabled).toBe(true);
    expect(scopes).toEqual(expect.arrayContaining(["chat:write", "chat:write.customize", "users:read"]));
  });

  it("gives Slack an options URL when the code answers searchable menus", () => {
    if (registered.interactive.some((r) => r.startsWith("options "))) {
      expect(manifest.settings.interactivity?.message_menu_options_url).toBe(
        manifest.settings.interactivity?.request_url,
      );
    }
  });

  it("renders with a public URL in every request URL, leaving no placeholder", () => {
    const rendered = parse(renderManifest("https://texting.example.org/")) as Manifest;
    const urls = [
      ...(rendered.features.slash_commands ?? []).map((c) => c.url),
      rendered.settings.event_subscriptions?.request_url,
      rendered.settings.interactivity?.request_url,
      ...(rendered.settings.interactivity?.message_menu_options_url
        ? [rendered.settings.interactivity.message_menu_options_url]
        : []),
    ];
    expect(urls.length).toBeGreaterThan(2);
    for (const url of urls) expect(url).toBe("https://texting.example.org/slack/events");
    expect(renderManifest("https://texting.example.org")).not.toContain(PLACEHOLDER_BASE);
    expect(() => renderManifest("http://texting.example.org")).toThrow(/only calls https/);
  });
});
