import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { MediaRefused } from "../../../src/media/mms";
import { twilioMediaFetcher } from "../../../src/sms/twilio-media";

describe("fetching a voter's media from Twilio", () => {
  let server: Server;
  let base: string;
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers);
      if (req.url === "/gone") res.writeHead(404).end();
      else res.writeHead(200, { "content-type": "image/png" }).end(Buffer.from("png bytes"));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => (seen.length = 0));

  const twilio = { accountSid: `AC${"1".repeat(32)}`, authToken: "secret-token" };

  it("sends the account's credentials to Twilio's API host, and returns the bytes and their type", async () => {
    const fetchMedia = twilioMediaFetcher({ ...twilio, apiUrl: base });
    const got = await fetchMedia(`${base}/2010-04-01/Accounts/${twilio.accountSid}/Messages/MM1/Media/ME1`);
    expect(got).toEqual({ body: Buffer.from("png bytes"), contentType: "image/png" });
    const expected = `Basic ${Buffer.from(`${twilio.accountSid}:secret-token`).toString("base64")}`;
    expect(seen[0]?.authorization).toBe(expected);
  });

  it("never sends them to another host a webhook might name", async () => {
    const fetchMedia = twilioMediaFetcher(twilio); // only api.twilio.com is trusted
    await fetchMedia(`${base}/elsewhere.png`);
    expect(seen[0]?.authorization).toBeUndefined();
  });

  it("refuses a media URL that answers an error, with the status in the message", async () => {
    const fetchMedia = twilioMediaFetcher({ ...twilio, apiUrl: base });
    const error = await fetchMedia(`${base}/gone`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaRefused);
    expect((error as Error).message).toMatch(/answered 404/);
  });
});
