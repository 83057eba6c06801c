import { createCanvas, GlobalFonts } from "@napi-rs/canvas";
import { Chart, registerables, type ChartConfiguration } from "chart.js";
import type { DailyRates } from "../../services/campaign-results";

/*
 * The report's chart: reply and opt-out rates per day, per variant, drawn on the server (Chart.js on
 * @napi-rs/canvas, Skia compiled into an npm package) to a PNG uploaded beside the report. The
 * labels use Inter from @fontsource/inter, registered by path, so a machine without any system
 * font draws them the same. Each day's point is the cohort first texted that day: of them, how many
 * replied and how many opted out since.
 */

Chart.register(...registerables);

export const CHART_FONT = "Inter";
export const CHART_SIZE = { width: 960, height: 540 } as const;

let fontsReady = false;
function registerFonts(): void {
  if (fontsReady) return;
  for (const weight of [400, 700]) {
    const file = require.resolve(`@fontsource/inter/files/inter-latin-${weight}-normal.woff2`);
    if (!GlobalFonts.registerFromPath(file, CHART_FONT))
      throw new Error(`The chart font could not be loaded from ${file}: reinstall @fontsource/inter.`);
  }
  fontsReady = true;
}

/** Distinct colours for variants A, B, C, D (colour-blind safe: Okabe–Ito). */
const COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"];

const percent = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 1000) / 10);

/** Chart.js's input for the daily rates: two lines per variant (replies solid, opt-outs dashed). */
export function reportChartConfig(campaignName: string, daily: readonly DailyRates[]): ChartConfiguration<"line"> {
  const dates = [...new Set(daily.map((d) => d.date))].sort();
  const variants = [...new Set(daily.map((d) => d.label))];
  const series = (label: string, rate: (d: DailyRates) => number) =>
    dates.map((date) => {
      const day = daily.find((d) => d.date === date && d.label === label);
      return day ? percent(rate(day), day.texted) : null;
    });
  const datasets = variants.flatMap((label, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const name = variants.length > 1 ? `Variant ${label}` : "All";
    return [
      {
        label: `${name}: replies`,
        data: series(label, (d) => d.replied),
        borderColor: colour,
        backgroundColor: colour,
      },
      {
        label: `${name}: opt-outs`,
        data: series(label, (d) => d.optedOut),
        borderColor: colour,
        backgroundColor: colour,
        borderDash: [6, 4],
      },
    ];
  });
  return {
    type: "line",
    data: { labels: dates, datasets: datasets.map((d) => ({ ...d, borderWidth: 3, pointRadius: 4, spanGaps: true })) },
    options: {
      responsive: false,
      animation: false,
      devicePixelRatio: 1,
      font: { family: CHART_FONT },
      plugins: {
        title: {
          display: true,
          text: `${campaignName}: reply and opt-out rates by day of first text`,
          font: { size: 20, family: CHART_FONT },
        },
        legend: { position: "bottom", labels: { font: { size: 14, family: CHART_FONT } } },
      },
      scales: {
        x: {
          offset: true,
          title: { display: true, text: "Day first texted", font: { family: CHART_FONT } },
          ticks: { font: { family: CHART_FONT } },
        },
        y: {
          beginAtZero: true,
          title: { display: true, text: "% of contacts texted that day", font: { family: CHART_FONT } },
          ticks: { font: { family: CHART_FONT }, callback: (value) => `${value}%` },
        },
      },
    },
    plugins: [
      {
        id: "white-background",
        beforeDraw: (chart) => {
          const { ctx, width, height } = chart;
          ctx.save();
          ctx.fillStyle = "#ffffff";
          ctx.fillRect(0, 0, width, height);
          ctx.restore();
        },
      },
    ],
  };
}

/** The chart as PNG bytes. */
export async function renderReportChart(campaignName: string, daily: readonly DailyRates[]): Promise<Buffer> {
  registerFonts();
  const canvas = createCanvas(CHART_SIZE.width, CHART_SIZE.height);
  // Chart.js draws on any 2D context; Skia's is the browser's API.
  const chart = new Chart(
    canvas.getContext("2d") as unknown as ConstructorParameters<typeof Chart>[0],
    reportChartConfig(campaignName, daily),
  );
  try {
    return await canvas.encode("png");
  } finally {
    chart.destroy();
  }
}
