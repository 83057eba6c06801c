/**
 * Checks recorded call times against a posting rate, independently of the outbox's own arithmetic.
 * A stream of calls keeps "at most `burst` at once, then `perSecond`" exactly when for every pair
 * of calls i < j: t[j] - t[i] ≥ (j - i - burst + 1) × 1000 / perSecond.
 */
export interface Rate {
  perSecond: number;
  burst: number;
}

/** Describes every pair of calls that came closer together than the rate allows (empty when none). */
export function rateViolations(times: readonly number[], rate: Rate): string[] {
  const sorted = [...times].sort((a, b) => a - b);
  const interval = 1000 / rate.perSecond;
  const problems: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + rate.burst; j < sorted.length; j++) {
      const needed = (j - i - rate.burst + 1) * interval;
      if (sorted[j]! - sorted[i]! < needed - 1e-6) {
        problems.push(`calls ${i} and ${j} only ${sorted[j]! - sorted[i]!} ms apart; the rate needs ${needed} ms`);
        if (problems.length >= 5) return problems;
      }
    }
  }
  return problems;
}

/** The most calls in any window of `windowMs` (half-open: [t, t + windowMs)). */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

/** A clock a test moves by hand. Starts an hour ahead of real time, so rows stamped by the database are already due. */
export class VirtualClock {
  private ms = Math.ceil(Date.now() / 1000) * 1000 + 3_600_000;
  readonly start = this.ms;

  now = (): number => this.ms;
  date = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += Math.max(0, Math.ceil(ms));
  }
  /** Milliseconds since the clock was made. */
  elapsed(at: number | Date): number {
    return (typeof at === "number" ? at : at.getTime()) - this.start;
  }
}
