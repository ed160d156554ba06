// The rule pool: the recommendations, each with its measured effect, ordered by evidence and effect and capped.
// Rules shown to work come first; rules shown not to (no_effect, with enough data) last, and generated
// contexts leave them out — a prompt's room is better spent on a rule that may still help.
import type { Recommendation } from "../analysis/recommendations.js";
import { rankedRecommendations, type AnalysisState } from "./analysis.js";
import { ruleEffect, type ContextsState } from "./contexts.js";

export type PooledRule = Recommendation & { effect: ReturnType<typeof ruleEffect> };

const EFFECT_ORDER = { helps: 0, insufficient_data: 1, no_effect: 2 } as const;

/** The top `size` rules: by effect class, then in the recommendations' own order (evidence). */
export function rulePool(states: { analysis: AnalysisState; contexts: ContextsState }, size: number): PooledRule[] {
  return rankedRecommendations(states.analysis)
    .map((r) => ({ ...r, effect: ruleEffect(states.contexts, r.id) }))
    .sort((a, b) => EFFECT_ORDER[a.effect.verdict] - EFFECT_ORDER[b.effect.verdict]) // stable: evidence order within a class
    .slice(0, size);
}

/** The rules a generated context may use. */
export const promptRules = (pool: PooledRule[]) => pool.filter((r) => r.effect.verdict !== "no_effect");
