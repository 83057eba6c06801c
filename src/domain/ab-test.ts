/*
 * A/B statistics for script variants: is B's rate (replies, outcomes, opt-outs) really different
 * from A's, or could chance explain it? The pooled two-proportion z-test, two-sided, and the number
 * of texts per variant it takes to tell a given difference apart.
 */

export interface VariantCounts {
  sent: number;
  successes: number;
}

export interface Comparison {
  /** b's rate minus a's, as a proportion (0.042 for 4.2 points); null when either sent nothing. */
  difference: number | null;
  /** Two-sided p-value of the pooled two-proportion z-test; null when either sent nothing or the pooled rate is 0 or 1. */
  pValue: number | null;
  significant: boolean;
}

/** Below this p-value a difference is called likely real. */
export const SIGNIFICANCE = 0.05;

export function compareVariants(a: VariantCounts, b: VariantCounts): Comparison {
  if (a.sent === 0 || b.sent === 0) return { difference: null, pValue: null, significant: false };
  const difference = b.successes / b.sent - a.successes / a.sent;
  const pooled = (a.successes + b.successes) / (a.sent + b.sent);
  if (pooled <= 0 || pooled >= 1) return { difference, pValue: null, significant: false };
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / a.sent + 1 / b.sent));
  const z = difference / standardError;
  const pValue = Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
  return { difference, pValue, significant: pValue < SIGNIFICANCE };
}

/** z for a two-sided 5% test and for 80% power. */
const Z_ALPHA = 1.959963984540054;
const Z_POWER = 0.8416212335729143;

/**
 * Texts per variant needed to tell `baseRate` from `baseRate + difference` (two-sided 5%, 80%
 * power); null when the rates fall outside (0, 1) or the difference is 0.
 */
export function textsPerVariantToDetect(baseRate: number, difference: number): number | null {
  const p1 = baseRate;
  const p2 = baseRate + difference;
  if (difference === 0 || p1 <= 0 || p1 >= 1 || p2 <= 0 || p2 >= 1) return null;
  const mean = (p1 + p2) / 2;
  const numerator = Z_ALPHA * Math.sqrt(2 * mean * (1 - mean)) + Z_POWER * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  return Math.ceil((numerator * numerator) / (difference * difference));
}

/**
 * The complementary error function, to about 1e-7 relative error everywhere (Numerical Recipes'
 * Chebyshev fit), so p-values stay accurate far into the tails.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** The smallest difference a verdict asks the data to tell apart: 3 points. */
export const DETECTABLE_DIFFERENCE = 0.03;

/**
 * What the numbers say about variant B against A, for a report to word:
 * - `likely-real`: the difference is significant;
 * - `no-real-difference`: both have enough texts to tell `detectable` apart, and the difference is not significant;
 * - `not-enough-data`: about `moreTexts` more texts per variant would tell a `detectable` difference;
 * - `no-data`: a variant sent nothing (`not-sent`), or neither had a single success yet (`no-successes`).
 */
export type Verdict =
  | { kind: "likely-real"; difference: number; pValue: number }
  | { kind: "no-real-difference"; difference: number; pValue: number; detectable: number }
  | { kind: "not-enough-data"; moreTexts: number; detectable: number; difference: number | null }
  | { kind: "no-data"; why: "not-sent" | "no-successes" };

export function abVerdict(a: VariantCounts, b: VariantCounts): Verdict {
  const { difference, pValue, significant } = compareVariants(a, b);
  if (difference === null) return { kind: "no-data", why: "not-sent" };
  if (significant && pValue !== null) return { kind: "likely-real", difference, pValue };
  // Ask for at least 3 points; a larger difference seen (not yet significant) is what to confirm.
  const detectable = Math.max(DETECTABLE_DIFFERENCE, Math.round(Math.abs(difference) * 100) / 100);
  const pooled = (a.successes + b.successes) / (a.sent + b.sent);
  const base = Math.min(pooled, 1 - detectable - 1e-9);
  const needed = pooled > 0 ? textsPerVariantToDetect(base, detectable) : null;
  if (needed === null) return { kind: "no-data", why: "no-successes" };
  const moreTexts = Math.max(0, needed - Math.min(a.sent, b.sent));
  if (moreTexts === 0 && pValue !== null) return { kind: "no-real-difference", difference, pValue, detectable };
  return { kind: "not-enough-data", moreTexts: Math.max(1, moreTexts), detectable, difference };
}
