import fc from "fast-check";
import { abVerdict, compareVariants, erfc, textsPerVariantToDetect } from "../../../src/domain/ab-test";

/*
 * Reference values were computed independently with Python's math.erfc (the C library's erfc) from
 * the same pooled two-proportion z statistic; 1.96 → 0.05 and the tail values are textbook.
 */
describe("A/B statistics", () => {
  it("match reference p-values of the pooled two-proportion z-test", () => {
    const cases: [number, number, number, number, number, number][] = [
      [1000, 100, 1000, 142, 0.042, 0.003980543786456679],
      [500, 50, 500, 55, 0.01, 0.6060086207726982],
      [2000, 300, 2100, 250, -0.030952380952380953, 0.0036514686804860527],
      [120, 12, 130, 30, 0.13076923076923078, 0.005727201294420149],
      [10000, 1000, 10000, 1200, 0.02, 6.188458781738805e-6],
    ];
    for (const [n1, s1, n2, s2, difference, p] of cases) {
      const result = compareVariants({ sent: n1, successes: s1 }, { sent: n2, successes: s2 });
      expect(result.difference).toBeCloseTo(difference, 12);
      expect(Math.abs(result.pValue! - p) / p).toBeLessThan(1e-5);
      expect(result.significant).toBe(p < 0.05);
    }
  });

  it("give the textbook tail areas", () => {
    expect(erfc(1.959963984540054 / Math.SQRT2)).toBeCloseTo(0.05, 7);
    expect(Math.abs(erfc(3 / Math.SQRT2) - 0.0026997960632601913) / 0.0027).toBeLessThan(1e-5);
    expect(Math.abs(erfc(8 / Math.SQRT2) - 1.2441921148543639e-15) / 1.24e-15).toBeLessThan(1e-5);
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(-1) + erfc(1)).toBeCloseTo(2, 12);
  });

  it("say nothing when a variant sent nothing or the pooled rate is 0 or 1", () => {
    expect(compareVariants({ sent: 0, successes: 0 }, { sent: 10, successes: 3 })).toEqual({
      difference: null,
      pValue: null,
      significant: false,
    });
    expect(compareVariants({ sent: 10, successes: 0 }, { sent: 10, successes: 0 })).toEqual({
      difference: 0,
      pValue: null,
      significant: false,
    });
    expect(compareVariants({ sent: 10, successes: 10 }, { sent: 5, successes: 5 }).pValue).toBeNull();
  });

  it("are symmetric and bounded", () => {
    const counts = fc
      .tuple(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 5000 }))
      .map(([sent, s]) => ({ sent, successes: Math.min(sent, s) }));
    fc.assert(
      fc.property(counts, counts, (a, b) => {
        const ab = compareVariants(a, b);
        const ba = compareVariants(b, a);
        expect(ab.difference).toBeCloseTo(-ba.difference!, 12);
        if (ab.pValue !== null) {
          expect(ab.pValue).toBeGreaterThanOrEqual(0);
          expect(ab.pValue).toBeLessThanOrEqual(1);
          expect(ab.pValue).toBeCloseTo(ba.pValue!, 12);
        }
      }),
    );
  });

  it("estimate the texts per variant needed to tell a difference (5% two-sided, 80% power)", () => {
    // 10% vs 15%: about 686 per group, the figure common sample-size tables give.
    expect(textsPerVariantToDetect(0.1, 0.05)).toBe(686);
    expect(textsPerVariantToDetect(0.1, 0.03)).toBe(1774);
    expect(textsPerVariantToDetect(0.5, 0.1)).toBe(388);
    expect(textsPerVariantToDetect(0, 0.03)).toBeNull();
    expect(textsPerVariantToDetect(0.1, 0)).toBeNull();
  });
});

describe("A/B verdicts", () => {
  it("call a significant difference likely real, with its size and p-value", () => {
    const verdict = abVerdict({ sent: 1000, successes: 100 }, { sent: 1000, successes: 142 });
    expect(verdict.kind).toBe("likely-real");
    if (verdict.kind !== "likely-real") return;
    expect(verdict.difference).toBeCloseTo(0.042, 12);
    expect(verdict.pValue).toBeCloseTo(0.00398, 5);
  });

  it("say how many more texts per variant would tell a 3-point difference", () => {
    // Pooled rate 11%: 1,907 texts per variant tell 11% from 14% (5% two-sided, 80% power); each sent 100.
    const verdict = abVerdict({ sent: 100, successes: 10 }, { sent: 100, successes: 12 });
    expect(verdict).toEqual({
      kind: "not-enough-data",
      moreTexts: 1807,
      detectable: 0.03,
      difference: expect.any(Number),
    });
    expect(textsPerVariantToDetect(0.11, 0.03)).toBe(1907);
  });

  it("ask to confirm a larger difference seen, not only 3 points", () => {
    const verdict = abVerdict({ sent: 40, successes: 4 }, { sent: 40, successes: 8 });
    expect(verdict.kind).toBe("not-enough-data");
    if (verdict.kind === "not-enough-data") expect(verdict.detectable).toBeCloseTo(0.1, 12);
  });

  it("find no real difference once both have enough texts", () => {
    const verdict = abVerdict({ sent: 5000, successes: 500 }, { sent: 5000, successes: 505 });
    expect(verdict.kind).toBe("no-real-difference");
    if (verdict.kind === "no-real-difference") expect(verdict.pValue).toBeGreaterThan(0.05);
  });

  it("have no verdict without texts or without a single success", () => {
    expect(abVerdict({ sent: 0, successes: 0 }, { sent: 10, successes: 1 })).toEqual({
      kind: "no-data",
      why: "not-sent",
    });
    expect(abVerdict({ sent: 50, successes: 0 }, { sent: 50, successes: 0 })).toEqual({
      kind: "no-data",
      why: "no-successes",
    });
  });

  it("never ask for fewer than one more text when the difference is not yet telling", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.nat(),
        fc.nat(),
        (n1, n2, s1, s2) => {
          const v = abVerdict({ sent: n1, successes: s1 % (n1 + 1) }, { sent: n2, successes: s2 % (n2 + 1) });
          if (v.kind === "not-enough-data") return v.moreTexts >= 1 && v.detectable >= 0.03;
          return true;
        },
      ),
    );
  });
});
