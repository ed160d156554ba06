// Sessions: the attempts of each, in the order they ran, with running totals for the summary.
import { compareByTime, recordsOf, type AttemptRecord } from "./attempts.js";
import type { Projected } from "./derive.js";
import { insertSorted, type Projection } from "./projection.js";

export interface SessionView {
  session_id: string;
  /** Oldest first. */
  attempts: AttemptRecord[];
}

export interface SessionTotals {
  sessions: number;
  resolved: number;
  /** Sessions whose first attempt succeeded. */
  first_attempt_successes: number;
  /** Over resolved sessions: attempts up to and including the first success. */
  attempts_to_success_sum: number;
}

export interface SessionsState {
  byId: Map<string, SessionView>;
  totals: SessionTotals;
}

interface Contribution {
  resolved: number;
  first: number;
  toSuccess: number;
}

function contribution(session: SessionView): Contribution {
  const firstSuccess = session.attempts.findIndex((a) => a.status === "success");
  return {
    resolved: firstSuccess >= 0 ? 1 : 0,
    first: firstSuccess === 0 ? 1 : 0,
    toSuccess: firstSuccess + 1,
  };
}

function add(state: SessionsState, event: Projected<"AttemptFailed" | "AttemptSucceeded">): SessionsState {
  const record = event.derived.record;
  let session = state.byId.get(record.session_id);
  if (!session) {
    session = { session_id: record.session_id, attempts: [] };
    state.byId.set(record.session_id, session);
    state.totals.sessions++;
  }
  const before = contribution(session);
  insertSorted(session.attempts, record, compareByTime);
  const after = contribution(session);
  state.totals.resolved += after.resolved - before.resolved;
  state.totals.first_attempt_successes += after.first - before.first;
  state.totals.attempts_to_success_sum += after.toSuccess * after.resolved - before.toSuccess * before.resolved;
  return state;
}

const emptyTotals = (): SessionTotals => ({ sessions: 0, resolved: 0, first_attempt_successes: 0, attempts_to_success_sum: 0 });

export const sessionsProjection: Projection<SessionsState, { totals: SessionTotals; sessions: Array<[string, string[]]> }> = {
  name: "sessions",
  version: 1,
  initial: () => ({ byId: new Map(), totals: emptyTotals() }),
  reducers: { AttemptFailed: add, AttemptSucceeded: add },
  toJSON: (state) => ({
    totals: state.totals,
    sessions: [...state.byId.values()].map((s) => [s.session_id, s.attempts.map((a) => a.log_id)]),
  }),
  fromJSON: (json, index) => ({
    totals: { ...json.totals },
    byId: new Map(json.sessions.map(([id, ids]) => [id, { session_id: id, attempts: recordsOf(index, ids) }])),
  }),
};

export function sessionSummary(session: SessionView) {
  const failures = session.attempts.filter((a) => a.status === "failed").length;
  return {
    session_id: session.session_id,
    attempt_count: session.attempts.length,
    failure_count: failures,
    success_count: session.attempts.length - failures,
    resolved: failures < session.attempts.length,
    started_at: session.attempts[0]?.timestamp ?? null,
    ended_at: session.attempts[session.attempts.length - 1]?.timestamp ?? null,
  };
}
