// Failures grouped by error_type and by error_category: counts, fix rates and the latest example of each.
import { recommendations, type PatternEvidence } from "../analysis/recommendations.js";
import type { AttemptRecord } from "./attempts.js";
import type { Projection } from "./projection.js";

export interface ErrorGroup {
  key: string | null;
  count: number;
  fixed: number;
  last_seen: string;
  example_log_id: string;
}

export interface PatternGroup {
  pattern: string;
  error_type: string | null;
  error_category: string | null;
  template: string;
  count: number;
  fixed: number;
  sessions: Set<string>;
  fingerprints: Set<string>;
  first_seen: string;
  last_seen: string;
  /** The latest few, newest first. */
  example_log_ids: string[];
  failing_line: string | null;
  suggestions: Map<string, number>;
}

export interface AnalysisState {
  byType: Map<string | null, ErrorGroup>;
  byCategory: Map<string | null, ErrorGroup>;
  byPattern: Map<string, PatternGroup>;
  /** The latest attempt timestamp seen: "now" for recency, so rankings do not depend on the clock. */
  latest: string | null;
}

const EXAMPLES = 3;

function tally(groups: Map<string | null, ErrorGroup>, key: string | null, record: AttemptRecord): void {
  const group = groups.get(key);
  if (!group) {
    groups.set(key, { key, count: 1, fixed: 0, last_seen: record.timestamp, example_log_id: record.log_id });
    return;
  }
  group.count++;
  if (record.timestamp >= group.last_seen) {
    group.last_seen = record.timestamp;
    group.example_log_id = record.log_id;
  }
}

function markFixed(groups: Map<string | null, ErrorGroup>, key: string | null): void {
  const group = groups.get(key);
  if (group) group.fixed++;
}

type GroupsJSON = ErrorGroup[];
type PatternJSON = Omit<PatternGroup, "sessions" | "fingerprints" | "suggestions"> & { sessions: string[]; fingerprints: string[]; suggestions: Array<[string, number]> };

export const analysisProjection: Projection<AnalysisState, { by_error_type: GroupsJSON; by_error_category: GroupsJSON; by_pattern: PatternJSON[]; latest: string | null }> = {
  name: "analysis",
  version: 2,
  initial: () => ({ byType: new Map(), byCategory: new Map(), byPattern: new Map(), latest: null }),
  reducers: {
    AttemptFailed(state, { derived }) {
      tally(state.byType, derived.record.error_type, derived.record);
      tally(state.byCategory, derived.record.error_category, derived.record);
      let group = state.byPattern.get(derived.pattern);
      if (!group) {
        group = {
          pattern: derived.pattern, error_type: derived.error_type, error_category: derived.error_category,
          template: derived.pattern.slice(derived.pattern.indexOf(": ") + 2), count: 0, fixed: 0, sessions: new Set(),
          fingerprints: new Set(), first_seen: derived.record.timestamp, last_seen: derived.record.timestamp,
          example_log_ids: [], failing_line: null, suggestions: new Map(),
        };
        state.byPattern.set(derived.pattern, group);
      }
      group.count++;
      group.sessions.add(derived.record.session_id);
      group.fingerprints.add(derived.fingerprint);
      if (derived.record.timestamp < group.first_seen) group.first_seen = derived.record.timestamp;
      if (derived.record.timestamp >= group.last_seen) {
        group.last_seen = derived.record.timestamp;
        group.example_log_ids = [derived.record.log_id, ...group.example_log_ids].slice(0, EXAMPLES);
        group.failing_line = derived.failing_line ?? group.failing_line;
      }
      if (derived.suggestion) group.suggestions.set(derived.suggestion, (group.suggestions.get(derived.suggestion) ?? 0) + 1);
      if (state.latest === null || derived.record.timestamp > state.latest) state.latest = derived.record.timestamp;
      return state;
    },
    FixRecorded(state, { derived }) {
      if (derived.previously_fixed_by !== null) return state;
      markFixed(state.byType, derived.failure.error_type);
      markFixed(state.byCategory, derived.failure.error_category);
      const group = derived.failure.pattern === null ? undefined : state.byPattern.get(derived.failure.pattern);
      if (group) group.fixed++;
      return state;
    },
  },
  toJSON: (state) => ({
    by_error_type: [...state.byType.values()],
    by_error_category: [...state.byCategory.values()],
    by_pattern: [...state.byPattern.values()].map((g) => ({ ...g, sessions: [...g.sessions], fingerprints: [...g.fingerprints], suggestions: [...g.suggestions] })),
    latest: state.latest,
  }),
  fromJSON: (json) => ({
    byType: new Map(json.by_error_type.map((g) => [g.key, { ...g }])),
    byCategory: new Map(json.by_error_category.map((g) => [g.key, { ...g }])),
    byPattern: new Map(json.by_pattern.map((g) => [g.pattern, { ...g, sessions: new Set(g.sessions), fingerprints: new Set(g.fingerprints), suggestions: new Map(g.suggestions) }])),
    latest: json.latest,
  }),
};

/** Groups most frequent first (ties by key), with fix rates. */
export function rankedGroups(groups: Map<string | null, ErrorGroup>) {
  return [...groups.values()]
    .sort((a, b) => b.count - a.count || String(a.key).localeCompare(String(b.key)))
    .map((g) => ({ ...g, fix_rate: g.count ? g.fixed / g.count : null }));
}

/** Patterns most frequent first (ties by pattern), as the API shows them. */
export function rankedPatterns(state: AnalysisState) {
  return [...state.byPattern.values()]
    .sort((a, b) => b.count - a.count || a.pattern.localeCompare(b.pattern))
    .map((g) => ({
      pattern: g.pattern,
      fingerprints: [...g.fingerprints],
      error_type: g.error_type,
      error_category: g.error_category,
      count: g.count,
      sessions: g.sessions.size,
      first_seen: g.first_seen,
      last_seen: g.last_seen,
      fixed: g.fixed,
      fix_rate: g.fixed / g.count,
      suggestion: topSuggestion(g),
      example_log_ids: g.example_log_ids,
    }));
}

function topSuggestion(g: PatternGroup): string | null {
  let best: [string, number] | null = null;
  for (const entry of g.suggestions) if (!best || entry[1] > best[1] || (entry[1] === best[1] && entry[0] < best[0])) best = entry;
  return best?.[0] ?? null;
}

export function patternEvidence(state: AnalysisState): PatternEvidence[] {
  return [...state.byPattern.values()].map((g) => ({
    pattern: g.pattern, error_type: g.error_type, error_category: g.error_category, template: g.template, count: g.count,
    sessions: g.sessions.size, fixed: g.fixed, last_seen: g.last_seen, suggestion: topSuggestion(g), failing_line: g.failing_line,
  }));
}

export function rankedRecommendations(state: AnalysisState) {
  return recommendations(patternEvidence(state), state.latest);
}
