import { randomBytes } from "node:crypto";

/**
 * Time-ordered UUIDs (RFC 9562 version 7, "method 1": a 12-bit counter after the millisecond
 * timestamp, random bits after that). Ids made in order land at the right edge of the primary-key
 * index, so a million-row import appends instead of splitting pages all over it; randomness is
 * drawn in blocks, so one id costs a fraction of a microsecond.
 */
let lastMs = -1;
let counter = 0;
let timePrefix = "";
let hexPool = "";
let hexOffset = 0;
const VARIANT = "89ab";

function randomHex(length: number): string {
  if (hexOffset + length > hexPool.length) {
    hexPool = randomBytes(32 * 1024).toString("hex");
    hexOffset = 0;
  }
  hexOffset += length;
  return hexPool.slice(hexOffset - length, hexOffset);
}

export function newId(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (++counter > 0xfff) {
    // 4,096 ids in one millisecond: borrow the next millisecond to stay ordered.
    lastMs++;
    counter = 0;
  }
  if (counter === 0) {
    const time = lastMs.toString(16).padStart(12, "0");
    timePrefix = `${time.slice(0, 8)}-${time.slice(8)}-7`;
  }
  const rand = randomHex(16);
  const variant = VARIANT[parseInt(rand[0]!, 16) & 3]!;
  return `${timePrefix}${counter.toString(16).padStart(3, "0")}-${variant}${rand.slice(1, 4)}-${rand.slice(4)}`;
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `text` is a UUID: ids that arrive in Slack payloads are checked before they reach a query. */
export const isUuid = (text: string): boolean => UUID_TEXT.test(text);
