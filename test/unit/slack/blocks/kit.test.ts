import {
  actions,
  button,
  clip,
  context,
  ephemeral,
  FALLBACK_TEXT_MAX,
  input,
  message,
  modal,
  multiStaticSelect,
  option,
  optionGroup,
  plain,
  section,
  SLACK_LIMITS,
  staticSelect,
} from "../../../../src/slack/blocks/kit";

const long = (n: number) => "x".repeat(n);

describe("Block Kit kit", () => {
  it("cuts text at the limit with an ellipsis, and leaves text that fits alone", () => {
    expect(clip("Volunteers", 10)).toBe("Volunteers");
    expect(clip("Volunteers NY", 10)).toBe("Volunteer…");
    expect(clip(long(5_000), 3_000)).toHaveLength(3_000);
    // 9 characters then an emoji (two UTF-16 units) across the cut: the emoji goes whole, never half.
    expect(clip(`${long(8)}😀yz`, 10)).toBe(`${long(8)}…`);
  });

  it("keeps section and context text within 3,000 characters", () => {
    const built = section(long(4_000), { blockId: "b" });
    expect(built.text!.text).toHaveLength(SLACK_LIMITS.text);
    expect(built.text!.text.endsWith("…")).toBe(true);
    expect(built.block_id).toBe("b");
    expect(section("short")).toEqual({ type: "section", text: { type: "mrkdwn", text: "short" } });
    const note = context(long(3_001)) as { elements: { text: string }[] };
    expect(note.elements[0]!.text).toHaveLength(3_000);
  });

  it("keeps button text within 75 characters and refuses to cut a value it would read back", () => {
    const built = button({ actionId: "go", text: long(100), value: long(SLACK_LIMITS.buttonValue) });
    expect(built.text.text).toHaveLength(75);
    expect(built.value).toHaveLength(2_000);
    expect(() => button({ actionId: "go", text: "Go", value: long(2_001) })).toThrow(RangeError);
    const row = actions(Array.from({ length: 30 }, (_, i) => button({ actionId: `b${i}`, text: "B", value: "v" })));
    expect(row.elements).toHaveLength(SLACK_LIMITS.actionsElements);
  });

  it("keeps options within 75 characters of text and description, and their values whole", () => {
    const built = option(long(80), "v", long(90));
    expect(built.text.text).toHaveLength(75);
    expect(built.description!.text).toHaveLength(75);
    expect(option("Ward", "Ward")).toEqual({ text: { type: "plain_text", text: "Ward" }, value: "Ward" });
    expect(() => option("Tag", long(151))).toThrow(RangeError);
    expect(optionGroup(long(80), []).label.text).toHaveLength(75);
  });

  it("lists at most 100 options in a menu and picks the initial one by value", () => {
    const options = Array.from({ length: 150 }, (_, i) => option(`Segment ${i}`, `s${i}`));
    const one = staticSelect({ options, initial: "s3", placeholder: long(200) });
    expect(one.options).toHaveLength(SLACK_LIMITS.selectOptions);
    expect(one.initial_option).toEqual(option("Segment 3", "s3"));
    expect(one.placeholder!.text).toHaveLength(SLACK_LIMITS.placeholder);
    expect(staticSelect({ options, initial: "s120" }).initial_option).toBeUndefined(); // not listed, so not picked
    expect(multiStaticSelect({ actionId: "m", options }).options).toHaveLength(100);
  });

  it("keeps a modal's title and buttons within 24 characters and its blocks within 100", () => {
    const view = modal({
      callbackId: "v",
      privateMetadata: "{}",
      title: "A title far too long for a modal",
      submit: "Save every single change now",
      close: "Cancel",
      blocks: Array.from({ length: 120 }, () => section("x")),
    });
    expect(view.title.text).toHaveLength(24);
    expect(view.submit!.text).toHaveLength(24);
    expect(view.close).toEqual(plain("Cancel"));
    expect(view.blocks).toHaveLength(SLACK_LIMITS.modalBlocks);
    expect(() => modal({ callbackId: "v", privateMetadata: long(3_001), title: "T", blocks: [] })).toThrow(RangeError);
  });

  it("cuts an input's label and hint to 2,000 characters", () => {
    const field = input({
      blockId: "name",
      label: long(2_100),
      hint: long(2_100),
      element: { type: "plain_text_input", action_id: "a" },
      dispatchAction: true,
    });
    expect(field.label.text).toHaveLength(SLACK_LIMITS.label);
    expect(field.hint!.text).toHaveLength(SLACK_LIMITS.hint);
    expect(field.dispatch_action).toBe(true);
  });

  it("gives every message a text fallback and at most 50 blocks", () => {
    expect(message("Saved.")).toEqual({ text: "Saved.", blocks: [section("Saved.")] });
    const many = message(
      long(5_000),
      Array.from({ length: 60 }, () => section("x")),
    );
    expect(many.text).toHaveLength(FALLBACK_TEXT_MAX);
    expect(many.blocks).toHaveLength(SLACK_LIMITS.messageBlocks);
    expect(ephemeral("Only you")).toEqual({
      response_type: "ephemeral",
      text: "Only you",
      blocks: [section("Only you")],
    });
  });
});
