/** One line of `npm run doctor`: what was checked, what was found, and what to do when it failed. */
export interface CheckResult {
  item: string;
  status: "pass" | "fail" | "skip";
  detail: string;
  fix?: string;
}

export const pass = (item: string, detail: string): CheckResult => ({ item, status: "pass", detail });
export const fail = (item: string, detail: string, fix: string): CheckResult => ({ item, status: "fail", detail, fix });
export const skip = (item: string, detail: string): CheckResult => ({ item, status: "skip", detail });

const MARK = { pass: "✓", fail: "✗", skip: "–" } as const;

export function formatResult(r: CheckResult): string {
  return `${MARK[r.status]} ${r.item}: ${r.detail}${r.fix ? ` → Fix: ${r.fix}` : ""}`;
}

/** The reason an unexpected error gives, without a stack trace. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
