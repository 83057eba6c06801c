/**
 * The campaign modal's `view.state.values` as Slack sends them on view_submission: one entry per
 * input block (block id = the form's field), keyed by its action id `campaign.<field>`.
 */

export type StateValues = Record<string, Record<string, Record<string, unknown>>>;

const action = (block: string) => `campaign.${block}`;

export const typed = (block: string, value: string): StateValues => ({
  [block]: { [action(block)]: { type: "plain_text_input", value } },
});

export const numberTyped = (block: string, value: string): StateValues => ({
  [block]: { [action(block)]: { type: "number_input", value } },
});

export const chosen = (block: string, value: string): StateValues => ({
  [block]: {
    [action(block)]: { type: "static_select", selected_option: { text: { type: "plain_text", text: value }, value } },
  },
});

export const ticked = (block: string, values: string[]): StateValues => ({
  [block]: {
    [action(block)]: {
      type: "checkboxes",
      selected_options: values.map((value) => ({ text: { type: "plain_text", text: value }, value })),
    },
  },
});

/** A file input's state: Slack sends each chosen file whole (as files.info describes it). */
export const filesChosen = (block: string, files: readonly object[]): StateValues => ({
  [block]: { [action(block)]: { type: "file_input", files } },
});

export const channelPicked = (block: string, channel: string): StateValues => ({
  [block]: { [action(block)]: { type: "conversations_select", selected_conversation: channel } },
});
