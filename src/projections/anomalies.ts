// The failures of each error pattern in the order they ran (by their own timestamps), so any window can be
// counted with two binary searches: spikes and new patterns are judged when asked, at the time asked about,
// from this state and the attempt timelines; regressions from the failures the contexts read model counts
// despite a rule. The state holds references to the shared attempt records only.
import { poissonUpperTail } from "../analysis/stats.js";
import type { AnalysisState } from "./analysis.js";
import { compareByTime, recordsOf, type AttemptRecord } from "./attempts.js";
import type { ContextsState, DespiteFailure } from "./contexts.js";
import { insertSorted, type Projection } from "./projection.js";
import type { Timeline } from "./timeline.js";

export interface AnomaliesState {
  /** Pattern → its failures, oldest first. */
  byPattern: Map<string, AttemptRecord[]>;
}

export const anomaliesProjection: Projection<AnomaliesState, Array<[string, string[]]>> = {
  name: "anomalies",
  version: 1,
  initial: () => ({ byPattern: new Map() }),
  reducers: {
    AttemptFailed(state, { derived }) {
      const records = state.byPattern.get(derived.pattern);
      if (records) insertSorted(records, derived.record, compareByTime);
      else state.byPattern.set(derived.pattern, [derived.record]);
      return state;
    },
  },
  toJSON: (state) => [...state.byPattern].map(([pattern, records]) => [pattern, records.map((r) => r.log_id)]),
  fromJSON: (json, index) => ({ byPattern: new Map(json.map(([pattern, ids]) => [pattern, recordsOf(index, ids)])) }),
};

export interface AnomalySettings {
  windowMs: number;
  baselineMs: number;
  spikePValue: number;
  spikeMinCount: number;
  newPatternMinCount: number;
  regressionMinCount: number;
}

export interface Anomaly {
  kind: "spike" | "new_pattern" | "regression";
  pattern: string;
  fingerprint: string | null;
  error_type: string | null;
  window: { start: string; end: string };
  observed: number;
  /** What the baseline predicts for the window (0 for a pattern never seen before it). */
  expected: number;
  /** P(X >= observed) under the baseline; null where there is no baseline to test against. */
  p_value: number | null;
  first_seen: string;
  /** The latest few in the window, newest first. */
  example_log_ids: string[];
  /** A regression: the context version it recurred under. */
  context_version?: string;
}

const EXAMPLES = 3;

/** The index of the first item that ran at or after `time`, in items ordered by when they ran. */
function firstAtOrAfter<T>(items: readonly T[], time: number, timeOf: (item: T) => number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (timeOf(items[mid]) < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const recordTime = (r: AttemptRecord) => r.time;

/** Records that ran in [from, to). */
const countBetween = (records: readonly AttemptRecord[], from: number, to: number) =>
  firstAtOrAfter(records, to, recordTime) - firstAtOrAfter(records, from, recordTime);

export interface AnomalySources {
  anomalies: AnomaliesState;
  failures: Timeline;
  successes: Timeline;
  contexts: ContextsState;
  analysis: AnalysisState;
}

/**
 * The anomalies of the window ending at `at` (exclusive), among `patterns` (all by default): a pure function
 * of the state and `at`, so asking twice, or after a rebuild, gives the same answer.
 *
 * - spike: the pattern ran before the window; its count in the window is improbable (Poisson upper tail below
 *   spikePValue, at least spikeMinCount occurrences) for its share of all attempts over the baseline period
 *   just before the window, applied to the attempts in the window. A pattern absent from the baseline is
 *   judged as if it had occurred once there; with no attempts at all in the baseline, nothing is a spike.
 * - new_pattern: first seen within the window, at least newPatternMinCount times.
 * - regression: the pattern has a verified fix, and failed within the window, at least regressionMinCount
 *   times, in attempts generated with a context version whose rules include it (the rule id is the pattern):
 *   the rule was handed to the model and the mistake came back anyway. Nothing is expected there, so
 *   expected is 0 and p_value null; context_version is that of the latest such failure.
 */
export function findAnomalies(sources: AnomalySources, at: number, settings: AnomalySettings, patterns?: Iterable<string>): Anomaly[] {
  const start = at - settings.windowMs;
  const baselineStart = start - settings.baselineMs;
  const attemptsIn = (from: number, to: number) =>
    countBetween(sources.failures.items, from, to) + countBetween(sources.successes.items, from, to);
  const inWindow = attemptsIn(start, at);
  const inBaseline = attemptsIn(baselineStart, start);
  const window = { start: new Date(start).toISOString(), end: new Date(at).toISOString() };
  const found: Anomaly[] = [];
  for (const pattern of patterns ?? sources.anomalies.byPattern.keys()) {
    const records = sources.anomalies.byPattern.get(pattern);
    if (!records) continue;
    const from = firstAtOrAfter(records, start, recordTime);
    const to = firstAtOrAfter(records, at, recordTime);
    const observed = to - from;
    if (observed === 0) continue;
    const regression = findRegression(sources, pattern, start, at, settings.regressionMinCount);
    if (regression) {
      const { observed: recurred, examples, latest } = regression;
      found.push({
        kind: "regression",
        pattern,
        fingerprint: latest.record.fingerprint,
        error_type: latest.record.error_type,
        window,
        observed: recurred,
        expected: 0,
        p_value: null,
        first_seen: records[0].timestamp,
        example_log_ids: examples,
        context_version: latest.context_version,
      });
    }
    const latest = records[to - 1];
    const anomaly = (kind: Anomaly["kind"], expected: number, p_value: number | null): Anomaly => ({
      kind,
      pattern,
      fingerprint: latest.fingerprint,
      error_type: latest.error_type,
      window,
      observed,
      expected,
      p_value,
      first_seen: records[0].timestamp,
      example_log_ids: records
        .slice(Math.max(from, to - EXAMPLES), to)
        .reverse()
        .map((r) => r.log_id),
    });
    if (from === 0) {
      if (observed >= settings.newPatternMinCount) found.push(anomaly("new_pattern", 0, null));
      continue;
    }
    if (observed < settings.spikeMinCount || inBaseline === 0) continue;
    const share = Math.max(1, countBetween(records, baselineStart, start)) / inBaseline;
    const expected = share * inWindow;
    const p = poissonUpperTail(observed, expected);
    if (p < settings.spikePValue) found.push(anomaly("spike", expected, p));
  }
  return found.sort((a, b) => (a.p_value ?? 1) - (b.p_value ?? 1) || b.observed - a.observed || (a.pattern < b.pattern ? -1 : 1));
}

/** A pattern's failures despite its rule within [start, at), if it had a verified fix and they are enough. */
function findRegression(sources: AnomalySources, pattern: string, start: number, at: number, minCount: number) {
  const despite = sources.contexts.despite.get(pattern)?.failures;
  if (!despite || !sources.analysis.byPattern.get(pattern)?.fixed) return null;
  const despiteTime = (f: DespiteFailure) => f.record.time;
  const from = firstAtOrAfter(despite, start, despiteTime);
  const to = firstAtOrAfter(despite, at, despiteTime);
  if (to === from || to - from < minCount) return null;
  const examples = despite
    .slice(Math.max(from, to - EXAMPLES), to)
    .reverse()
    .map((f) => f.record.log_id);
  return { observed: to - from, examples, latest: despite[to - 1] };
}
