import { distance } from "fastest-levenshtein";

/**
 * The known names closest to what someone typed, best first: names that start with the input,
 * then those within a small edit distance (a typo or two). Empty when nothing is plausibly meant.
 */
export function suggestNames(input: string, known: readonly string[], limit = 3): string[] {
  const typed = input.trim().toLowerCase();
  if (!typed) return [];
  const maxDistance = Math.max(1, Math.ceil(typed.length / 3));
  return known
    .map((name) => {
      const lower = name.toLowerCase();
      const score = lower.startsWith(typed) || typed.startsWith(lower) ? 0 : distance(typed, lower);
      return { name, score };
    })
    .filter(({ score }) => score <= maxDistance)
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map(({ name }) => name);
}
