import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { FfmpegTimedOut, probe, runFfmpeg, withScratch, type Probe } from "./ffmpeg";
import type { CompressedMedia } from "./images";
import { MediaRefused, kb } from "./refusal";

/** Below this a video stops being watchable, whatever its size on screen. */
export const MIN_VIDEO_KBPS = 100;
const AUDIO_KBPS = 32;
/** Room left for the MP4 container and the encoder overshooting its target. */
const CONTAINER_SHARE = 0.93;
const TRIES = 3;
export const VIDEO_TIME_LIMIT_MS = 180_000;

const TIERS = [
  { minKbps: 700, shortSide: 480, fps: 30 },
  { minKbps: 350, shortSide: 360, fps: 30 },
  { minKbps: 180, shortSide: 240, fps: 24 },
  { minKbps: 0, shortSide: 180, fps: 15 },
];

const damaged = () =>
  new MediaRefused(
    "damaged",
    "This video could not be read: the file seems damaged or cut short. Play it on your device, save or export it again as an MP4, and try again.",
  );

const tookTooLong = () =>
  new MediaRefused(
    "took-too-long",
    "This file took too long to shrink for a text. Send a shorter clip (under 30 seconds works best) or a link to it instead.",
  );

async function probeReadable(file: string, timeLimitMs: number, refuse: () => MediaRefused): Promise<Probe> {
  const info = await probe(file, Math.min(timeLimitMs, 30_000)).catch((error: unknown) => {
    if (error instanceof FfmpegTimedOut) throw tookTooLong();
    throw error;
  });
  if (!info.readable) throw refuse();
  return info;
}

/**
 * A video (MP4, MOV, WebM) as H.264/AAC MP4 within `maxBytes`: the bitrate is what the size allows
 * for its length, the resolution what that bitrate can show. Too long to stay watchable: refused.
 */
export async function compressVideo(
  input: Buffer,
  maxBytes: number,
  timeLimitMs: number = VIDEO_TIME_LIMIT_MS,
): Promise<CompressedMedia> {
  return withScratch(async (dir) => {
    const source = path.join(dir, "source");
    await writeFile(source, input);
    const info = await probeReadable(source, timeLimitMs, damaged);
    if (!info.video)
      throw new MediaRefused(
        "no-video-stream",
        "This file has no picture in it (sound only?). Only pictures and videos can be sent by text.",
      );
    const duration = info.durationSeconds;
    if (!duration || duration <= 0) throw damaged();
    const alreadyFits =
      input.length <= maxBytes &&
      info.video.codec === "h264" &&
      (!info.audio || info.audio.codec === "aac") &&
      (info.container ?? "").includes("mp4") &&
      info.majorBrand !== "qt";
    if (alreadyFits) return { body: input, contentType: "video/mp4" };

    const audioKbps = info.audio ? AUDIO_KBPS : 0;
    const longest = Math.floor((maxBytes * 8 * CONTAINER_SHARE) / 1000 / (MIN_VIDEO_KBPS + audioKbps));
    const totalKbps = (maxBytes * 8 * CONTAINER_SHARE) / 1000 / duration;
    let videoKbps = Math.floor(totalKbps - audioKbps);
    if (videoKbps < MIN_VIDEO_KBPS)
      throw new MediaRefused(
        "too-long",
        `This video is ${Math.round(duration)} seconds long: to fit in a text (${kb(maxBytes)}) it would be too blurry to watch. Cut it to ${longest} seconds or less, or send a link to it instead.`,
      );
    const started = Date.now();
    const target = path.join(dir, "out.mp4");
    for (let attempt = 0; attempt < TRIES; attempt++) {
      const left = timeLimitMs - (Date.now() - started);
      if (left <= 0) throw tookTooLong();
      const tier = TIERS.find((t) => videoKbps >= t.minKbps)!;
      const fps = Math.min(info.video.fps ?? tier.fps, tier.fps);
      const short = Math.min(tier.shortSide, Math.min(info.video.width, info.video.height));
      const scale = `scale='if(gt(iw,ih),-2,${short})':'if(gt(iw,ih),${short},-2)'`;
      const args = [
        ...["-y", "-i", source, "-map", "0:v:0", "-vf", `${scale},fps=${fps}`],
        ...["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-pix_fmt", "yuv420p"],
        ...["-b:v", `${videoKbps}k`, "-maxrate", `${Math.floor(videoKbps * 1.2)}k`, "-bufsize", `${videoKbps * 2}k`],
        ...(info.audio ? ["-map", "0:a:0", "-c:a", "aac", "-b:a", `${AUDIO_KBPS}k`, "-ac", "1"] : ["-an"]),
        ...["-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", target],
      ];
      const run = await runFfmpeg(args, left).catch((error: unknown) => {
        if (error instanceof FfmpegTimedOut) throw tookTooLong();
        throw error;
      });
      if (run.code !== 0) throw damaged();
      const size = (await stat(target)).size;
      if (size <= maxBytes) return { body: await readFile(target), contentType: "video/mp4" };
      videoKbps = Math.floor(videoKbps * Math.min(0.9, (maxBytes / size) * 0.95));
      if (videoKbps < MIN_VIDEO_KBPS) break;
    }
    throw new MediaRefused(
      "too-large",
      `This video could not be brought under ${kb(maxBytes)} at a watchable quality. Cut it shorter (${longest} seconds at most) or send a link to it instead.`,
    );
  });
}

const GIF_STEPS = [
  { fps: 12, width: 480, colours: 128 },
  { fps: 10, width: 360, colours: 64 },
  { fps: 8, width: 280, colours: 32 },
  { fps: 6, width: 200, colours: 16 },
];

/** An animated GIF stays animated: fewer frames, fewer colours, smaller, until it fits. */
export async function compressAnimatedGif(
  input: Buffer,
  maxBytes: number,
  timeLimitMs: number = VIDEO_TIME_LIMIT_MS,
): Promise<CompressedMedia> {
  if (input.length <= maxBytes) return { body: input, contentType: "image/gif" };
  return withScratch(async (dir) => {
    const source = path.join(dir, "source.gif");
    const target = path.join(dir, "out.gif");
    await writeFile(source, input);
    const refuseDamaged = () =>
      new MediaRefused(
        "damaged",
        "This animated GIF could not be read: the file seems damaged. Save it again and retry, or send a link to it.",
      );
    const info = await probeReadable(source, timeLimitMs, refuseDamaged);
    if (!info.video) throw refuseDamaged();
    const started = Date.now();
    for (const step of GIF_STEPS) {
      const left = timeLimitMs - (Date.now() - started);
      if (left <= 0) throw tookTooLong();
      const filter =
        `fps=${step.fps},scale='min(${step.width},iw)':-1:flags=lanczos,split[a][b];` +
        `[a]palettegen=max_colors=${step.colours}:stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=3`;
      const run = await runFfmpeg(["-y", "-i", source, "-filter_complex", filter, "-f", "gif", target], left).catch(
        (error: unknown) => {
          if (error instanceof FfmpegTimedOut) throw tookTooLong();
          throw error;
        },
      );
      if (run.code !== 0) throw refuseDamaged();
      if ((await stat(target)).size <= maxBytes) return { body: await readFile(target), contentType: "image/gif" };
    }
    throw new MediaRefused(
      "too-large",
      `This animated GIF is too long to fit in a text (${kb(maxBytes)}) even with fewer frames and colours. Trim it, send it as a short video, or send a link to it instead.`,
    );
  });
}
