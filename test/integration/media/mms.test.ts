import { readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { probe, withScratch } from "../../../src/media/ffmpeg";
import { compressForMms, MediaRefused, MMS_MAX_BYTES } from "../../../src/media/mms";
import { compressVideo } from "../../../src/media/video";
import { UserError } from "../../../src/domain/user-error";
import * as fixtures from "../../support/media-fixtures";

jest.setTimeout(180_000);

async function probeBytes(bytes: Buffer) {
  return withScratch(async (dir) => {
    const file = path.join(dir, "out");
    await writeFile(file, bytes);
    return probe(file, 30_000);
  });
}

async function refusal(promise: Promise<unknown>): Promise<MediaRefused> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MediaRefused);
  expect(error).toBeInstanceOf(UserError);
  return error as MediaRefused;
}

/** Our own ffmpeg children still alive (a time limit must leave none behind). */
async function ffmpegChildren(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (stat.includes("(ffmpeg)") && Number(fields[1]) === process.pid) pids.push(Number(entry));
  }
  return pids;
}

describe("compressForMms: pictures", () => {
  it("brings a large noisy JPEG under 600 KB, keeping its shape and dropping its metadata", async () => {
    const input = await sharp(await fixtures.noisyJpeg(3000, 2000))
      .withMetadata({ orientation: 1 })
      .jpeg({ quality: 95 })
      .toBuffer();
    expect(input.length).toBeGreaterThan(MMS_MAX_BYTES);
    const out = await compressForMms(input, "image/jpeg");
    expect(out.contentType).toBe("image/jpeg");
    expect(out.body.length).toBeLessThanOrEqual(MMS_MAX_BYTES);
    const meta = await sharp(out.body).metadata();
    expect(meta.format).toBe("jpeg");
    expect(meta.width! / meta.height!).toBeCloseTo(1.5, 2);
    expect(meta.exif).toBeUndefined();
  });

  it("uses the room it has: a looser limit gives a bigger, better file", async () => {
    const input = await fixtures.noisyJpeg(2000, 1500);
    const tight = await compressForMms(input, "image/jpeg", { maxBytes: 150_000 });
    const loose = await compressForMms(input, "image/jpeg", { maxBytes: 600_000 });
    expect(tight.body.length).toBeLessThanOrEqual(150_000);
    expect(loose.body.length).toBeLessThanOrEqual(600_000);
    expect(loose.body.length).toBeGreaterThan(tight.body.length);
    // Not just any file under the limit: within a quality step of it.
    expect(loose.body.length).toBeGreaterThan(600_000 * 0.5);
  });

  it("turns a big PNG into a JPEG under the limit", async () => {
    const input = await fixtures.noisyPng(2400, 1600);
    expect(input.length).toBeGreaterThan(5 * MMS_MAX_BYTES);
    const out = await compressForMms(input, "image/png");
    expect(out.body.length).toBeLessThanOrEqual(MMS_MAX_BYTES);
    const meta = await sharp(out.body).metadata();
    expect(meta.format).toBe(out.contentType === "image/png" ? "png" : "jpeg");
    expect(meta.width! / meta.height!).toBeCloseTo(1.5, 2);
  });

  it("turns a WebP into a JPEG even when it is small", async () => {
    const out = await compressForMms(await fixtures.noisyWebp(300, 200), "image/webp");
    expect(out.contentType).toBe("image/jpeg");
    expect((await sharp(out.body).metadata()).format).toBe("jpeg");
  });

  it("applies the EXIF rotation of a sideways photo and strips its metadata", async () => {
    const input = await fixtures.sidewaysJpeg();
    expect((await sharp(input).metadata()).orientation).toBe(6);
    const out = await compressForMms(input, "image/jpeg");
    const { data, info } = await sharp(out.body).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([200, 400]);
    const pixel = (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
    const [topR, , topB] = pixel(100, 50);
    const [bottomR, , bottomB] = pixel(100, 350);
    expect(topR).toBeGreaterThan(200);
    expect(topB).toBeLessThan(60);
    expect(bottomB).toBeGreaterThan(200);
    expect(bottomR).toBeLessThan(60);
    const meta = await sharp(out.body).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
  });

  it("leaves a small transparent PNG as it is", async () => {
    const input = await fixtures.smallTransparentPng();
    const out = await compressForMms(input, "image/png");
    expect(out.contentType).toBe("image/png");
    expect(out.body.equals(input)).toBe(true);
  });
});

describe("compressForMms: animated GIFs and video", () => {
  it("keeps an animated GIF animated while bringing it under the limit", async () => {
    const input = await fixtures.animatedGif(3);
    expect(input.length).toBeGreaterThan(MMS_MAX_BYTES);
    const framesBefore = (await sharp(input).metadata()).pages!;
    const out = await compressForMms(input, "image/gif");
    expect(out.contentType).toBe("image/gif");
    expect(out.body.length).toBeLessThanOrEqual(MMS_MAX_BYTES);
    const meta = await sharp(out.body).metadata();
    expect(meta.format).toBe("gif");
    expect(meta.pages).toBeGreaterThan(1);
    expect(meta.pages).toBeLessThanOrEqual(framesBefore);
  });

  it("refuses an animated GIF that cannot fit, saying what to do", async () => {
    const input = await fixtures.animatedGif(3);
    const error = await refusal(compressForMms(input, "image/gif", { maxBytes: 12_000 }));
    expect(error.reason).toBe("too-large");
    expect(error.message).toMatch(/Trim it, send it as a short video, or send a link/);
  });

  it("transcodes a 720p MP4 to H.264/AAC MP4 under the limit, same length, smaller picture", async () => {
    const input = await fixtures.video({ seconds: 4, width: 1280, height: 720, kbps: 5000 });
    expect(input.length).toBeGreaterThan(MMS_MAX_BYTES);
    const out = await compressForMms(input, "video/mp4");
    expect(out.contentType).toBe("video/mp4");
    expect(out.body.length).toBeLessThanOrEqual(MMS_MAX_BYTES);
    const info = await probeBytes(out.body);
    expect(info.video?.codec).toBe("h264");
    expect(info.audio?.codec).toBe("aac");
    expect(info.container).toContain("mp4");
    expect(info.durationSeconds).toBeCloseTo(4, 0);
    expect(info.video!.height).toBeLessThanOrEqual(480);
    expect(info.video!.width / info.video!.height).toBeCloseTo(16 / 9, 1);
  });

  it("transcodes a WebM (VP8, no sound) to H.264 MP4", async () => {
    const out = await compressForMms(await fixtures.webmVideo(3), "video/webm");
    expect(out.contentType).toBe("video/mp4");
    const info = await probeBytes(out.body);
    expect(info.video?.codec).toBe("h264");
    expect(info.audio).toBeNull();
  });

  it("refuses a video too long to stay watchable, saying how short it must be", async () => {
    const input = await fixtures.video({ seconds: 60, width: 160, height: 120, kbps: 200, fps: 10 });
    expect(input.length).toBeGreaterThan(MMS_MAX_BYTES);
    const error = await refusal(compressForMms(input, "video/mp4"));
    expect(error.reason).toBe("too-long");
    expect(error.message).toMatch(/60 seconds long/);
    expect(error.message).toMatch(/Cut it to \d+ seconds or less, or send a link/);
  });

  it("stops a transcoding that runs past its time limit and leaves no ffmpeg behind", async () => {
    const input = await fixtures.video({ seconds: 4, width: 1280, height: 720, kbps: 5000 });
    const scratchBefore = new Set(await readdir(tmpdir()));
    const error = await refusal(compressVideo(input, MMS_MAX_BYTES, 1));
    expect(error.reason).toBe("took-too-long");
    expect(await ffmpegChildren()).toEqual([]);
    const left = (await readdir(tmpdir())).filter((d) => d.startsWith("mms-") && !scratchBefore.has(d));
    expect(left).toEqual([]);
  });
});

describe("compressForMms: files that cannot be sent", () => {
  it.each([
    [
      "a corrupt JPEG",
      () => fixtures.corruptJpeg(),
      "image/jpeg",
      "damaged",
      /could not be read.*save or export it again/i,
    ],
    ["a cut-off MP4", () => fixtures.truncatedMp4(), "video/mp4", "damaged", /video could not be read/],
    [
      "a PDF",
      () => fixtures.pdf(),
      "application/pdf",
      "unsupported-type",
      /A PDF cannot be sent by text\. Send a link/,
    ],
    [
      "a text file",
      () => Buffer.from("Vote on Tuesday"),
      "text/plain",
      "unsupported-type",
      /only pictures .* and videos/,
    ],
    [
      "text claiming to be a JPEG",
      () => Buffer.from("Vote on Tuesday"),
      "image/jpeg",
      "damaged",
      /says it is a picture/,
    ],
    ["an empty file", () => Buffer.alloc(0), "image/png", "damaged", /empty/],
    ["a HEIC photo", () => heicLike(), "image/heic", "heic", /HEIC photo.*Share it as a JPEG/],
  ])("refuses %s with a message a person can act on", async (_name, make, type, reason, message) => {
    const error = await refusal(compressForMms(await make(), type));
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(message);
  });
});

/** The start of an HEIC file (ftyp box, brand heic) with no picture sharp can decode. */
function heicLike(): Buffer {
  const box = Buffer.alloc(4096);
  box.writeUInt32BE(24, 0);
  box.write("ftypheic", 4, "latin1");
  box.write("mif1heic", 16, "latin1");
  return box;
}
