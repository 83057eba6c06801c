/**
 * The demo as a static page that looks like Slack: the story in order (each post in its channel,
 * thread replies under their thread, cards only their volunteer sees), then each thread whole as
 * Slack's thread pane shows it, then each voter's phone. One file, no script, no outside resource.
 */
import type { DemoEvent, Names } from "./recorder";
import type { DemoRun } from "./scenario";
import { escapeHtml as esc, mrkdwnToHtml, mrkdwnToText, readBlocks } from "./slack-text";
import { fileLabel, phoneLabel, summaryLines, Threads, timeLabel, visibleEvents } from "./transcript";

type Post = Extract<DemoEvent, { kind: "post" }>;
type HumanPost = Extract<DemoEvent, { kind: "human-post" }>;

const clockTime = (at: Date) =>
  new Intl.DateTimeFormat("en-US", { hour: "numeric", minute: "2-digit", timeZone: "America/New_York" }).format(at);

function avatar(name: string, bot: boolean): string {
  const initials = name
    .split(/\s+/)
    .map((w) => w[0] ?? "")
    .join("")
    .slice(0, 2)
    .toUpperCase();
  let hue = 0;
  for (const ch of name) hue = (hue * 31 + ch.charCodeAt(0)) % 360;
  return `<div class="avatar${bot ? " bot" : ""}" style="background:hsl(${hue} 45% 42%)">${esc(initials)}</div>`;
}

function blocksHtml(post: { text: string; blocks: Post["blocks"] }, names: Names): string {
  const blocks = readBlocks(post.blocks);
  if (blocks.length === 0) return `<div class="text">${mrkdwnToHtml(post.text, names)}</div>`;
  return blocks
    .map((b) => {
      switch (b.kind) {
        case "divider":
          return `<hr>`;
        case "actions":
          return `<div class="actions">${b.parts.map((p) => `<span class="button">${esc(p.replace(/^\[|\]$/g, ""))}</span>`).join("")}</div>`;
        case "context":
          return `<div class="context">${b.parts.map((p) => mrkdwnToHtml(p, names)).join(" · ")}</div>`;
        default:
          return `<div class="text">${b.parts.map((p) => mrkdwnToHtml(p, names)).join("<br>")}</div>`;
      }
    })
    .join("");
}

function message(author: string, bot: boolean, at: Date, body: string, extra: { note?: string; cls?: string } = {}) {
  return `<div class="message${extra.cls ? ` ${extra.cls}` : ""}">${avatar(author, bot)}<div class="content"><div class="meta"><span class="author">${esc(author)}</span>${bot ? '<span class="app">APP</span>' : ""}<span class="time">${esc(clockTime(at))}</span>${extra.note ? `<span class="note">${esc(extra.note)}</span>` : ""}</div>${body}</div></div>`;
}

function postHtml(post: Post, names: Names): string {
  const author = post.username ?? "Texting Bot";
  const notes = [post.edits === "card" ? "replaced the card" : post.edits ? "(edited)" : null].filter(Boolean);
  const body =
    (post.onlyFor ? `<div class="ephemeral">👁 Only visible to ${esc(names.userName(post.onlyFor))}</div>` : "") +
    blocksHtml(post, names);
  return message(author, post.username === null, post.at, body, {
    note: notes.join(" "),
    cls: post.onlyFor ? "only-you" : undefined,
  });
}

