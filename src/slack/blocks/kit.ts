import type { types } from "@slack/bolt";

/*
 * The Block Kit pieces every builder is made of. Each keeps within Slack's limits, so a long
 * campaign name or an imported column never gets a message or a view refused: text is cut short
 * with "…", lists are cut to what Slack shows. Values the app reads back (button values, option
 * values, private_metadata) are never cut, since a cut value would name something else: making one
 * too long is a bug in the builder, and these throw a RangeError instead.
 * Pure: data in, Block Kit JSON out. Mrkdwn text arrives already escaped (escapeForSlack).
 */

type KnownBlock = types.KnownBlock;
type PlainTextOption = types.PlainTextOption;

/** Slack's limits on what the builders send (Block Kit reference). */
export const SLACK_LIMITS = {
  /** Any text object, so a section's text and each context element. */
  text: 3_000,
  buttonText: 75,
  buttonValue: 2_000,
  optionText: 75,
  optionDescription: 75,
  optionValue: 150,
  optionGroupLabel: 75,
  selectOptions: 100,
  actionsElements: 25,
  placeholder: 150,
  label: 2_000,
  hint: 2_000,
  modalTitle: 24,
  /** A modal's submit and close buttons. */
  modalButton: 24,
  privateMetadata: 3_000,
  messageBlocks: 50,
  modalBlocks: 100,
} as const;

/** A message's `text`: its notification and its fallback. Slack takes 40,000 characters; a notification wants far fewer. */
export const FALLBACK_TEXT_MAX = 3_000;

/** `text` cut to `max` characters, ending in "…" when cut, never splitting an emoji's surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** 12345 → "12,345". */
export const number = (n: number): string => n.toLocaleString("en-US");

export const plain = (text: string, max: number = SLACK_LIMITS.text): types.PlainTextElement => ({
  type: "plain_text",
  text: clip(text, max),
});

export const placeholder = (text: string) => plain(text, SLACK_LIMITS.placeholder);

export function section(
  text: string,
  extra: { blockId?: string; accessory?: types.SectionBlockAccessory } = {},
): types.SectionBlock {
  return {
    type: "section",
    ...(extra.blockId ? { block_id: extra.blockId } : {}),
    text: { type: "mrkdwn", text: clip(text, SLACK_LIMITS.text) },
    ...(extra.accessory ? { accessory: extra.accessory } : {}),
  };
}

export function context(text: string, blockId?: string): types.ContextBlock {
  return {
    type: "context",
    ...(blockId ? { block_id: blockId } : {}),
    elements: [{ type: "mrkdwn", text: clip(text, SLACK_LIMITS.text) }],
  };
}

export const divider = (): types.DividerBlock => ({ type: "divider" });

function whole(value: string, max: number, what: string): string {
  if (value.length > max) throw new RangeError(`${what} is ${value.length} characters; Slack takes at most ${max}`);
  return value;
}

export function button(opts: {
  actionId: string;
  text: string;
  value: string;
  style?: "primary" | "danger";
}): types.Button {
  return {
    type: "button",
    action_id: opts.actionId,
    ...(opts.style ? { style: opts.style } : {}),
    text: plain(opts.text, SLACK_LIMITS.buttonText),
    value: whole(opts.value, SLACK_LIMITS.buttonValue, `The value of button ${opts.actionId}`),
  };
}

export function actions(elements: types.ActionsBlockElement[], blockId?: string): types.ActionsBlock {
  return {
    type: "actions",
    ...(blockId ? { block_id: blockId } : {}),
    elements: elements.slice(0, SLACK_LIMITS.actionsElements),
  };
}

/** One choice of a menu, radio group or checkbox group. */
export function option(text: string, value: string, description?: string): PlainTextOption {
  return {
    text: plain(text, SLACK_LIMITS.optionText),
    value: whole(value, SLACK_LIMITS.optionValue, `The value of option “${clip(text, 40)}”`),
    ...(description ? { description: plain(description, SLACK_LIMITS.optionDescription) } : {}),
  };
}

/** A labelled group of a menu's options; the groups of one menu hold at most 100 options together. */
export const optionGroup = (label: string, options: PlainTextOption[]) => ({
  label: plain(label, SLACK_LIMITS.optionGroupLabel),
  options,
});

/** A one-choice menu of at most 100 options, with the option whose value is `initial` picked. */
export function staticSelect(opts: {
  actionId?: string;
  placeholder?: string;
  options: PlainTextOption[];
  initial?: string | null;
}): types.StaticSelect {
  const options = opts.options.slice(0, SLACK_LIMITS.selectOptions);
  const initial = options.find((o) => o.value === opts.initial);
  return {
    type: "static_select",
    ...(opts.actionId ? { action_id: opts.actionId } : {}),
    ...(opts.placeholder ? { placeholder: placeholder(opts.placeholder) } : {}),
    options,
    ...(initial ? { initial_option: initial } : {}),
  };
}

/** A many-choice menu of at most 100 options. */
export function multiStaticSelect(opts: {
  actionId: string;
  placeholder?: string;
  options: PlainTextOption[];
}): types.MultiStaticSelect {
  return {
    type: "multi_static_select",
    action_id: opts.actionId,
    options: opts.options.slice(0, SLACK_LIMITS.selectOptions),
    ...(opts.placeholder ? { placeholder: placeholder(opts.placeholder) } : {}),
  };
}

/** A form field of a modal. */
export function input(opts: {
  blockId: string;
  label: string;
  element: types.InputBlockElement;
  optional?: boolean;
  hint?: string;
  /** The element reports each change as a block action (the modal stays open). */
  dispatchAction?: boolean;
}): types.InputBlock {
  return {
    type: "input",
    block_id: opts.blockId,
    ...(opts.optional !== undefined ? { optional: opts.optional } : {}),
    ...(opts.dispatchAction ? { dispatch_action: true } : {}),
    label: plain(opts.label, SLACK_LIMITS.label),
    ...(opts.hint ? { hint: plain(opts.hint, SLACK_LIMITS.hint) } : {}),
    element: opts.element,
  };
}

/** A modal: title and buttons cut to 24 characters, at most 100 blocks. */
export function modal(opts: {
  callbackId: string;
  title: string;
  privateMetadata: string;
  submit?: string;
  close?: string;
  blocks: KnownBlock[];
}): types.ModalView {
  return {
    type: "modal",
    callback_id: opts.callbackId,
    private_metadata: whole(opts.privateMetadata, SLACK_LIMITS.privateMetadata, `The metadata of ${opts.callbackId}`),
    title: plain(opts.title, SLACK_LIMITS.modalTitle),
    ...(opts.submit ? { submit: plain(opts.submit, SLACK_LIMITS.modalButton) } : {}),
    ...(opts.close ? { close: plain(opts.close, SLACK_LIMITS.modalButton) } : {}),
    blocks: opts.blocks.slice(0, SLACK_LIMITS.modalBlocks),
  };
}

/** A message: its fallback text, and at most 50 blocks (by default the text as one section). */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** An answer only the person who asked sees (slash command, response_url). */
export interface EphemeralAnswer extends SlackMessage {
  response_type: "ephemeral";
}

export function message(text: string, blocks: KnownBlock[] = [section(text)]): SlackMessage {
  return { text: clip(text, FALLBACK_TEXT_MAX), blocks: blocks.slice(0, SLACK_LIMITS.messageBlocks) };
}

export function ephemeral(text: string, blocks?: KnownBlock[]): EphemeralAnswer {
  return { response_type: "ephemeral", ...message(text, blocks) };
}
