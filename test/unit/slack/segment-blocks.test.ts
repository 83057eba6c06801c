import { randomUUID } from "node:crypto";
import type { types } from "@slack/bolt";
import type { SegmentChoices, SegmentDetails, SegmentSummary } from "../../../src/services/segments";
import {
  audienceStatusBlocks,
  COUNT_BLOCK,
  DETAIL_BLOCK,
  reachableText,
  withAudienceStatus,
} from "../../../src/slack/blocks/segment-count";
import { fieldAction } from "../../../src/slack/blocks/segment-fields";
import {
  segmentDeleteConfirmMessage,
  segmentDetailsMessage,
  segmentListMessage,
} from "../../../src/slack/blocks/segment-messages";
import { segmentLoadingModal, segmentModal } from "../../../src/slack/blocks/segment-modal";
import { readSegmentForm, withChange, type ViewStateValues } from "../../../src/slack/segment-form";

type AnyBlock = types.KnownBlock & Record<string, unknown>;

const metadata = { channelId: "C0ORGANIZE" };
const campaigns = Array.from({ length: 100 }, (_, i) => ({ id: randomUUID(), name: `Campaign ${i} ${"x".repeat(i)}` }));
const choices = (tags: number): SegmentChoices => ({
  tags: Array.from({ length: Math.min(tags, 100) }, (_, i) => `tag-${i}`),
  moreTags: tags > 100,
  timeZones: ["America/New_York", "America/Chicago"],
  customFields: tags === 0 ? [] : ["Ward", "County"],
  campaigns,
});

/** Every option list in a view: options and option groups. */
function optionLists(view: types.ModalView): { text: { text: string }; value: string }[][] {
  const lists: { text: { text: string }; value: string }[][] = [];
  for (const block of view.blocks as AnyBlock[]) {
    const element = block.element as { options?: never[]; option_groups?: { options: never[] }[] } | undefined;
    if (element?.options) lists.push(element.options);
    for (const group of element?.option_groups ?? []) lists.push(group.options);
  }
  return lists;
}

