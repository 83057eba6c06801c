import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import ffmpegInstaller from "@ffmpeg-installer/ffmpeg";

/** The ffmpeg binary shipped inside the npm package (@ffmpeg-installer): nothing is downloaded. */
export const FFMPEG_PATH: string = ffmpegInstaller.path;

export class FfmpegTimedOut extends Error {
  override name = "FfmpegTimedOut";
}

/**
 * Runs ffmpeg in a child process, off the event loop. It is killed when `timeLimitMs` passes, and
 * `-timelimit` makes ffmpeg stop itself too, so it never outlives a parent that died meanwhile.
 */
export function runFfmpeg(args: string[], timeLimitMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const cpuSeconds = String(Math.max(1, Math.ceil((timeLimitMs / 1000) * 2)));
    const child = spawn(FFMPEG_PATH, ["-hide_banner", "-nostdin", "-timelimit", cpuSeconds, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-32_768);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeLimitMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (timedOut) reject(new FfmpegTimedOut(`ffmpeg ran past ${timeLimitMs} ms`));
      else resolve({ code, stderr });
    });
  });
}

export interface Probe {
  readable: boolean;
  /** ffmpeg's demuxer name ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm") and the MP4 brand, if any. */
  container: string | null;
  majorBrand: string | null;
  durationSeconds: number | null;
  video: { codec: string; width: number; height: number; fps: number | null } | null;
  audio: { codec: string } | null;
}

/** What `ffmpeg -i` says about a file (the ffmpeg package ships no ffprobe). */
export async function probe(file: string, timeLimitMs: number): Promise<Probe> {
  const { stderr } = await runFfmpeg(["-i", file], timeLimitMs);
  const duration = /Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(stderr);
  const videoLine = /Stream #\d+:\d+.*?: Video: (\w+)[^\n]*?, (\d{2,5})x(\d{2,5})[^\n]*/.exec(stderr);
  const fps = videoLine ? /([\d.]+) fps/.exec(videoLine[0]) : null;
  const audioLine = /Stream #\d+:\d+.*?: Audio: (\w+)/.exec(stderr);
  return {
    readable:
      !/Invalid data found|moov atom not found|could not find codec parameters|EBML header parsing failed/i.test(
        stderr,
      ),
    container: /Input #0, ([^ ]+),? from/.exec(stderr)?.[1]?.replace(/,$/, "") ?? null,
    majorBrand: /major_brand\s*:\s*(\S+)/.exec(stderr)?.[1] ?? null,
    durationSeconds: duration ? Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3]) : null,
    video: videoLine
      ? {
          codec: videoLine[1]!,
          width: Number(videoLine[2]),
          height: Number(videoLine[3]),
          fps: fps ? Number(fps[1]) : null,
        }
      : null,
    audio: audioLine ? { codec: audioLine[1]! } : null,
  };
}

/** A private scratch folder, removed afterwards whatever happens. */
export async function withScratch<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), "mms-"));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
