// Failures grouped by error_type and by error_category: counts, fix rates and the latest example of each.
import type { AttemptRecord } from "./attempts.js";
import type { Projection } from "./projection.js";

export interface ErrorGroup {
  key: string | null;
  count: number;
  fixed: number;
  last_seen: string;
  example_log_id: string;
}

export interface AnalysisState {
  byType: Map<string | null, ErrorGroup>;
  byCategory: Map<string | null, ErrorGroup>;
}

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

export const analysisProjection: Projection<AnalysisState, { by_error_type: GroupsJSON; by_error_category: GroupsJSON }> = {
  name: "analysis",
  version: 1,
  initial: () => ({ byType: new Map(), byCategory: new Map() }),
  reducers: {
    AttemptFailed(state, { derived }) {
      tally(state.byType, derived.record.error_type, derived.record);
      tally(state.byCategory, derived.record.error_category, derived.record);
      return state;
    },
    FixRecorded(state, { derived }) {
      if (derived.previously_fixed_by !== null) return state;
      markFixed(state.byType, derived.failure.error_type);
      markFixed(state.byCategory, derived.failure.error_category);
      return state;
    },
  },
  toJSON: (state) => ({ by_error_type: [...state.byType.values()], by_error_category: [...state.byCategory.values()] }),
  fromJSON: (json) => ({
    byType: new Map(json.by_error_type.map((g) => [g.key, { ...g }])),
    byCategory: new Map(json.by_error_category.map((g) => [g.key, { ...g }])),
  }),
};

/** Groups most frequent first (ties by key), with fix rates. */
export function rankedGroups(groups: Map<string | null, ErrorGroup>) {
  return [...groups.values()]
    .sort((a, b) => b.count - a.count || String(a.key).localeCompare(String(b.key)))
    .map((g) => ({ ...g, fix_rate: g.count ? g.fixed / g.count : null }));
}
