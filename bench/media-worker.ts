/**
 * One compression for `npm run bench -- media`, in a fresh process so its peak RSS is this
 * compression's alone: argv = file, content type. Answers over IPC with time, sizes and peaks.
 */
import { readdir, readFile } from "node:fs/promises";
import { compressForMms } from "../src/media/mms";

/** Peak RSS (VmHWM) of our ffmpeg children, read every 50 ms while they run. */
function watchFfmpegPeak(): { stop(): number } {
  let peakKb = 0;
  const timer = setInterval(() => {
    void (async () => {
      for (const entry of await readdir("/proc").catch(() => [] as string[])) {
        if (!/^\d+$/.test(entry)) continue;
        const status = await readFile(`/proc/${entry}/status`, "utf8").catch(() => "");
        if (!/^Name:\s+ffmpeg$/m.test(status) || Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) !== process.pid) continue;
        peakKb = Math.max(peakKb, Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0));
      }
    })();
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      return peakKb;
    },
  };
}

async function main(): Promise<void> {
  const [file, contentType] = process.argv.slice(2);
  const input = await readFile(file!);
  const baselineKb = process.resourceUsage().maxRSS;
  const watch = watchFfmpegPeak();
  const started = process.hrtime.bigint();
  try {
    const out = await compressForMms(input, contentType!);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    process.send!({
      ms,
      inputBytes: input.length,
      outputBytes: out.body.length,
      contentType: out.contentType,
      baselineRssMb: baselineKb / 1024,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      ffmpegPeakRssMb: watch.stop() / 1024,
    });
  } catch (error) {
    watch.stop();
    process.send!({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
}

void main().finally(() => process.disconnect?.());