function eventHtml(event: DemoEvent, names: Names, threads: Threads): string {
  const place = (channel: string, threadTs: string | null) =>
    `<div class="where">${esc(threads.where(channel, threadTs))}</div>`;
  const wrap = (channel: string, threadTs: string | null, inner: string) =>
    `<div class="entry${threadTs ? " in-thread" : ""}">${place(channel, threadTs)}${inner}</div>`;
  switch (event.kind) {
    case "scene":
      return `<div class="divider"><span>${esc(timeLabel(event.at))}</span></div><h2 class="scene">${esc(event.title)}</h2>`;
    case "typed":
      return wrap(
        event.channel,
        null,
        message(names.userName(event.user), false, event.at, `<div class="text"><code>${esc(event.text)}</code></div>`),
      );
    case "clicked":
      return `<div class="action-note">${esc(names.userName(event.user))} clicks <span class="button">${esc(event.label)}</span></div>`;
    case "picked":
      return `<div class="action-note">${esc(names.userName(event.user))} picks <b>${esc(event.option)}</b> in <span class="button">${esc(event.menu)} ▾</span></div>`;
    case "modal":
      return `<div class="modal-note">🗔 The form <b>${esc(event.title)}</b> opens${event.user ? ` for ${esc(names.userName(event.user))}` : ""}</div>`;
    case "form":
      return `<div class="modal"><div class="modal-title">${esc(event.title)}${event.again ? " · changed and submitted again" : ""}</div><dl>${event.fields
        .map(([label, value]) => `<dt>${esc(label)}</dt><dd>${mrkdwnToHtml(value, names)}</dd>`)
        .join("")}</dl><div class="modal-submit">Submitted by ${esc(names.userName(event.user))}</div></div>`;
    case "form-errors":
      return `<div class="modal errors"><div class="modal-title">${esc(event.title)} stays open</div><dl>${event.errors
        .map(([label, text]) => `<dt>${esc(label)}</dt><dd class="error">${esc(text)}</dd>`)
        .join("")}</dl></div>`;
    case "post":
      threads.noteRoot(event.channel, event.ts, mrkdwnToText(event.text, names).split("\n")[0]!);
      return wrap(event.channel, event.threadTs, postHtml(event, names));
    case "human-post":
      return wrap(
        event.channel,
        event.threadTs,
        message(names.userName(event.user), false, event.at, `<div class="text">${esc(event.text)}</div>`),
      );
    case "reaction":
      return `<div class="reaction">${mrkdwnToHtml(`:${event.name}:`, names)} 1 <span class="note">Texting Bot: the reply went out as a text</span></div>`;
    case "file":
      return wrap(event.channel, event.threadTs, message("Texting Bot", true, event.at, fileHtml(event, names)));
    case "home":
      return `<section class="home"><div class="home-head">🏠 Home tab of Texting Bot, as ${esc(names.userName(event.user))} sees it on opening it</div>${blocksHtml({ text: "", blocks: event.blocks }, names)}</section>`;
    case "sms-in":
    case "sms-out":
      return smsHtml(event, names);
  }
}

/** A shared file: its message, then the picture itself (from the bytes the fake Slack received) or a file card. */
function fileHtml(event: Extract<DemoEvent, { kind: "file" }>, names: Names): string {
  const comment = event.comment ? `<div class="text">${mrkdwnToHtml(event.comment, names)}</div>` : "";
  const caption = `${esc(event.name)} <span class="note">${esc(fileLabel(event))}</span>`;
  if (!event.png) return `${comment}<div class="file">📄 ${caption}</div>`;
  const src = `data:image/png;base64,${event.png.toString("base64")}`;
  return `${comment}<figure class="file image"><img src="${src}" alt="${esc(event.name)}"><figcaption>${caption}</figcaption></figure>`;
}

function smsHtml(event: Extract<DemoEvent, { kind: "sms-in" | "sms-out" }>, names: Names): string {
  const who = `${names.phoneName(event.phone)} ${phoneLabel(event.phone)}`;
  const incoming = event.kind === "sms-out"; // incoming on the voter's phone
  return `<div class="sms ${incoming ? "received" : "sent"}"><div class="sms-who">📱 ${esc(who)} ${incoming ? "receives" : "texts"}</div><div class="bubble">${esc(event.body)}</div></div>`;
}

/** Each thread whole: its first post and every reply, as Slack's thread pane lists them. */
function threadsHtml(events: readonly DemoEvent[], names: Names): string {
  const roots = new Map<string, Post>();
  const replies = new Map<string, Array<Post | HumanPost>>();
  for (const e of events) {
    if (e.kind === "post" && e.ts && !e.threadTs && !e.edits && !roots.has(`${e.channel}:${e.ts}`))
      roots.set(`${e.channel}:${e.ts}`, e);
    if ((e.kind === "post" || e.kind === "human-post") && e.threadTs) {
      const key = `${e.channel}:${e.threadTs}`;
      replies.set(key, [...(replies.get(key) ?? []), e]);
    }
  }
  return [...replies]
    .filter(([key]) => roots.has(key))
    .map(([key, list]) => {
      const root = roots.get(key)!;
      const items = list.map((r) =>
        r.kind === "post"
          ? postHtml(r, names)
          : message(names.userName(r.user), false, r.at, `<div class="text">${esc(r.text)}</div>`),
      );
      return `<section class="thread"><div class="thread-head">Thread in #${esc(names.channelName(root.channel))}</div>${postHtml(root, names)}<div class="reply-count">${list.length} ${list.length === 1 ? "reply" : "replies"}</div><div class="thread-replies">${items.join("")}</div></section>`;
    })
    .join("");
}

