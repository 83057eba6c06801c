import { startFakeSlack } from "../test/fakes/slack-api";
import { startFakeTwilio } from "../test/fakes/twilio-api";
import { appEnvironment, BOT_TOKEN } from "../test/support/app-harness";
import { machine, round, startAppProcess, type AppProcess } from "./support";
import { spread, volunteersClicking } from "./volunteers";

const VOLUNTEERS = 20;
const WARMUP_MS = 3_000;
const MEASURE_MS = 20_000;

/**
 * The send benchmark's load against bench/floor-app.ts: Bolt, our Twilio gateway and Block Kit
 * card, and no database. It shows how much of a click's time the machine takes before our
 * queries, with the same 20 volunteers, fakes and client sharing the same two cores.
 */
export async function sendFloorBenchmark(): Promise<Record<string, unknown>> {
  const [slack, twilio] = await Promise.all([startFakeSlack({ tokens: [BOT_TOKEN] }), startFakeTwilio()]);
  let app: AppProcess | undefined;
  try {
    app = await startAppProcess(appEnvironment(slack.apiUrl, 0, { LOG_LEVEL: "warn", TWILIO_API_URL: twilio.url }), Date.now(), "bench/floor-app.ts");
    let counted = 0;
    const waits = await volunteersClicking({
      appUrl: app.url,
      campaignCommand: "send Bench",
      volunteers: VOLUNTEERS,
      warmupMs: WARMUP_MS,
      measureMs: MEASURE_MS,
      onMeasureStart: () => (counted = twilio.messages.length),
    });
    const measuredSends = twilio.messages.length - counted;
    const server = (await app.takeServerClickTimes()).sort((a, b) => a - b);
    return {
      what: `${VOLUNTEERS} volunteers clicking Send against a Bolt app that sends through our Twilio gateway and answers with our card, without any database`,
      measuredSeconds: MEASURE_MS / 1000,
      sendsPerSecond: round(measuredSends / (MEASURE_MS / 1000)),
      serverTimePerClickMs: spread(server),
      volunteerWaitPerClickMs: spread(waits),
      machine: machine(),
    };
  } finally {
    await app?.stop();
    await Promise.all([slack.close(), twilio.close()]);
  }
}
