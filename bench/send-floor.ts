import { startFakeSlack } from "../test/fakes/slack-api";
import { startFakeTwilio } from "../test/fakes/twilio-api";
import { appEnvironment, BOT_TOKEN } from "../test/support/app-harness";
import { machine, startAppProcess, type AppProcess } from "./support";
import { measureSending, VOLUNTEERS } from "./volunteers";

/**
 * The send benchmark's load against bench/floor-app.ts: Bolt, our Twilio gateway and Block Kit
 * card, and no database. It shows how much of a click's time the machine takes before our
 * queries, with the same 20 volunteers, fakes and client sharing the same two cores.
 */
export async function sendFloorBenchmark(): Promise<Record<string, unknown>> {
  const [slack, twilio] = await Promise.all([startFakeSlack({ tokens: [BOT_TOKEN] }), startFakeTwilio()]);
  let app: AppProcess | undefined;
  try {
    app = await startAppProcess(
      appEnvironment(slack.apiUrl, 0, { LOG_LEVEL: "warn", TWILIO_API_URL: twilio.url }),
      Date.now(),
      "bench/floor-app.ts",
    );
    const measured = await measureSending(app, twilio, "send Bench");
    return {
      what: `${VOLUNTEERS} volunteers clicking Send against a Bolt app that sends through our Twilio gateway and answers with our card, without any database`,
      ...measured,
      machine: machine(),
    };
  } finally {
    await app?.stop();
    await Promise.all([slack.close(), twilio.close()]);
  }
}
