import { GlobalFonts, createCanvas, loadImage } from "@napi-rs/canvas";
import { CHART_FONT, CHART_SIZE, renderReportChart } from "../../../../src/slack/charts/report-chart";
import type { DailyRates } from "../../../../src/services/campaign-results";

const day = (date: string, label: string, texted: number, replied: number, optedOut: number): DailyRates => ({
  date,
  variantId: label,
  label,
  texted,
  replied,
  optedOut,
});

/** The PNG's pixels, decoded. */
async function pixels(png: Buffer) {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  return { width: image.width, height: image.height, data: ctx.getImageData(0, 0, image.width, image.height).data };
}

const near = (data: Uint8ClampedArray, i: number, [r, g, b]: [number, number, number]) =>
  Math.abs(data[i]! - r) < 12 && Math.abs(data[i + 1]! - g) < 12 && Math.abs(data[i + 2]! - b) < 12;

describe("report chart", () => {
  it("is a PNG of the chart's size with both variants' lines and its labels drawn", async () => {
    const png = await renderReportChart("GOTV", [
      day("2026-11-02", "A", 200, 30, 4),
      day("2026-11-02", "B", 200, 45, 6),
      day("2026-11-03", "A", 150, 20, 2),
      day("2026-11-03", "B", 160, 30, 1),
    ]);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // IHDR, read from the bytes: width and height.
    expect(png.readUInt32BE(16)).toBe(CHART_SIZE.width);
    expect(png.readUInt32BE(20)).toBe(CHART_SIZE.height);

    const { width, height, data } = await pixels(png);
    expect([width, height]).toEqual([CHART_SIZE.width, CHART_SIZE.height]);
    let white = 0;
    let blue = 0;
    let orange = 0;
    let darkInTitle = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (near(data, i, [255, 255, 255])) white++;
      if (near(data, i, [0x00, 0x72, 0xb2])) blue++;
      if (near(data, i, [0xe6, 0x9f, 0x00])) orange++;
      const y = Math.floor(i / 4 / width);
      if (y < 40 && data[i]! < 140 && data[i + 1]! < 140 && data[i + 2]! < 140) darkInTitle++;
    }
    const total = width * height;
    // Not blank: a white background with lines, points, a legend and text on it.
    expect(white / total).toBeGreaterThan(0.5);
    expect(white / total).toBeLessThan(0.99);
    expect(blue).toBeGreaterThan(500);
    expect(orange).toBeGreaterThan(500);
    expect(darkInTitle).toBeGreaterThan(300);
    expect(GlobalFonts.has(CHART_FONT)).toBe(true);
  });

  it("draws an empty campaign as axes and a title, not an error", async () => {
    const png = await renderReportChart("Nothing sent yet", []);
    const { data, width } = await pixels(png);
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i]! < 140 && Math.floor(i / 4 / width) < 40) dark++;
    expect(dark).toBeGreaterThan(100);
  });
});
