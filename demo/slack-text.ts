/**
 * Slack's message formats, read the way a person sees them in the channel: mrkdwn (bold, links,
 * mentions, emoji codes, quotes) and Block Kit blocks, as plain text for the transcript or as
 * HTML for the page. Only what the app posts is covered.
 */
import type { Block } from "./driver";
import type { Names } from "./recorder";

const EMOJI: Record<string, string> = {
  x: "❌",
  white_check_mark: "✅",
  hourglass_flowing_sand: "⏳",
  hourglass: "⌛",
  warning: "⚠️",
  no_entry_sign: "🚫",
  no_entry: "⛔",
  information_source: "ℹ️",
  double_vertical_bar: "⏸️",
  alarm_clock: "⏰",
  sunrise: "🌅",
  rotating_light: "🚨",
  memo: "📝",
  file_cabinet: "🗄️",
  calendar: "📅",
  busts_in_silhouette: "👥",
  arrow_forward: "▶️",
  wave: "👋",
  wastebasket: "🗑️",
  tada: "🎉",
  speech_balloon: "💬",
  rocket: "🚀",
  mailbox_with_mail: "📬",
  lock: "🔒",
  leftwards_arrow_with_hook: "↩️",
  ledger: "📒",
  large_green_circle: "🟢",
  iphone: "📱",
  grey_question: "❔",
  fast_forward: "⏩",
  bar_chart: "📊",
};

/** Slack's escapes undone, mentions and channels named, emoji codes drawn. */
function common(text: string, names: Names, link: (url: string, label: string) => string): string {
  return text
    .replace(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g, (_, id: string) => `@${names.userName(id)}`)
    .replace(/<#([CG][A-Z0-9]+)(?:\|([^>]*))?>/g, (_, id: string, name?: string) => `#${name || names.channelName(id)}`)
    .replace(/<!(here|channel|everyone)>/g, "@$1")
    .replace(/<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>/g, (_, url: string, label?: string) => link(url, label ?? url))
    .replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI[name] ?? whole)
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

const EMPHASIS = /(^|[\s(“"'>•])([*_~])(?=\S)([^*_~\n]*?\S)\2(?=$|[\s).,:;!?”"'…])/gm;

/** mrkdwn as plain text: emphasis markers dropped, links as "label (url)", quotes indented. */
export function mrkdwnToText(text: string, names: Names): string {
  const plain = common(text, names, (url, label) => (label === url ? url : `${label} (${url})`));
  return plain
    .replace(EMPHASIS, "$1$3")
    .replace(/`([^`\n]+)`/g, "$1")
    .replace(/^>\s?/gm, "│ ");
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** mrkdwn as HTML: escaped first, then links, mentions, emphasis, code and quotes. */
export function mrkdwnToHtml(text: string, names: Names): string {
  const links: string[] = [];
  // Links are set aside (as private-use characters) so their URLs are not read as emphasis, then put back.
  const marked = common(text, names, (url, label) => {
    links.push(`<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>`);
    return `\uE000${links.length - 1}\uE001`;
  });
  const html = escapeHtml(marked)
    .replace(/(^|[\s(])@([A-Z][\w.]*(?: [A-Z][\w.]*)?|here|channel|everyone)/g, '$1<span class="mention">@$2</span>')
    .replace(/(^|[\s(])#([a-z0-9_-]+)/g, '$1<span class="mention">#$2</span>')
    .replace(/`([^`\n]+)`/g, "<code>$1</code>")
    .replace(EMPHASIS, (_, before: string, mark: string, inner: string) => {
      const tag = mark === "*" ? "b" : mark === "_" ? "i" : "s";
      return `${before}<${tag}>${inner}</${tag}>`;
    });
  const lines = html.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const quoted: string[] = [];
    while (i < lines.length && lines[i]!.startsWith("&gt;")) quoted.push(lines[i++]!.replace(/^&gt;\s?/, ""));
    if (quoted.length) {
      out.push(`<blockquote>${quoted.join("<br>")}</blockquote>`);
      i--;
    } else out.push(`${lines[i]}<br>`);
  }
  return out
    .join("")
    .replace(/<br>$/, "")
    .replace(/\uE000(\d+)\uE001/g, (_, n: string) => links[Number(n)]!);
}

type Element = Record<string, unknown>;
const textOf = (value: unknown): string =>
  typeof value === "string" ? value : ((value as { text?: string } | undefined)?.text ?? "");

/** A control (button, menu) as it reads: "[Send]", "[Tag ▾]". */
function controlText(element: Element): string | null {
  switch (element.type) {
    case "button":
      return `[${textOf(element.text)}]`;
    case "static_select":
    case "external_select":
    case "users_select":
    case "conversations_select":
    case "overflow":
      return `[${textOf(element.placeholder) || "…"} ▾]`;
    default:
      return null;
  }
}

export interface RenderedBlock {
  kind: "text" | "context" | "actions" | "divider" | "header";
  /** mrkdwn (text, context, header) or control labels (actions). */
  parts: string[];
}

/** Blocks reduced to what is shown: texts, small print, and rows of controls. */
export function readBlocks(blocks: readonly Block[]): RenderedBlock[] {
  const out: RenderedBlock[] = [];
  for (const block of blocks) {
    const elements = (block.elements ?? []) as Element[];
    switch (block.type) {
      case "header":
        out.push({ kind: "header", parts: [textOf(block.text)] });
        break;
      case "section": {
        const fields = ((block as { fields?: unknown[] }).fields ?? []).map(textOf);
        const text = [textOf(block.text), ...fields].filter((t) => t !== "").join("\n");
        if (text) out.push({ kind: "text", parts: [text] });
        const control = block.accessory ? controlText(block.accessory) : null;
        if (control) out.push({ kind: "actions", parts: [control] });
        break;
      }
      case "context":
        out.push({ kind: "context", parts: elements.map((e) => textOf(e)).filter((t) => t !== "") });
        break;
      case "actions": {
        const controls = elements.map(controlText).filter((c): c is string => c !== null);
        if (controls.length) out.push({ kind: "actions", parts: controls });
        break;
      }
      case "divider":
        out.push({ kind: "divider", parts: [] });
        break;
      default:
        break;
    }
  }
  return out;
}
