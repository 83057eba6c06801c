import { interactionBody, postToSlackApp, slashCommandBody, viewSubmissionPayload } from "../fakes/signing";
import type { SlackFile } from "../fakes/slack-api";
import { startHarness, SIGNING_SECRET, type Harness } from "../support/app-harness";
import { BACKENDS } from "../support/databases";

const CHANNEL = "C0ORGANIZE";

describe.each(BACKENDS)("contact import through Slack (%s)", (_name, create) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(create);
  });
  afterAll(() => h?.close());
  beforeEach(() => h.slack.reset());

  const slack = (body: string) => postToSlackApp(h.app.localUrl, { secret: SIGNING_SECRET, body });

  /** The modal as Slack sends it back on submit, with the uploaded file in the file input. */
  const submitModal = (file: Partial<SlackFile> | null, region = "US", channelId = CHANNEL) =>
    slack(
      interactionBody(
        viewSubmissionPayload({
          callbackId: "contacts_import",
          privateMetadata: JSON.stringify({ channelId }),
          values: {
            file: { file_input: { type: "file_input", files: file ? [file] : [] } },
            region: { region_input: { type: "plain_text_input", value: region } },
          },
        }),
      ),
    );

  it("/contacts import opens the upload modal at once", async () => {
    const res = await slack(
      slashCommandBody({ command: "/contacts", text: "import", channel_id: CHANNEL, trigger_id: "123.456.abc" }),
    );
    expect(res.status).toBe(200);
    const open = await h.slack.waitFor("views.open");
    expect(open.args).toMatchObject({
      trigger_id: "123.456.abc",
      view: { callback_id: "contacts_import", type: "modal" },
    });
    expect(JSON.stringify(open.args.view)).toContain('"type":"file_input"');
  });

  it("imports good rows, merges duplicates, reports bad rows as a CSV in the thread", async () => {
    const csv = [
      "First Name,Last Name,Cell,ZIP,Tags,Ward",
      "Ana,Nguyen,(212) 555-0143,10001,volunteer,4",
      "Ben,Smith,12345,94103,,7",
      "Anita,,212-555-0143,,donor,",
      "Cy,Lee,,60601,,",
      "Dora,Diaz,(415) 555-0101,94103,,2",
    ].join("\n");
    const file = h.slack.addFile({ name: "ward-4.csv", bytes: Buffer.from(csv), mimetype: "text/csv" });
    const res = await submitModal(file);
    expect(res.status).toBe(200);
    expect(res.text).toBe("");

    const posted = await h.slack.waitFor("chat.postMessage", (c) => c.args.channel === CHANNEL);
    expect(String(posted.args.text)).toContain("Importing *ward-4.csv*");
    const summary = await h.slack.waitFor(
      "chat.update",
      (c) => String(c.args.text).includes("Imported *ward-4.csv*"),
      15_000,
    );
    const text = String(summary.args.text);
    expect(text).toContain("Rows read: *5*");
    expect(text).toContain("New contacts: *2*");
    expect(text).toContain("Duplicate rows merged: *1*");
    expect(text).toContain("Invalid rows skipped: *2*");
    expect(text).toContain("`Ward`");

    const upload = await h.slack.waitFor("files.completeUploadExternal");
    // The skipped rows go in the summary's thread: the progress message's ts, posted through the outbox.
    const progressTs = (
      await h.app.db.prisma.slackOutbox.findFirstOrThrow({
        where: { channel: CHANNEL, method: "chat.postMessage" },
        orderBy: { createdAt: "desc" },
      })
    ).resultTs;
    expect(upload.args.thread_ts).toBe(progressTs);
    const report = [...h.slack.uploads.values()]
      .map((b) => b.toString())
      .find((t) => t.startsWith("line,phone,reason"));
    expect(report).toBe('line,phone,reason\n3,12345,"""12345"" is not a valid phone number"\n5,,no phone number\n');

    const ana = await h.app.db.prisma.contact.findUniqueOrThrow({ where: { phone: "+12125550143" } });
    expect(ana).toMatchObject({ firstName: "Anita", lastName: "Nguyen", customFields: { Ward: "4" } });
  });

  it("shows field errors in the modal for a missing file, a non-CSV file and a bad country code, and imports nothing", async () => {
    const before = await h.app.db.prisma.contact.count();
    const missing = await submitModal(null);
    expect(missing.json).toEqual({ response_action: "errors", errors: { file: "Choose a CSV file to import." } });

    const workbook = h.slack.addFile({
      name: "voters.xlsx",
      bytes: Buffer.from("PK\u0003\u0004"),
      mimetype: "application/vnd.ms-excel",
    });
    const notCsv = await submitModal(workbook);
    expect(notCsv.json).toMatchObject({
      response_action: "errors",
      errors: { file: expect.stringContaining('"voters.xlsx" is not a CSV') },
    });

    const ok = h.slack.addFile({ name: "ok.csv", bytes: Buffer.from("phone\n2125550199\n"), mimetype: "text/csv" });
    const badRegion = await submitModal(ok, "USA");
    expect(badRegion.json).toMatchObject({
      response_action: "errors",
      errors: { region: "Use a two-letter country code, such as US." },
    });
    expect(h.slack.callsTo("chat.postMessage")).toHaveLength(0);
    expect(await h.app.db.prisma.contact.count()).toBe(before);
  });

  it("reports in the organizer's DM when the app is not in the channel", async () => {
    h.slack.addChannel({ id: "C0NOTMEMBER", is_member: false });
    const file = h.slack.addFile({ name: "dm.csv", bytes: Buffer.from("phone\n2125550177\n"), mimetype: "text/csv" });
    await submitModal(file, "US", "C0NOTMEMBER");
    const summary = await h.slack.waitFor(
      "chat.update",
      (c) => String(c.args.text).includes("Imported *dm.csv*"),
      15_000,
    );
    expect(summary.args.channel).not.toBe("C0NOTMEMBER");
    expect(h.slack.callsTo("chat.postMessage").filter((c) => c.args.channel === "C0NOTMEMBER")).toHaveLength(0);
  });

  it("turns a file rejected while reading into a clear message, changing nothing", async () => {
    const before = await h.app.db.prisma.contact.count();
    const file = h.slack.addFile({
      name: "export.csv",
      bytes: Buffer.from("name,email\nAna,ana@example.org\n"),
      mimetype: "text/csv",
    });
    await submitModal(file);
    const answer = await h.slack.waitFor(
      "chat.update",
      (c) => String(c.args.text).includes("Could not import *export.csv*"),
      15_000,
    );
    expect(String(answer.args.text)).toContain('No phone column found. The file\'s columns are: "name", "email"');
    expect(await h.app.db.prisma.contact.count()).toBe(before);
  });

  it("replaces the progress message even when Slack refuses the summary's blocks", async () => {
    h.slack.failNext("chat.update", { error: "invalid_blocks" });
    const file = h.slack.addFile({
      name: "refused.csv",
      bytes: Buffer.from('phone,notes\n2125550166,ok\n"=HYPERLINK(""https://evil.example"")",x\n'),
      mimetype: "text/csv",
    });
    await submitModal(file);
    const refused = await h.slack.waitFor("chat.update", (c) => c.error === "invalid_blocks", 15_000);
    const words = await h.slack.waitFor(
      "chat.update",
      (c) => c.status === 200 && !c.error && String(c.args.text).includes("Imported *refused.csv*"),
      15_000,
    );
    expect(words.args.ts).toBe(refused.args.ts);
    expect(words.args.blocks).toEqual([]);
    // The skipped row's cell reaches the report as text a spreadsheet will not run.
    await h.slack.waitFor("files.completeUploadExternal", () => true, 15_000);
    const report = [...h.slack.uploads.values()].map((b) => b.toString()).find((t) => t.includes("HYPERLINK"));
    expect(report).toContain(`3,"'=HYPERLINK(""https://evil.example"")"`);
  });
});
