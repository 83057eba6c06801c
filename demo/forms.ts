/**
 * Filling in a modal the app drew, as Slack reports it on submit: every input's state (what the
 * person typed or picked, else the value the form started with) under its block and action ids.
 */
import type { SlackFile } from "../test/fakes/slack-api";

export type View = Record<string, unknown> & {
  id: string;
  callback_id?: string;
  private_metadata: string;
  title?: { text: string };
  blocks: Array<Record<string, unknown>>;
};

/** Text typed, an option picked (by its label or value), several picked, a box ticked, or a file chosen. */
export type FormAnswer = string | string[] | boolean | { file: string };

type Option = { text: { text: string }; value: string };
type Element = Record<string, unknown> & { type: string; action_id: string };

const optionsOf = (element: Element): Option[] => [
  ...((element.options as Option[] | undefined) ?? []),
  ...((element.option_groups as { options: Option[] }[] | undefined) ?? []).flatMap((g) => g.options),
];

function pick(element: Element, wanted: string): Option {
  const found = optionsOf(element).find((o) => o.value === wanted || o.text.text === wanted);
  if (!found) throw new Error(`the form offers no “${wanted}” in ${element.action_id}`);
  return found;
}

export function formAnswers(
  view: View,
  answers: Record<string, FormAnswer>,
  files: SlackFile[],
): { values: Record<string, Record<string, Record<string, unknown>>>; shown: Array<[string, string]> } {
  const values: Record<string, Record<string, Record<string, unknown>>> = {};
  const shown: Array<[string, string]> = [];
  const unknown = new Set(Object.keys(answers));
  for (const block of view.blocks) {
    if (block.type !== "input" || typeof block.block_id !== "string") continue;
    const element = block.element as Element;
    const answer = answers[block.block_id];
    unknown.delete(block.block_id);
    const label = (block.label as { text: string }).text;
    const { state, said } = stateOf(element, answer, files);
    values[block.block_id] = { [element.action_id]: { type: element.type, ...state } };
    if (answer !== undefined && said !== "") shown.push([label, said]);
  }
  if (unknown.size) throw new Error(`the form has no field ${[...unknown].join(", ")}`);
  return { values, shown };
}

function stateOf(
  element: Element,
  answer: FormAnswer | undefined,
  files: SlackFile[],
): { state: Record<string, unknown>; said: string } {
  switch (element.type) {
    case "plain_text_input":
    case "number_input": {
      const value = typeof answer === "string" ? answer : ((element.initial_value as string | undefined) ?? null);
      return { state: { value }, said: value ?? "" };
    }
    case "static_select":
    case "radio_buttons": {
      const option =
        typeof answer === "string" ? pick(element, answer) : ((element.initial_option as Option | undefined) ?? null);
      return { state: { selected_option: option }, said: option?.text.text ?? "" };
    }
    case "multi_static_select":
    case "checkboxes": {
      const chosen =
        answer === true
          ? optionsOf(element)
          : Array.isArray(answer)
            ? answer.map((a) => pick(element, a))
            : answer === false
              ? []
              : ((element.initial_options as Option[] | undefined) ?? []);
      const said = element.type === "checkboxes" ? (chosen.length ? "☑ ticked" : "☐ left unticked") : "";
      return { state: { selected_options: chosen }, said: said || chosen.map((o) => o.text.text).join(", ") };
    }
    case "conversations_select": {
      const id = typeof answer === "string" ? answer : ((element.initial_conversation as string | undefined) ?? null);
      return { state: { selected_conversation: id }, said: id ? `<#${id}>` : "" };
    }
    case "file_input": {
      const name = typeof answer === "object" && !Array.isArray(answer) ? answer.file : null;
      const chosen = files.filter((f) => f.name === name);
      return { state: { files: chosen }, said: chosen.map((f) => f.name).join(", ") };
    }
    default:
      return { state: {}, said: "" };
  }
}
