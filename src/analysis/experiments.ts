// Verdicts of the learning loop, from counts: which experiment variant is best, and whether a rule helps.
// Pure; the statistics themselves are in stats.ts.
import { compareProportions, probabilityBest, rate, sampleSizePerArm, wilson, type Proportion } from "./stats.js";

/** Significance level of every verdict here. */
export const ALPHA = 0.05;

/**
 * Sessions per variant before an experiment may declare anything, unless it says otherwise: enough to detect
 * a first-attempt success rate of 0.5 rising to 0.65 (two-sided, alpha 0.05, power 0.8) — 167.
 */
export const DEFAULT_MIN_SESSIONS_PER_VARIANT = sampleSizePerArm(0.5, 0.65, ALPHA, 0.8);

/** Posterior draws for the probability of being best, and their seed: the same counts give the same answer. */
const DRAWS = 20_000;
const SEED = 14;

/** A proportion as the API shows it: counts, rate (null when n is 0) and its Wilson 95% interval. */
export function proportion(successes: number, n: number) {
  return { successes, n, rate: rate(successes, n), ci95: wilson(successes, n) };
}

export interface Decision {
  status: "collecting" | "no_difference" | "winner";
  winner: string | null;
  /** The largest p-value of the best variant against each other one; null until every variant has a session. */
  p_value: number | null;
  test: "fisher" | "two_proportion" | null;
}

/**
 * The best variant (highest first-attempt success rate) against each other one, by compareProportions. A
 * winner is declared when it beats every other at ALPHA / (k - 1) (Bonferroni), and nothing at all before
 * every variant has `minSessions` sessions.
 */
export function decide(arms: Array<Proportion & { name: string }>, minSessions: number): Decision {
  if (arms.some((a) => a.n === 0)) return { status: "collecting", winner: null, p_value: null, test: null };
  const ranked = [...arms].sort((a, b) => b.successes / b.n - a.successes / a.n);
  const best = ranked[0];
  let p_value = 0;
  let test: Decision["test"] = null;
  for (const other of ranked.slice(1)) {
    const c = compareProportions(best.successes, best.n, other.successes, other.n);
    if (c.p_value >= p_value) ({ p_value, test } = c);
  }
  if (arms.some((a) => a.n < minSessions)) return { status: "collecting", winner: null, p_value, test };
  const tied = ranked[1].successes / ranked[1].n === best.successes / best.n;
  const significant = !tied && p_value < ALPHA / (arms.length - 1);
  return { status: significant ? "winner" : "no_difference", winner: significant ? best.name : null, p_value, test };
}

/** Each arm's probability of having the highest true rate (Beta(1, 1) priors), deterministic. */
export function chanceBest(arms: Proportion[]): number[] {
  return probabilityBest(arms, { draws: DRAWS, seed: SEED });
}

export type EffectVerdict = "helps" | "no_effect" | "insufficient_data";

/** Below this many attempts on either side, no verdict but "helps" (which needs significance anyway). */
export const MIN_EFFECT_ATTEMPTS = 30;

/**
 * Does a rule make its pattern rarer? `withRule` and `withoutRule` count attempts (n) and failures of the
 * pattern (successes, in stats.ts terms). "helps": the rate with it is lower, significantly at ALPHA.
 * "no_effect": not significant although both sides had enough attempts to detect the rate without the rule
 * halving (sampleSizePerArm, power 0.8) — so a rule is only judged useless when it had its chance.
 */
export function effectVerdict(withRule: Proportion, withoutRule: Proportion) {
  if (withRule.n === 0 || withoutRule.n === 0)
    return { verdict: "insufficient_data" as EffectVerdict, p_value: null, test: null, needed_per_side: null };
  const comparison = compareProportions(withRule.successes, withRule.n, withoutRule.successes, withoutRule.n);
  const rateWithout = withoutRule.successes / withoutRule.n;
  const needed = rateWithout > 0 ? Math.max(MIN_EFFECT_ATTEMPTS, sampleSizePerArm(rateWithout, rateWithout / 2, ALPHA, 0.8)) : null;
  let verdict: EffectVerdict = "insufficient_data";
  if (comparison.p_value < ALPHA && withRule.successes / withRule.n < rateWithout) verdict = "helps";
  else if (needed !== null && withRule.n >= needed && withoutRule.n >= needed) verdict = "no_effect";
  return { verdict, p_value: comparison.p_value, test: comparison.test, needed_per_side: needed };
}