describe("segment Block Kit builders", () => {
  it("opens with a loading view whose title and metadata fit Slack's limits", () => {
    const view = segmentLoadingModal(metadata);
    expect(view.title.text.length).toBeLessThanOrEqual(24);
    expect(JSON.parse(view.private_metadata!)).toEqual(metadata);
  });

  it.each([0, 3, 100, 250])(
    "builds a form within Slack's limits with %i tags, every input dispatching its changes",
    (tags) => {
      const view = segmentModal(metadata, choices(tags));
      expect(view.blocks.length).toBeLessThanOrEqual(100);
      expect(view.title.text.length).toBeLessThanOrEqual(24);
      expect(view.submit!.text.length).toBeLessThanOrEqual(24);
      for (const list of optionLists(view)) {
        expect(list.length).toBeLessThanOrEqual(100);
        for (const o of list) {
          expect(o.text.text.length).toBeLessThanOrEqual(75);
          expect(o.value.length).toBeLessThanOrEqual(150);
        }
      }
      for (const block of view.blocks as AnyBlock[]) {
        const groups = (block.element as { option_groups?: { options: unknown[] }[] } | undefined)?.option_groups ?? [];
        expect(groups.reduce((n, g) => n + g.options.length, 0)).toBeLessThanOrEqual(100);
      }
      const inputs = (view.blocks as AnyBlock[]).filter((b) => b.type === "input");
      for (const input of inputs) {
        expect(input.dispatch_action).toBe(true);
        expect((input.element as { action_id: string }).action_id).toBe(fieldAction(input.block_id as never));
        const element = input.element as { type: string; dispatch_action_config?: unknown };
        if (element.type === "plain_text_input")
          expect(element.dispatch_action_config).toEqual({ trigger_actions_on: ["on_character_entered"] });
      }
      const ids = inputs.map((b) => b.block_id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(
        expect.arrayContaining([
          "name",
          "match",
          "states",
          "zipPrefixes",
          "timeZones",
          "engagement",
          "outcomeTag",
          "lastTextedAfter",
          "lastTextedBefore",
          "campaign",
          "advanced",
        ]),
      );
      expect(ids.filter((id) => String(id).startsWith("customField"))).toEqual(
        tags === 0 ? [] : ["customField", "customFieldOp", "customFieldValue"],
      );
      const tagTypes = inputs
        .filter((b) => String(b.block_id).startsWith("tags"))
        .map((b) => (b.element as { type: string }).type);
      expect(tagTypes).toEqual(
        tags === 0 ? [] : Array(3).fill(tags > 100 ? "multi_external_select" : "multi_static_select"),
      );
    },
  );

  it("shows the count line exactly, the prompt before any condition, and problems per field", () => {
    expect(reachableText(12_345)).toBe("12,345 reachable contacts (opted-out numbers excluded)");
    expect(reachableText(1)).toBe("1 reachable contact (opted-out numbers excluded)");
    const [count, detail] = audienceStatusBlocks({
      kind: "count",
      reachable: 0,
      description: "Tagged <b>",
      fieldsIgnored: true,
    });
    expect(count).toEqual({
      type: "section",
      block_id: COUNT_BLOCK,
      text: { type: "mrkdwn", text: "0 reachable contacts (opted-out numbers excluded)" },
    });
    expect(JSON.stringify(detail)).toContain(
      "Using the advanced filter; the other fields are ignored. Tagged &lt;b&gt;",
    );
    const [, problems] = audienceStatusBlocks({
      kind: "problems",
      problems: { zipPrefixes: "bad" },
      nameProblem: "taken",
    });
    expect(JSON.stringify(problems)).toContain("• ZIP code starts with: bad\\n:warning: taken");
    expect(JSON.stringify(audienceStatusBlocks({ kind: "failed" }))).toContain(
      ":x: Could not count contacts just now.",
    );
    expect(audienceStatusBlocks({ kind: "prompt" }).map((b) => JSON.stringify(b))).toEqual([
      expect.stringContaining("Fill in at least one condition to see how many contacts it reaches."),
      expect.stringContaining("The count updates as you edit."),
    ]);
  });

  it("swaps only the count lines of a view Slack sent back", () => {
    const view = segmentModal(metadata, choices(3));
    const echoed = {
      ...view,
      id: "V1",
      hash: "h",
      title: { type: "plain_text", text: view.title.text, emoji: true },
      close: { type: "plain_text", text: "Cancel", emoji: true },
      submit: { type: "plain_text", text: "Save segment", emoji: true },
    };
    const updated = withAudienceStatus(echoed as never, {
      kind: "count",
      reachable: 7,
      description: "In NY",
      fieldsIgnored: false,
    });
    expect(updated.blocks).toHaveLength(view.blocks.length);
    expect(updated).toMatchObject({
      callback_id: view.callback_id,
      private_metadata: view.private_metadata,
      submit: { text: "Save segment" },
    });
    const changed = updated.blocks
      .filter((b, i) => JSON.stringify(b) !== JSON.stringify(view.blocks[i]))
      .map((b) => b.block_id);
    expect(changed).toEqual([COUNT_BLOCK, DETAIL_BLOCK]);
  });

  it("reads the modal's state back into the form, with the changed element winning", () => {
    const id = randomUUID();
    const values = {
      name: { [fieldAction("name")]: { type: "plain_text_input", value: "Volunteers NY" } },
      match: { [fieldAction("match")]: { type: "radio_buttons", selected_option: { value: "any" } } },
      tagsAny: {
        [fieldAction("tagsAny")]: { type: "multi_static_select", selected_options: [{ value: "volunteer" }] },
      },
      states: {
        [fieldAction("states")]: { type: "multi_static_select", selected_options: [{ value: "NY" }, { value: "NJ" }] },
      },
      engagement: { [fieldAction("engagement")]: { type: "static_select", selected_option: { value: "any" } } },
      lastTextedMode: {
        [fieldAction("lastTextedMode")]: { type: "static_select", selected_option: { value: "after" } },
      },
      lastTextedAfter: { [fieldAction("lastTextedAfter")]: { type: "datepicker", selected_date: "2026-01-05" } },
      campaign: { [fieldAction("campaign")]: { type: "static_select", selected_option: { value: `out:${id}` } } },
      customField: { [fieldAction("customField")]: { type: "static_select", selected_option: { value: "Ward" } } },
      customFieldOp: { [fieldAction("customFieldOp")]: { type: "static_select", selected_option: { value: "in" } } },
      customFieldValue: { [fieldAction("customFieldValue")]: { type: "plain_text_input", value: "4, 5" } },
    };
    const changed = {
      type: "multi_static_select",
      block_id: "tagsAny",
      action_id: fieldAction("tagsAny"),
      selected_options: [{ value: "donor" }],
    };
    const { name, form } = readSegmentForm(withChange(values as unknown as ViewStateValues, changed));
    expect(name).toBe("Volunteers NY");
    expect(form).toMatchObject({
      match: "any",
      tagsAny: ["donor"],
      states: ["NY", "NJ"],
      engagement: null,
      lastTextedMode: "after",
      lastTextedAfter: "2026-01-05",
      campaign: { id, member: false },
      customField: "Ward",
      customFieldOp: "in",
      customFieldValue: "4, 5",
      advanced: "",
    });
    expect(readSegmentForm({}).form).toMatchObject({
      match: "all",
      customField: null,
      customFieldOp: "equals",
      campaign: null,
      lastTextedMode: "any",
    });
  });

  it("lists many segments in sections Slack accepts", () => {
    const segments: SegmentSummary[] = Array.from({ length: 130 }, (_, i) => ({
      id: randomUUID(),
      name: `Segment ${i}`,
      description: `Tagged ${"volunteer ".repeat(20)}<script>`,
      createdBy: "U0LEAD",
      createdAt: new Date("2026-11-28T12:00:00Z"),
      campaigns: i === 0 ? ["GOTV & friends"] : [],
    }));
    const message = segmentListMessage(segments);
    expect(message.response_type).toBe("ephemeral");
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    const text = message.blocks.map((b) => (b as { text: { text: string } }).text.text);
    for (const t of text) expect(t.length).toBeLessThanOrEqual(3000);
    const all = text.join("\n");
    expect(all).toContain("*130 segments*");
    expect(all).toContain("• *Segment 0*: Tagged volunteer");
    expect(all).toContain("audience of “GOTV &amp; friends” · created 2026-11-28 by <@U0LEAD>");
    expect(all).toContain("…and 30 more.");
    expect(all).not.toContain("<script>");
    expect(segmentListMessage([]).text).toBe("No segments yet. Create one with `/segment new`.");
  });

  it("shows a segment with counts, breakdowns and only masked phones", () => {
    const details: SegmentDetails = {
      id: randomUUID(),
      name: "Volunteers",
      description: "Tagged volunteer",
      createdBy: "U0LEAD",
      createdAt: new Date("2026-11-28T12:00:00Z"),
      campaigns: [],
      filter: { tags: { any: ["volunteer"] } },
      reachable: 1234,
      byState: [
        ...Array.from({ length: 11 }, (_, i) => ({ value: `S${i}`, contacts: 100 })),
        { value: null, contacts: 134 },
      ],
      byTimeZone: [{ value: "America/New_York", contacts: 1234 }],
      sample: [{ name: "Ana Nguyen", maskedPhone: "•••-•••-0143", state: "NY", timeZone: "America/New_York" }],
    };
    const text = JSON.stringify(segmentDetailsMessage(details));
    expect(text).toContain("*1,234 reachable contacts (opted-out numbers excluded)*");
    expect(text).toContain("S9 100 · others 234");
    expect(text).toContain("America/New_York 1,234");
    expect(text).toContain("• Ana Nguyen, •••-•••-0143, NY, America/New_York");
  });

  it("asks before deleting, with the segment id on the button", () => {
    const id = randomUUID();
    const message = segmentDeleteConfirmMessage({ id, name: "Volunteers", description: "Tagged volunteer" });
    const actions = message.blocks.find((b) => b.type === "actions") as {
      elements: { action_id: string; value: string; style?: string }[];
    };
    expect(actions.elements).toEqual([
      expect.objectContaining({ action_id: "segment_delete_confirm", value: id, style: "danger" }),
      expect.objectContaining({ action_id: "segment_delete_cancel", value: id }),
    ]);
  });
});
