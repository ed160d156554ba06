// The shared statistics against values published for them (R's prop.test/fisher.test, Wikipedia's worked examples).
import { expect } from "chai";
import {
  compareProportions,
  fisherExact,
  poissonUpperTail,
  probabilityBest,
  rate,
  sampleSizePerArm,
  twoProportionTest,
  wilson,
} from "../src/analysis/stats.js";

const close = (actual: number, expected: number, tolerance = 1e-4) => expect(actual).to.be.closeTo(expected, tolerance);

describe("statistics", () => {
  it("rate is null where n is 0", () => {
    expect(rate(0, 0)).to.equal(null);
    expect(rate(3, 4)).to.equal(0.75);
  });

  it("Wilson 95% interval: 5 of 10, 0 of 10, 10 of 10, none", () => {
    const [lo, hi] = wilson(5, 10)!;
    close(lo, 0.2366);
    close(hi, 0.7634);
    const [zlo, zhi] = wilson(0, 10)!;
    expect(zlo).to.equal(0);
    close(zhi, 0.2775);
    const [flo, fhi] = wilson(10, 10)!;
    close(flo, 0.7225);
    expect(fhi).to.equal(1);
    expect(wilson(0, 0)).to.equal(null);
  });

  it("two-proportion z-test: 45/100 against 30/100", () => {
    const { z, p_value } = twoProportionTest(45, 100, 30, 100);
    close(z, 2.1909);
    close(p_value, 0.02846);
    expect(twoProportionTest(0, 10, 0, 10).p_value).to.equal(1);
  });

  it("Fisher's exact test, two-sided: the tea-tasting table and Wikipedia's 1/9/11/3 example", () => {
    close(fisherExact(3, 1, 1, 3), 0.4857);
    close(fisherExact(1, 9, 11, 3), 0.002759, 1e-6);
    expect(fisherExact(0, 0, 0, 0)).to.equal(1);
  });

  it("compareProportions uses Fisher when an expected cell is below 5, the z-test otherwise", () => {
    const small = compareProportions(1, 10, 8, 10);
    expect(small.test).to.equal("fisher");
    close(small.p_value, fisherExact(1, 9, 8, 2));
    const large = compareProportions(45, 100, 30, 100);
    expect(large.test).to.equal("two_proportion");
    close(large.p_value, 0.02846);
  });

  it("Poisson upper tail P(X ≥ k), precise far into the tail", () => {
    close(poissonUpperTail(10, 2), 4.6498e-5, 1e-8);
    expect(poissonUpperTail(0, 3)).to.equal(1);
    close(poissonUpperTail(1, 3), 1 - Math.exp(-3), 1e-12);
    const tiny = poissonUpperTail(60, 1);
    expect(tiny).to.be.greaterThan(0).and.lessThan(1e-70);
  });

  it("probability of being best: deterministic for a seed, near 1 for a clear winner, near ½ for equal arms", () => {
    const clear = probabilityBest([
      { successes: 9, n: 10 },
      { successes: 1, n: 10 },
    ]);
    expect(clear[0]).to.be.greaterThan(0.999);
    const equal = probabilityBest([
      { successes: 20, n: 40 },
      { successes: 20, n: 40 },
    ]);
    close(equal[0], 0.5, 0.03);
    close(equal[0] + equal[1], 1, 1e-12);
    expect(
      probabilityBest(
        [
          { successes: 3, n: 7 },
          { successes: 4, n: 9 },
        ],
        { seed: 7 },
      ),
    ).to.deep.equal(
      probabilityBest(
        [
          { successes: 3, n: 7 },
          { successes: 4, n: 9 },
        ],
        { seed: 7 },
      ),
    );
  });

  it("sample size per arm for 50% → 60% at α 0.05 and power 0.8 is the textbook 388", () => {
    expect(sampleSizePerArm(0.5, 0.6)).to.equal(388);
    expect(sampleSizePerArm(0.3, 0.3)).to.equal(Infinity);
  });
});
