import { DEFAULT_SEND_WINDOW, sendWindowPolicySchema, WEEKDAYS, type SendWindowPolicy } from "./quiet-hours";

/*
 * The sending hours the campaign form offers, as presets over the quiet-hours policy
 * (src/domain/quiet-hours.ts holds the rule itself).
 */

const hours = (start: number, end: number) => ({ start: start * 60, end: end * 60 });

/**
 * Sending hours organizers can pick. None is looser than the default, which satisfies every state
 * rule found (PLATFORM.md): a campaign can be stricter than the law, never looser by accident.
 */
export const SEND_WINDOW_PRESETS = {
  standard: { label: "Mon–Sat 9 am–8 pm, Sun noon–8 pm (recommended)", policy: DEFAULT_SEND_WINDOW },
  daytime: {
    label: "Every day 10 am–7 pm",
    policy: {
      sunday: hours(12, 19),
      monday: hours(10, 19),
      tuesday: hours(10, 19),
      wednesday: hours(10, 19),
      thursday: hours(10, 19),
      friday: hours(10, 19),
      saturday: hours(10, 19),
    },
  },
  weekdays: {
    label: "Weekdays only, 9 am–8 pm",
    policy: {
      sunday: null,
      monday: hours(9, 20),
      tuesday: hours(9, 20),
      wednesday: hours(9, 20),
      thursday: hours(9, 20),
      friday: hours(9, 20),
      saturday: null,
    },
  },
} as const satisfies Record<string, { label: string; policy: SendWindowPolicy }>;
export type SendWindowPreset = keyof typeof SEND_WINDOW_PRESETS;
export const SEND_WINDOW_PRESET_IDS = Object.keys(SEND_WINDOW_PRESETS) as SendWindowPreset[];

/** The preset a stored policy is, or null for one the form cannot show (set some other way). */
export function presetOf(policy: unknown): SendWindowPreset | null {
  if (policy === null || policy === undefined) return "standard";
  const parsed = sendWindowPolicySchema.safeParse(policy);
  if (!parsed.success) return null;
  // Compared day by day: stored JSON (jsonb) does not keep key order.
  const same = (a: SendWindowPolicy, b: SendWindowPolicy) =>
    WEEKDAYS.every((day) => a[day]?.start === b[day]?.start && a[day]?.end === b[day]?.end);
  return SEND_WINDOW_PRESET_IDS.find((id) => same(SEND_WINDOW_PRESETS[id].policy, parsed.data)) ?? null;
}
