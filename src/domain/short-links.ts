/*
 * Tracked links. A link in a campaign's script goes out as `PUBLIC_URL/l/<code>`, one code per
 * contact and link, so a click says who clicked. Codes are 10 characters of [0-9A-Za-z] drawn from
 * a cryptographic source (about 59 bits): nobody can walk the codes to find other voters' links.
 * Carriers filter public shorteners more than a campaign's own domain, which is why the short form
 * lives on PUBLIC_URL.
 */

import { findLinkSpans } from "./script-lint";

export const SHORT_CODE_LENGTH = 10;
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const CODE = new RegExp(`^[0-9A-Za-z]{${SHORT_CODE_LENGTH}}$`);
/** The path prefix of a short link. */
export const SHORT_LINK_PATH = "/l/";

/** Whether `text` could be a short code (anything else is answered 404 without a query). */
export const isShortCode = (text: string): boolean => CODE.test(text);

/**
 * A code from random bytes (pass `crypto.randomBytes`). Bytes of 248 and above are skipped, so each
 * character is uniform over the 62 (248 = 4 × 62).
 */
export function shortCodeFrom(randomBytes: (size: number) => Uint8Array): string {
  let code = "";
  while (code.length < SHORT_CODE_LENGTH) {
    for (const byte of randomBytes(SHORT_CODE_LENGTH * 2)) {
      if (byte < 248 && code.length < SHORT_CODE_LENGTH) code += ALPHABET[byte % 62];
    }
  }
  return code;
}

export interface LinkInText {
  /** The link as written (without trailing punctuation). */
  text: string;
  /** Where it leads: the text, with https:// added to a bare www. link. */
  url: string;
  index: number;
}

/**
 * The links in a text as a phone would spot them (the script linter's rule: with a scheme, www., or a
 * bare domain such as vote.org/find), in order. Left alone: links already on `publicUrl` (short links
 * themselves) and the domain of an e-mail address.
 */
export function linksIn(text: string, publicUrl: string): LinkInText[] {
  const own = `${publicUrl.toLowerCase()}${SHORT_LINK_PATH}`;
  const links: LinkInText[] = [];
  for (const { link, index } of findLinkSpans(text)) {
    if (!link.includes(".") || link.toLowerCase().startsWith(own) || text[index - 1] === "@") continue;
    const url = /^https?:\/\//i.test(link) ? link : `https://${link}`;
    links.push({ text: link, url, index });
  }
  return links;
}

/** The short link for a code. */
export const shortLinkUrl = (publicUrl: string, code: string): string => `${publicUrl}${SHORT_LINK_PATH}${code}`;

/** Replaces every link with the short link `codeFor(url)` gives. */
export function rewriteLinks(text: string, publicUrl: string, codeFor: (url: string) => string): string {
  let out = "";
  let at = 0;
  for (const link of linksIn(text, publicUrl)) {
    out += text.slice(at, link.index) + shortLinkUrl(publicUrl, codeFor(link.url));
    at = link.index + link.text.length;
  }
  return out + text.slice(at);
}

/** A placeholder code of the real length: previews show (and count segments of) what voters will get. */
export const PREVIEW_CODE = "x".repeat(SHORT_CODE_LENGTH);

/** The text as voters get it, with every link in its short form (for previews and segment counts). */
export const previewShortLinks = (text: string, publicUrl: string): string =>
  rewriteLinks(text, publicUrl, () => PREVIEW_CODE);

// Link-preview fetchers and crawlers: Slack, Facebook and iMessage (facebookexternalhit/Facebot),
// X, WhatsApp, Telegram, Discord, LinkedIn, Skype and search engines. A preview is not a click.
const PREVIEW_AGENTS =
  /slackbot|slack-imgproxy|facebookexternalhit|facebot|twitterbot|whatsapp|telegrambot|discordbot|linkedinbot|skypeuripreview|googlebot|bingbot|applebot|embedly|bot\b|crawler|spider|preview/i;

/** Whether a request to a short link is a person's click: not a HEAD, not a preview fetcher or bot, not agentless. */
export function isPersonClick(method: string, userAgent: string | undefined): boolean {
  if (method.toUpperCase() !== "GET") return false;
  if (!userAgent?.trim()) return false;
  return !PREVIEW_AGENTS.test(userAgent);
}
