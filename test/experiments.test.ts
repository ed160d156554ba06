// The learning loop's verdicts from counts: which test decides, when a decision may be declared, and when a
// rule helps. Expected p-values computed independently with scipy (stats.fisher_exact, the pooled z-test).
import { expect } from "chai";
import { ALPHA, DEFAULT_MIN_SESSIONS_PER_VARIANT, chanceBest, decide, effectVerdict, proportion } from "../src/analysis/experiments.js";
import { sampleSizePerArm } from "../src/analysis/stats.js";

const arm = (name: string, successes: number, n: number) => ({ name, successes, n });

describe("experiment decisions", () => {
  it("collects (no winner, no p-value) while a variant has no session", () => {
    expect(decide([arm("a", 3, 3), arm("b", 0, 0)], 1)).to.deep.equal({ status: "collecting", winner: null, p_value: null, test: null });
  });

  it("uses Fisher's exact test when an expected cell is below 5: 0 of 8 against 7 of 8 (p = 0.0013986)", () => {
    const d = decide([arm("a", 0, 8), arm("b", 7, 8)], 8);
    expect(d).to.include({ status: "winner", winner: "b", test: "fisher" });
    expect(d.p_value).to.be.closeTo(0.0013986013986, 1e-9);
  });

  it("declares nothing before every variant has min_sessions_per_variant, though it shows the p-value", () => {
    const d = decide([arm("a", 0, 8), arm("b", 7, 8)], 9);
    expect(d.status).to.equal("collecting");
    expect(d.winner).to.equal(null);
    expect(d.p_value).to.be.closeTo(0.0013986013986, 1e-9);
  });

  it("uses the two-proportion z-test with large cells: 60/100 against 40/100 (p = 0.0046777)", () => {
    const d = decide([arm("a", 60, 100), arm("b", 40, 100)], 100);
    expect(d).to.include({ status: "winner", winner: "a", test: "two_proportion" });
    expect(d.p_value).to.be.closeTo(0.004677734981, 1e-6);
  });

  it("says no_difference when the data are enough but the difference is not significant: 50/100 against 45/100 (p = 0.479)", () => {
    const d = decide([arm("a", 50, 100), arm("b", 45, 100)], 100);
    expect(d).to.include({ status: "no_difference", winner: null });
    expect(d.p_value).to.be.closeTo(0.47895, 1e-4);
  });

  it("with three variants the best must beat each other one at alpha / 2 (Bonferroni)", () => {
    // 30/50 vs 20/50 alone is significant (p = 0.0455) …
    expect(decide([arm("a", 30, 50), arm("b", 20, 50)], 50).status).to.equal("winner");
    // … but not among three variants, where the largest p must be below 0.025
    const three = decide([arm("a", 30, 50), arm("b", 20, 50), arm("c", 19, 50)], 50);
    expect(three.status).to.equal("no_difference");
    expect(three.p_value).to.be.closeTo(0.0455, 1e-3);
  });

  it("a tie has no winner", () => {
    expect(decide([arm("a", 25, 50), arm("b", 25, 50)], 50)).to.include({ status: "no_difference", winner: null });
  });

  it("the default minimum is the sample size to detect 0.5 → 0.65 at alpha 0.05 with power 0.8", () => {
    expect(DEFAULT_MIN_SESSIONS_PER_VARIANT).to.equal(sampleSizePerArm(0.5, 0.65, 0.05, 0.8));
    expect(DEFAULT_MIN_SESSIONS_PER_VARIANT).to.be.within(160, 180);
  });

  it("probability of being best is deterministic and favours the better arm", () => {
    const arms = [
      { successes: 5, n: 30 },
      { successes: 20, n: 30 },
    ];
    const p = chanceBest(arms);
    expect(p).to.deep.equal(chanceBest(arms));
    expect(p[0] + p[1]).to.be.closeTo(1, 1e-12);
    expect(p[1]).to.be.above(0.999);
    // equal counts: close to a coin toss
    const even = chanceBest([
      { successes: 10, n: 20 },
      { successes: 10, n: 20 },
    ]);
    expect(even[0]).to.be.closeTo(0.5, 0.02);
  });

  it("shows a proportion with its Wilson interval, and none for n = 0", () => {
    expect(proportion(0, 0)).to.deep.equal({ successes: 0, n: 0, rate: null, ci95: null });
    const p = proportion(2, 3);
    expect(p.rate).to.be.closeTo(2 / 3, 1e-12);
    expect(p.ci95![0]).to.be.closeTo(0.2077, 1e-4);
    expect(p.ci95![1]).to.be.closeTo(0.9385, 1e-4);
  });
});

describe("rule effect verdicts", () => {
  // successes = failures of the rule's pattern, n = attempts
  it("helps: the pattern is significantly rarer with the rule (2/200 against 20/200)", () => {
    const v = effectVerdict({ successes: 2, n: 200 }, { successes: 20, n: 200 });
    expect(v.verdict).to.equal("helps");
    expect(v.p_value).to.be.below(ALPHA);
  });

  it("no_effect only with enough attempts on both sides to have seen the rate halve (45/1000 against 50/1000)", () => {
    const v = effectVerdict({ successes: 45, n: 1000 }, { successes: 50, n: 1000 });
    expect(v.needed_per_side).to.equal(sampleSizePerArm(0.05, 0.025, ALPHA, 0.8));
    expect(1000).to.be.above(v.needed_per_side!);
    expect(v.verdict).to.equal("no_effect");
  });

  it("insufficient_data with the same rates on fewer attempts, or a side with none", () => {
    expect(effectVerdict({ successes: 18, n: 400 }, { successes: 20, n: 400 }).verdict).to.equal("insufficient_data");
    expect(effectVerdict({ successes: 0, n: 0 }, { successes: 20, n: 200 }).verdict).to.equal("insufficient_data");
  });

  it("a rule whose pattern got more frequent does not help", () => {
    expect(effectVerdict({ successes: 40, n: 200 }, { successes: 10, n: 200 }).verdict).to.not.equal("helps");
  });
});
