/**
 * `npm run bench -- media`: time and peak memory to make a 12-megapixel photo and a 30-second
 * 1080p video fit an MMS (compressForMms), each run in a fresh process. Both files are generated
 * with noise, the hardest case for a compressor. BENCH_MEDIA_RUNS sets the runs (default 3).
 */
import { fork } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { withScratch } from "../src/media/ffmpeg";
import { noisyJpeg, video } from "../test/support/media-fixtures";
import { machine, percentile, round, ROOT } from "./support";

const WORKER_TIME_LIMIT_MS = 10 * 60_000;

interface RunResult {
  ms: number;
  inputBytes: number;
  outputBytes: number;
  contentType: string;
  baselineRssMb: number;
  peakRssMb: number;
  ffmpegPeakRssMb: number;
}

function runWorker(file: string, contentType: string): Promise<RunResult | { error: string }> {
  return new Promise((resolve) => {
    const child = fork(path.join(ROOT, "bench/media-worker.ts"), [file, contentType], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    let answer: RunResult | { error: string } | null = null;
    const timer = setTimeout(() => child.kill("SIGKILL"), WORKER_TIME_LIMIT_MS);
    child.on("message", (m) => (answer = m as RunResult | { error: string }));
    child.on("error", (error) => (answer ??= { error: error.message }));
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve(answer ?? { error: `worker exited with ${signal ?? code} and no answer` });
    });
  });
}

async function measure(file: string, contentType: string, runs: number) {
  const results: RunResult[] = [];
  const errors: string[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await runWorker(file, contentType);
    if ("error" in r) errors.push(r.error);
    else results.push(r);
  }
  const times = results.map((r) => r.ms).sort((a, b) => a - b);
  const last = results.at(-1);
  return {
    runs,
    errors: errors.length,
    errorMessages: [...new Set(errors)].slice(0, 3),
    inputBytes: last?.inputBytes,
    outputBytes: last?.outputBytes,
    outputType: last?.contentType,
    secondsMedian: round(percentile(times, 50) / 1000, 2),
    secondsMin: round((times[0] ?? NaN) / 1000, 2),
    secondsMax: round((times.at(-1) ?? NaN) / 1000, 2),
    nodeBaselineRssMb: round(Math.max(...results.map((r) => r.baselineRssMb))),
    nodePeakRssMb: round(Math.max(...results.map((r) => r.peakRssMb))),
    ffmpegPeakRssMb: round(Math.max(...results.map((r) => r.ffmpegPeakRssMb))),
  };
}

export async function mediaBenchmark(): Promise<Record<string, unknown>> {
  const runs = Number(process.env.BENCH_MEDIA_RUNS ?? 3);
  return withScratch(async (dir) => {
    const photo = path.join(dir, "photo.jpg");
    const clip = path.join(dir, "clip.mp4");
    let generated = 0;
    const made: Record<string, string> = {};
    try {
      await writeFile(photo, await noisyJpeg(4000, 3000, 92));
      made.photo = "ok";
    } catch (error) {
      made.photo = String(error);
    }
    try {
      await writeFile(clip, await video({ seconds: 30, width: 1920, height: 1080, kbps: 8000 }));
      made.video = "ok";
    } catch (error) {
      made.video = String(error);
    }
    generated = Object.values(made).filter((v) => v === "ok").length;
    return {
      machine: machine(),
      fixturesGenerated: generated,
      fixtureErrors: Object.values(made).filter((v) => v !== "ok"),
      photo12Mp: made.photo === "ok" ? await measure(photo, "image/jpeg", runs) : null,
      video30s1080p: made.video === "ok" ? await measure(clip, "video/mp4", runs) : null,
    };
  });
}
