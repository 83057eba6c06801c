import sharp, { type Metadata, type Sharp } from "sharp";
import { MediaRefused, kb } from "./refusal";
import type { MediaKind } from "./sniff";

/** Handsets show pictures small and Twilio resizes JPEG/PNG anyway: more pixels only cost bytes. */
const LONGEST_SIDE = 2048;
const SMALLEST_SIDE = 320;
const QUALITIES = [40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90];
const PNG_SIDES = [1600, 1024, 640];

export interface CompressedMedia {
  body: Buffer;
  contentType: string;
}

type Pixels = { data: Buffer; width: number; height: number; channels: 1 | 2 | 3 | 4 };

const damaged = () =>
  new MediaRefused(
    "damaged",
    "This picture could not be read: the file seems damaged or cut short. Open it on your device, save or export it again as a JPEG, and try again.",
  );

const heic = () =>
  new MediaRefused(
    "heic",
    "This is an iPhone HEIC photo, which cannot be sent by text. Share it as a JPEG instead (on the iPhone: Settings → Camera → Formats → Most Compatible, or export the photo as JPEG).",
  );

/**
 * A still picture (JPEG, PNG, WebP, AVIF, one-frame GIF) as a JPEG, or a PNG when it has
 * transparency and fits as one, at most `maxBytes`: EXIF rotation applied and metadata dropped,
 * the largest size and best quality that fit.
 */
export async function compressImage(input: Buffer, kind: MediaKind, maxBytes: number): Promise<CompressedMedia> {
  let meta: Metadata;
  try {
    meta = await sharp(input, { failOn: "error" }).metadata();
  } catch {
    throw kind === "heic" ? heic() : damaged();
  }
  const untouched =
    (kind === "jpeg" || kind === "png") &&
    input.length <= maxBytes &&
    !meta.exif &&
    !meta.xmp &&
    !meta.iptc &&
    (meta.orientation ?? 1) === 1;
  if (untouched) return { body: input, contentType: kind === "png" ? "image/png" : "image/jpeg" };

  const pixels = await decode(input, kind);
  if (meta.hasAlpha) {
    const png = await fitAsPng(pixels, maxBytes);
    if (png) return { body: png, contentType: "image/png" };
  }
  const jpeg = await fitAsJpeg(pixels, maxBytes);
  if (jpeg) return { body: jpeg, contentType: "image/jpeg" };
  throw new MediaRefused(
    "too-large",
    `This picture cannot be made smaller than ${kb(maxBytes)} even at ${SMALLEST_SIDE} pixels wide. Crop it or send a link to it instead.`,
  );
}

/** Decoded once, upright and at most LONGEST_SIDE, so each quality tried only encodes. */
async function decode(input: Buffer, kind: MediaKind): Promise<Pixels> {
  try {
    const { data, info } = await sharp(input, { failOn: "error" })
      .rotate()
      .resize({ width: LONGEST_SIDE, height: LONGEST_SIDE, fit: "inside", withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch {
    throw kind === "heic" ? heic() : damaged();
  }
}

function scaled(pixels: Pixels, side: number): Sharp {
  const image = sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } });
  return Math.max(pixels.width, pixels.height) > side
    ? image.resize({ width: side, height: side, fit: "inside" })
    : image;
}

async function fitAsPng(pixels: Pixels, maxBytes: number): Promise<Buffer | null> {
  const longest = Math.max(pixels.width, pixels.height);
  for (const side of [longest, ...PNG_SIDES.filter((s) => s < longest)]) {
    const png = await scaled(pixels, side).png({ palette: true, compressionLevel: 9, effort: 4 }).toBuffer();
    if (png.length <= maxBytes) return png;
  }
  return null;
}

/**
 * The largest side whose lowest quality fits, then the best quality that fits at that side. The
 * next side tried is guessed from how far over the limit the last one was (bytes grow with pixels).
 */
async function fitAsJpeg(pixels: Pixels, maxBytes: number): Promise<Buffer | null> {
  const encode = (side: number, quality: number) =>
    scaled(pixels, side).flatten({ background: "#ffffff" }).jpeg({ quality, mozjpeg: true }).toBuffer();
  let side = Math.max(pixels.width, pixels.height);
  for (;;) {
    const lowest = await encode(side, QUALITIES[0]!);
    if (lowest.length <= maxBytes) return bestQuality(lowest, side, encode, maxBytes);
    if (side <= SMALLEST_SIDE) return null;
    const guess = Math.floor(side * Math.sqrt(maxBytes / lowest.length) * 0.95);
    side = Math.max(SMALLEST_SIDE, Math.min(guess, Math.floor(side * 0.9)));
  }
}

async function bestQuality(
  lowest: Buffer,
  side: number,
  encode: (side: number, quality: number) => Promise<Buffer>,
  maxBytes: number,
): Promise<Buffer> {
  let best = lowest;
  let lo = 1;
  let hi = QUALITIES.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const candidate = await encode(side, QUALITIES[mid]!);
    if (candidate.length <= maxBytes) {
      best = candidate;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}