/** Each voter's phone: every text it sent and received, in order. */
function phonesHtml(events: readonly DemoEvent[], names: Names): string {
  const phones = new Map<string, Array<Extract<DemoEvent, { kind: "sms-in" | "sms-out" }>>>();
  for (const e of events)
    if (e.kind === "sms-in" || e.kind === "sms-out") phones.set(e.phone, [...(phones.get(e.phone) ?? []), e]);
  return [...phones]
    .map(
      ([phone, texts]) =>
        `<section class="phone"><div class="phone-head">${esc(names.phoneName(phone))}<br><small>${esc(phoneLabel(phone))}</small></div>${texts
          .map(
            (t) =>
              `<div class="sms ${t.kind === "sms-out" ? "received" : "sent"}"><div class="bubble">${esc(t.body)}</div><div class="sms-time">${esc(timeLabel(t.at))}</div></div>`,
          )
          .join("")}</section>`,
    )
    .join("");
}

export function demoPage(run: DemoRun): string {
  const events = visibleEvents(run.events);
  const threads = new Threads(run.names);
  const story = events.map((e) => eventHtml(e, run.names, threads)).join("\n");
  const channels = [...run.names.channels.values()].map((c) => `<li># ${esc(c)}</li>`).join("");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo: a texting campaign in Slack</title>
<style>${STYLE}</style>
</head>
<body>
<nav class="sidebar">
  <div class="workspace">Neighbors for Measure B</div>
  <div class="section-label">Channels</div>
  <ul>${channels}</ul>
  <div class="section-label">This page</div>
  <ul><li><a href="#story">Story</a></li><li><a href="#threads">Threads</a></li><li><a href="#phones">Phones</a></li><li><a href="#numbers">In numbers</a></li></ul>
</nav>
<main>
  <header><h1>A texting campaign in Slack, start to finish</h1><p>The real app on an in-memory embedded database; Slack and Twilio are local fakes on 127.0.0.1. Written by <code>npm run demo -- --html</code>.</p></header>
  <section id="story" class="story">${story}</section>
  <h2 id="threads" class="part">Threads</h2>
  <div class="threads">${threadsHtml(events, run.names)}</div>
  <h2 id="phones" class="part">Phones</h2>
  <div class="phones">${phonesHtml(events, run.names)}</div>
  <h2 id="numbers" class="part">In numbers</h2>
  <ul class="numbers">${summaryLines(run)
    .slice(1)
    .map((l) => `<li>${esc(l)}</li>`)
    .join("")}</ul>
</main>
</body>
</html>
`;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;display:flex;font:15px/1.46668 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d1c1d;background:#fff}
.sidebar{position:sticky;top:0;align-self:flex-start;height:100vh;width:240px;flex:none;background:#3f0e40;color:#cfc3cf;padding:12px 0}
.sidebar .workspace{color:#fff;font-weight:900;font-size:18px;padding:4px 16px 12px;border-bottom:1px solid #522653}
.sidebar .section-label{padding:14px 16px 4px;font-size:13px}
.sidebar ul{list-style:none;margin:0;padding:0}
.sidebar li{padding:3px 26px}
.sidebar a{color:#cfc3cf;text-decoration:none}
main{flex:1;min-width:0;padding:0 24px 48px;max-width:1000px}
header{border-bottom:1px solid #ddd;padding:12px 0}
header h1{font-size:20px;margin:0}
header p{color:#616061;margin:4px 0 0}
.divider{display:flex;align-items:center;margin:28px 0 4px}
.divider::before,.divider::after{content:"";flex:1;border-top:1px solid #ddd}
.divider span{border:1px solid #ddd;border-radius:24px;padding:2px 14px;font-size:13px;font-weight:700}
h2.scene{font-size:15px;margin:6px 0 10px;color:#1264a3}
h2.part{font-size:20px;border-top:1px solid #ddd;padding-top:24px;margin-top:40px}
.entry{margin:2px 0}
.entry.in-thread{margin-left:48px;border-left:3px solid #e8e8e8;padding-left:10px}
.where{font-size:12px;color:#616061;margin:6px 0 0 48px}
.message{display:flex;gap:8px;padding:6px 8px;border-radius:6px}
.message:hover{background:#f8f8f8}
.message.only-you{background:#f4f8fb}
.avatar{width:36px;height:36px;border-radius:6px;color:#fff;font-weight:700;display:flex;align-items:center;justify-content:center;flex:none;font-size:13px}
.content{min-width:0;flex:1}
.meta{display:flex;gap:6px;align-items:baseline}
.author{font-weight:900}
.app{background:#e8e8e8;color:#616061;font-size:10px;font-weight:700;padding:0 3px;border-radius:2px}
.time,.note{color:#616061;font-size:12px}
.text{white-space:normal;overflow-wrap:anywhere}
.context{color:#616061;font-size:13px;margin:2px 0}
.ephemeral{color:#616061;font-size:12px}
blockquote{margin:2px 0;border-left:4px solid #ddd;padding-left:10px}
code{background:#f6f6f6;border:1px solid #e8e8e8;border-radius:3px;padding:0 3px;color:#c01343;font-size:13px}
.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}
a{color:#1264a3}
hr{border:0;border-top:1px solid #e8e8e8}
.actions{display:flex;gap:8px;flex-wrap:wrap;margin:6px 0}
.button{display:inline-block;border:1px solid #bbb;border-radius:4px;padding:1px 10px;font-weight:700;font-size:13px;background:#fff}
.action-note,.modal-note{color:#616061;font-size:13px;margin:4px 0 4px 56px}
.modal{margin:8px 0 8px 56px;max-width:640px;border:1px solid #ddd;border-radius:8px;box-shadow:0 4px 12px rgba(0,0,0,.08)}
.modal-title{font-weight:900;padding:10px 16px;border-bottom:1px solid #eee}
.modal dl{margin:0;padding:8px 16px}
.modal dt{font-weight:700;font-size:13px;margin-top:6px}
.modal dd{margin:0 0 2px;overflow-wrap:anywhere}
.modal dd.error{color:#e01e5a}
.modal.errors{border-color:#e01e5a}
.modal-submit{padding:8px 16px;border-top:1px solid #eee;text-align:right;font-size:13px;color:#616061}
.reaction{margin:0 0 4px 104px;display:inline-block;border:1px solid #1d9bd1;background:#e8f5fa;border-radius:12px;padding:0 8px;font-size:13px}
.file{border:1px solid #ddd;border-radius:8px;padding:8px 12px;display:inline-block}
.file.image{margin:6px 0;padding:6px;max-width:100%}
.file.image img{display:block;width:480px;max-width:100%;height:auto;border-radius:4px}
.file.image figcaption{font-size:13px;padding-top:4px}
.home{margin:8px 0 8px 56px;max-width:640px;border:1px solid #ddd;border-radius:8px;padding:8px 16px;background:#fcfcfc}
.home-head{font-weight:900;border-bottom:1px solid #eee;padding-bottom:6px;margin-bottom:6px}
.sms{margin:6px 0 6px 56px;max-width:420px}
.sms-who{font-size:12px;color:#616061}
.bubble{display:inline-block;border-radius:16px;padding:6px 12px;max-width:100%}
.sms.received .bubble{background:#e9e9eb;color:#000}
.sms.sent .bubble{background:#34c759;color:#fff}
.thread{border:1px solid #ddd;border-radius:8px;margin:12px 0;padding:4px 8px}
.thread-head{font-weight:700;font-size:13px;color:#616061;padding:4px 8px}
.reply-count{font-size:13px;color:#616061;border-bottom:1px solid #eee;margin:0 8px 4px;padding:4px 0}
.phones{display:flex;flex-wrap:wrap;gap:16px}
.phone{width:300px;border:10px solid #1d1c1d;border-radius:28px;padding:12px 8px;background:#fff}
.phone-head{text-align:center;font-weight:700;border-bottom:1px solid #eee;padding-bottom:6px;margin-bottom:6px}
.phone .sms{margin:6px 0}
.phone .sms.sent{text-align:right}
.sms-time{font-size:11px;color:#8e8e93}
.numbers li{margin:4px 0}
`;
