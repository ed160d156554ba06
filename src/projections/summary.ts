// Counts for GET /api/logs/summary. Rates over "the last 7 days" depend on when they are asked for, so
// the state keeps per-day counts and the query picks the days: the state itself stays deterministic.
import type { Projected } from "./derive.js";
import type { Projection } from "./projection.js";
import type { SessionTotals } from "./sessions.js";

export interface SummaryState {
  attempts: number;
  failures: number;
  successes: number;
  unfixed_failures: number;
  /** UTC day (YYYY-MM-DD) of the attempt's timestamp → [attempts, successes]. */
  days: Map<string, [number, number]>;
}

function count(state: SummaryState, event: Projected<"AttemptFailed" | "AttemptSucceeded">): SummaryState {
  const success = event.envelope.type === "AttemptSucceeded";
  state.attempts++;
  if (success) state.successes++;
  else {
    state.failures++;
    state.unfixed_failures++;
  }
  const day = new Date(event.derived.record.time).toISOString().slice(0, 10);
  const counts = state.days.get(day) ?? [0, 0];
  counts[0]++;
  if (success) counts[1]++;
  state.days.set(day, counts);
  state.unfixed_failures -= event.derived.fixes.length;
  return state;
}

export const summaryProjection: Projection<SummaryState, Omit<SummaryState, "days"> & { days: Array<[string, [number, number]]> }> = {
  name: "summary",
  version: 1,
  initial: () => ({ attempts: 0, failures: 0, successes: 0, unfixed_failures: 0, days: new Map() }),
  reducers: {
    AttemptFailed: count,
    AttemptSucceeded: count,
    FixRecorded(state, { derived }) {
      state.unfixed_failures -= derived.fixes.length;
      return state;
    },
  },
  toJSON: (state) => ({ ...state, days: [...state.days.entries()].sort(([a], [b]) => (a < b ? -1 : 1)) }),
  fromJSON: (json) => ({ ...json, days: new Map(json.days) }),
};

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : null);
const DAY = 86_400_000;

export function summaryReport(state: SummaryState, sessions: SessionTotals, now: Date) {
  const since = new Date(now.getTime() - 6 * DAY).toISOString().slice(0, 10);
  let recentAttempts = 0;
  let recentSuccesses = 0;
  for (const [day, [attempts, successes]] of state.days) {
    if (day >= since) {
      recentAttempts += attempts;
      recentSuccesses += successes;
    }
  }
  return {
    total_attempts: state.attempts,
    total_failures: state.failures,
    total_successes: state.successes,
    success_rate: ratio(state.successes, state.attempts),
    recent_success_rate_7d: ratio(recentSuccesses, recentAttempts),
    total_sessions: sessions.sessions,
    resolved_sessions: sessions.resolved,
    first_attempt_success_rate: ratio(sessions.first_attempt_successes, sessions.sessions),
    avg_attempts_to_success: ratio(sessions.attempts_to_success_sum, sessions.succeeded),
    unfixed_failures: state.unfixed_failures,
  };
}
