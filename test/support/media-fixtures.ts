/**
 * Media files made on the spot (nothing checked in): pictures with sharp, videos and animated GIFs
 * with the ffmpeg binary the app itself ships, so tests and benchmarks need nothing else.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { runFfmpeg, withScratch } from "../../src/media/ffmpeg";

export async function noisyJpeg(width: number, height: number, quality = 95): Promise<Buffer> {
  return sharp({
    create: { width, height, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 40 } },
  })
    .jpeg({ quality })
    .toBuffer();
}

export async function noisyPng(width: number, height: number): Promise<Buffer> {
  return sharp({
    create: { width, height, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 30 } },
  })
    .png()
    .toBuffer();
}

export async function noisyWebp(width: number, height: number): Promise<Buffer> {
  return sharp({
    create: { width, height, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 40 } },
  })
    .webp({ quality: 95 })
    .toBuffer();
}

/**
 * A 400×200 JPEG stored sideways, red on the left half and blue on the right, whose EXIF says
 * "rotate 90° clockwise to show" (orientation 6): shown upright it is 200×400, red on top.
 */
export async function sidewaysJpeg(): Promise<Buffer> {
  const half = (colour: string) =>
    sharp({ create: { width: 200, height: 200, channels: 3, background: colour } })
      .png()
      .toBuffer();
  return sharp({ create: { width: 400, height: 200, channels: 3, background: "#000000" } })
    .composite([
      { input: await half("#ff0000"), left: 0, top: 0 },
      { input: await half("#0000ff"), left: 200, top: 0 },
    ])
    .jpeg({ quality: 90 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** A transparent PNG logo, small enough to go out as it is. */
export async function smallTransparentPng(): Promise<Buffer> {
  return sharp({ create: { width: 300, height: 300, channels: 4, background: { r: 0, g: 128, b: 0, alpha: 0.5 } } })
    .png()
    .toBuffer();
}

async function ffmpegMake(args: string[], file: string): Promise<Buffer> {
  return withScratch(async (dir) => {
    const target = path.join(dir, file);
    const run = await runFfmpeg(["-y", ...args, target], 600_000);
    if (run.code !== 0) throw new Error(`ffmpeg could not make ${file}: ${run.stderr.slice(-600)}`);
    return readFile(target);
  });
}

/** A noisy animated GIF (noise keeps it from compressing away). */
export function animatedGif(seconds: number, width = 480, height = 360): Promise<Buffer> {
  return ffmpegMake(
    [
      "-f",
      "lavfi",
      "-i",
      `testsrc2=size=${width}x${height}:rate=15`,
      "-t",
      String(seconds),
      "-vf",
      "noise=alls=20:allf=t",
    ],
    "fixture.gif",
  );
}

/** An H.264/AAC MP4 of moving test pattern with noise and a tone, at a high bitrate. */
export function video(options: {
  seconds: number;
  width: number;
  height: number;
  kbps: number;
  fps?: number;
}): Promise<Buffer> {
  const { seconds, width, height, kbps, fps = 30 } = options;
  return ffmpegMake(
    [
      ...["-f", "lavfi", "-i", `testsrc2=size=${width}x${height}:rate=${fps}`],
      ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"],
      ...["-t", String(seconds), "-vf", "noise=alls=12:allf=t"],
      ...["-c:v", "libx264", "-preset", "ultrafast", "-b:v", `${kbps}k`, "-pix_fmt", "yuv420p"],
      ...["-c:a", "aac", "-b:a", "128k", "-shortest", "-f", "mp4"],
    ],
    "fixture.mp4",
  );
}

/** A WebM (VP8) clip, the kind Android phones and browsers record. */
export function webmVideo(seconds: number): Promise<Buffer> {
  return ffmpegMake(
    [
      ...["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-t", String(seconds), "-vf", "noise=alls=12:allf=t"],
      ...["-c:v", "libvpx", "-b:v", "3000k", "-deadline", "realtime", "-cpu-used", "8", "-an", "-f", "webm"],
    ],
    "fixture.webm",
  );
}

/** Bytes that start like a JPEG and then are noise: a broken download. */
export function corruptJpeg(): Buffer {
  const bytes = Buffer.alloc(50_000);
  let seed = 42;
  for (let i = 0; i < bytes.length; i++) {
    seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
    bytes[i] = seed >> 16;
  }
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]).copy(bytes);
  return bytes;
}

/** The first part of a real MP4 whose index (moov) is at the end: a cut-off upload. */
export async function truncatedMp4(): Promise<Buffer> {
  const whole = await video({ seconds: 2, width: 320, height: 240, kbps: 800 });
  return whole.subarray(0, Math.floor(whole.length / 2));
}

export function pdf(): Buffer {
  return Buffer.from(
    "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
  );
}
