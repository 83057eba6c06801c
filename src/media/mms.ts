import sharp from "sharp";
import { compressImage, type CompressedMedia } from "./images";
import { MediaRefused } from "./refusal";
import { describeContentType, sniffMedia } from "./sniff";
import { compressAnimatedGif, compressVideo } from "./video";

export { MediaRefused, type MediaRefusalReason } from "./refusal";

/** What every major US carrier accepts for one MMS item. */
export const MMS_MAX_BYTES = 614_400;

/**
 * Media ready for MMS, at most `maxBytes` (600 KB by default): pictures as JPEG or PNG (upright,
 * metadata dropped, the best quality that fits), animated GIFs still animated, videos as H.264/AAC
 * MP4. Anything that cannot be sent is refused with a `MediaRefused` (a UserError) saying what to
 * do instead; the declared content type is only a hint, the bytes decide.
 */
export async function compressForMms(
  input: Buffer,
  contentType: string,
  options?: { maxBytes?: number },
): Promise<{ body: Buffer; contentType: string }> {
  const maxBytes = options?.maxBytes ?? MMS_MAX_BYTES;
  if (!Number.isFinite(maxBytes) || maxBytes < 10_240)
    throw new RangeError(`maxBytes must be at least 10 KB (got ${maxBytes})`);
  if (input.length === 0)
    throw new MediaRefused("damaged", "This file is empty (0 bytes). Attach the picture or video again.");
  const kind = sniffMedia(input);
  switch (kind) {
    case "jpeg":
    case "png":
    case "webp":
    case "avif":
    case "heic":
      return compressImage(input, kind, maxBytes);
    case "gif":
      return (await isAnimated(input)) ? compressAnimatedGif(input, maxBytes) : compressImage(input, kind, maxBytes);
    case "mp4":
    case "webm":
      return compressVideo(input, maxBytes);
    case "pdf":
      throw new MediaRefused(
        "unsupported-type",
        "A PDF cannot be sent by text. Send a link to it instead, or attach a picture (JPEG or PNG) of the page.",
      );
    case "unknown":
      throw refuseUnknown(contentType);
  }
}

async function isAnimated(gif: Buffer): Promise<boolean> {
  try {
    return ((await sharp(gif).metadata()).pages ?? 1) > 1;
  } catch {
    throw new MediaRefused(
      "damaged",
      "This GIF could not be read: the file seems damaged. Save it again and retry, or send a link to it.",
    );
  }
}

function refuseUnknown(contentType: string): MediaRefused {
  const declared = contentType.split(";")[0]!.trim().toLowerCase();
  if (declared.startsWith("image/") || declared.startsWith("video/"))
    return new MediaRefused(
      "damaged",
      `This file says it is ${describeContentType(contentType)}, but it cannot be read as one: it may be damaged, or of a kind texts cannot carry. Save or export it again as a JPEG picture or an MP4 video and retry.`,
    );
  return new MediaRefused(
    "unsupported-type",
    `${capitalize(describeContentType(contentType))} cannot go out as a picture message: only pictures (JPEG, PNG, WebP, GIF) and videos (MP4, MOV, WebM) can. Send a link to it instead.`,
  );
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export type { CompressedMedia };
