// Statistics shared by trends, anomalies, experiments and rule effects: intervals and tests that stay honest at
// small counts. Distribution functions come from jstat; what is here is how the project uses them.
import jstatPackage from "jstat";

const { jStat } = jstatPackage;

/** A proportion as counts, so every rate shown can carry its n. */
export interface Proportion {
  successes: number;
  n: number;
}

/** successes / n, or null where n is 0 (a rate of nothing is undefined, not 0). */
export function rate(successes: number, n: number): number | null {
  return n > 0 ? successes / n : null;
}

/**
 * Wilson score interval (95% by default): unlike the normal approximation it stays inside [0, 1] and is not
 * degenerate at 0 or n successes, which matters for the small counts of a day or a variant. null where n is 0.
 */
export function wilson(successes: number, n: number, z = 1.959963984540054): [number, number] | null {
  if (n <= 0) return null;
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At 0 or n successes the bound is exactly 0 or 1; rounding must not leave it at 0.9999999999999999.
  return [successes === 0 ? 0 : Math.max(0, centre - half), successes === n ? 1 : Math.min(1, centre + half)];
}

/** Two-sided two-proportion z-test with pooled variance; p_value 1 where there is no variance to test. */
export function twoProportionTest(s1: number, n1: number, s2: number, n2: number): { z: number; p_value: number } {
  if (n1 <= 0 || n2 <= 0) return { z: 0, p_value: 1 };
  const pooled = (s1 + s2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { z: 0, p_value: 1 };
  const z = (s1 / n1 - s2 / n2) / se;
  return { z, p_value: Math.min(1, 2 * (1 - jStat.normal.cdf(Math.abs(z), 0, 1))) };
}

/**
 * Fisher's exact test, two-sided, of the 2×2 table [[a, b], [c, d]]: the probability, under fixed margins, of
 * a table at most as likely as the one observed (the usual definition, as R's fisher.test).
 */
export function fisherExact(a: number, b: number, c: number, d: number): number {
  const row1 = a + b;
  const col1 = a + c;
  const total = a + b + c + d;
  if (total === 0) return 1;
  const pmf = (k: number) => jStat.hypgeom.pdf(k, total, col1, row1);
  const observed = pmf(a);
  const lo = Math.max(0, row1 + col1 - total);
  const hi = Math.min(row1, col1);
  let p = 0;
  // A relative tolerance, as R uses, so tables as likely as the observed one are not lost to rounding.
  for (let k = lo; k <= hi; k++) {
    const q = pmf(k);
    if (q <= observed * (1 + 1e-7)) p += q;
  }
  return Math.min(1, p);
}

export interface Comparison {
  p_value: number;
  test: "fisher" | "two_proportion";
}

/**
 * Compares two proportions: the two-proportion z-test, or Fisher's exact test when any expected cell of the
 * 2×2 table is below 5 (where the normal approximation is not to be trusted).
 */
export function compareProportions(s1: number, n1: number, s2: number, n2: number): Comparison {
  const total = n1 + n2;
  const successes = s1 + s2;
  const failures = total - successes;
  const expected = total === 0 ? [0] : [n1, n2].flatMap((n) => [(n * successes) / total, (n * failures) / total]);
  if (Math.min(...expected) < 5) return { p_value: fisherExact(s1, n1 - s1, s2, n2 - s2), test: "fisher" };
  return { p_value: twoProportionTest(s1, n1, s2, n2).p_value, test: "two_proportion" };
}

/** P(X ≥ k) for X ~ Poisson(lambda): how surprising k occurrences are where lambda were expected. */
export function poissonUpperTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  if (lambda <= 0) return 0;
  // Summing the upper terms keeps precision for tiny tails, where 1 - cdf(k - 1) would round to 0.
  let term = jStat.poisson.pdf(k, lambda);
  let sum = 0;
  for (let i = k; term > 0 && i < k + 10_000; i++) {
    sum += term;
    if (term < sum * 1e-17) break;
    term *= lambda / (i + 1);
  }
  return Math.min(1, sum);
}

/** mulberry32: a small seeded generator, so Monte Carlo answers are the same on every replica and rebuild. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The probability that each arm has the highest true rate, under independent Beta(1 + successes, 1 + failures)
 * posteriors (uniform priors), by Monte Carlo with a fixed seed: deterministic for the same counts.
 */
export function probabilityBest(arms: Proportion[], options: { draws?: number; seed?: number } = {}): number[] {
  const draws = options.draws ?? 10_000;
  const wins = new Array<number>(arms.length).fill(0);
  if (arms.length === 0) return wins;
  const saved = jStat._random_fn;
  jStat.setRandom(seededRandom(options.seed ?? 1));
  try {
    for (let i = 0; i < draws; i++) {
      let best = 0;
      let bestValue = -1;
      for (let a = 0; a < arms.length; a++) {
        const value = jStat.beta.sample(1 + arms[a].successes, 1 + arms[a].n - arms[a].successes);
        if (value > bestValue) {
          bestValue = value;
          best = a;
        }
      }
      wins[best]++;
    }
  } finally {
    jStat.setRandom(saved);
  }
  return wins.map((w) => w / draws);
}

/**
 * Sessions needed per arm to detect p1 against p2 with a two-sided two-proportion test at significance alpha
 * and the given power (the classical normal-approximation formula, rounded up).
 */
export function sampleSizePerArm(p1: number, p2: number, alpha = 0.05, power = 0.8): number {
  if (p1 === p2) return Infinity;
  const zAlpha = jStat.normal.inv(1 - alpha / 2, 0, 1);
  const zBeta = jStat.normal.inv(power, 0, 1);
  const mean = (p1 + p2) / 2;
  const numerator = zAlpha * Math.sqrt(2 * mean * (1 - mean)) + zBeta * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  return Math.ceil((numerator * numerator) / ((p1 - p2) * (p1 - p2)));
}
