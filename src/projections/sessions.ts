// Sessions: the attempts of each, in the order they ran, with running totals for the summary and per
// ai_model. A session inference joined to another is reached through an alias to that session.
import { compareByTime, isFixed, recordsOf, type AttemptRecord } from "./attempts.js";
import type { Fix, Projected } from "./derive.js";
import { insertSorted, type Projection } from "./projection.js";

export interface SessionView {
  session_id: string;
  /** Oldest first. */
  attempts: AttemptRecord[];
  /** Some attempts were joined to it by inference. */
  inferred: boolean;
  /** Index in `attempts` of the first success, -1 before one: kept as attempts arrive, so appending stays O(1). */
  firstSuccess: number;
  failures: number;
  /** Failures no success has fixed (recorded or inferred). */
  unfixed: number;
}

export interface SessionTotals {
  sessions: number;
  /** Sessions whose last attempt succeeded, or whose every failure was fixed. */
  resolved: number;
  /** Sessions whose first attempt succeeded. */
  first_attempt_successes: number;
  /** Resolved sessions with a success, and their attempts up to and including the first one. */
  succeeded: number;
  attempts_to_success_sum: number;
}

export interface SessionsState {
  byId: Map<string, SessionView>;
  /** Session assigned to an attempt → the inferred session it was joined to. */
  aliases: Map<string, string>;
  totals: SessionTotals;
  /** The same totals per ai_model of each session's first attempt. */
  byModel: Map<string | null, SessionTotals>;
}

/** The session an attempt's own session_id now belongs to. */
export function effectiveSession(state: SessionsState, sessionId: string): string {
  let id = sessionId;
  for (let alias = state.aliases.get(id); alias !== undefined; alias = state.aliases.get(id)) id = alias;
  return id;
}

export function sessionView(state: SessionsState, sessionId: string): SessionView | undefined {
  return state.byId.get(effectiveSession(state, sessionId));
}

const emptyTotals = (): SessionTotals => ({ sessions: 0, resolved: 0, first_attempt_successes: 0, succeeded: 0, attempts_to_success_sum: 0 });

/** Resolved: the last attempt succeeded, or every failure was fixed — not merely "some attempt succeeded". */
export const isResolved = (s: SessionView) =>
  s.attempts.length > 0 && (s.attempts[s.attempts.length - 1].status === "success" || (s.failures > 0 && s.unfixed === 0));

/** What one session adds to the totals. */
function contribution(session: SessionView): SessionTotals {
  const resolved = isResolved(session) ? 1 : 0;
  const succeeded = resolved && session.firstSuccess >= 0 ? 1 : 0;
  return {
    sessions: 1,
    resolved,
    first_attempt_successes: session.firstSuccess === 0 ? 1 : 0,
    succeeded,
    attempts_to_success_sum: succeeded * (session.firstSuccess + 1),
  };
}

function addTotals(totals: SessionTotals, c: SessionTotals, sign: 1 | -1): void {
  totals.sessions += sign * c.sessions;
  totals.resolved += sign * c.resolved;
  totals.first_attempt_successes += sign * c.first_attempt_successes;
  totals.succeeded += sign * c.succeeded;
  totals.attempts_to_success_sum += sign * c.attempts_to_success_sum;
}

function account(state: SessionsState, session: SessionView, sign: 1 | -1): void {
  if (session.attempts.length === 0) return;
  const c = contribution(session);
  addTotals(state.totals, c, sign);
  const model = session.attempts[0].ai_model;
  let totals = state.byModel.get(model);
  if (!totals) state.byModel.set(model, (totals = emptyTotals()));
  addTotals(totals, c, sign);
}

const SHORT_SESSION = 16;

function add(state: SessionsState, { derived }: Projected<"AttemptFailed" | "AttemptSucceeded">): SessionsState {
  const record = derived.record;
  if (derived.inferred && derived.inferred.session_id !== record.session_id) state.aliases.set(record.session_id, derived.inferred.session_id);
  const id = effectiveSession(state, record.session_id);
  let session = state.byId.get(id);
  if (!session) state.byId.set(id, (session = { session_id: id, attempts: [], inferred: false, firstSuccess: -1, failures: 0, unfixed: 0 }));
  account(state, session, -1);
  const at = insertSorted(session.attempts, record, compareByTime);
  // Most sessions stay short, and V8 grows an array by 16 slots at least: a short one is kept at its exact size.
  if (session.attempts.length <= SHORT_SESSION) session.attempts = session.attempts.slice();
  if (session.firstSuccess >= at) session.firstSuccess++;
  if (record.status === "success" && (session.firstSuccess < 0 || at < session.firstSuccess)) session.firstSuccess = at;
  if (record.status === "failed") {
    session.failures++;
    session.unfixed++;
  }
  if (derived.inferred) session.inferred = true;
  account(state, session, 1);
  fixed(state, derived.fixes);
  return state;
}

/** Failures a success fixed: their sessions may now be resolved. */
function fixed(state: SessionsState, fixes: Fix[]): void {
  for (const fix of fixes) {
    const session = state.byId.get(effectiveSession(state, fix.session_id));
    if (!session) continue;
    account(state, session, -1);
    session.unfixed--;
    account(state, session, 1);
  }
}

type SessionJSON = [string, string[], boolean];

export const sessionsProjection: Projection<
  SessionsState,
  { totals: SessionTotals; by_model: Array<[string | null, SessionTotals]>; aliases: Array<[string, string]>; sessions: SessionJSON[] }
> = {
  name: "sessions",
  version: 3,
  initial: () => ({ byId: new Map(), aliases: new Map(), totals: emptyTotals(), byModel: new Map() }),
  reducers: {
    AttemptFailed: add,
    AttemptSucceeded: add,
    FixRecorded(state, { derived }) {
      fixed(state, derived.fixes);
      return state;
    },
  },
  toJSON: (state) => ({
    totals: state.totals,
    by_model: [...state.byModel],
    aliases: [...state.aliases],
    sessions: [...state.byId.values()].map((s) => [s.session_id, s.attempts.map((a) => a.log_id), s.inferred]),
  }),
  fromJSON: (json, index) => ({
    totals: { ...json.totals },
    byModel: new Map(json.by_model.map(([model, totals]) => [model, { ...totals }])),
    aliases: new Map(json.aliases),
    byId: new Map(
      json.sessions.map(([id, ids, inferred]) => {
        const attempts = recordsOf(index, ids);
        const failures = attempts.filter((a) => a.status === "failed");
        return [
          id,
          {
            session_id: id, attempts, inferred, firstSuccess: attempts.findIndex((a) => a.status === "success"),
            failures: failures.length, unfixed: failures.filter((a) => !isFixed(a)).length,
          },
        ];
      }),
    ),
  }),
};

export function sessionSummary(session: SessionView) {
  const failures = session.attempts.filter((a) => a.status === "failed").length;
  return {
    session_id: session.session_id,
    attempt_count: session.attempts.length,
    failure_count: failures,
    success_count: session.attempts.length - failures,
    resolved: isResolved(session),
    unfixed_failures: session.unfixed,
    started_at: session.attempts[0]?.timestamp ?? null,
    ended_at: session.attempts[session.attempts.length - 1]?.timestamp ?? null,
    inferred: session.inferred,
  };
}

export interface SessionFilter {
  resolved?: boolean;
  /** The ai_model of the session's first attempt. */
  ai_model?: string;
  /** Sessions that started at or after / before these times (ms). */
  since?: number;
  until?: number;
}

/** One page of sessions, latest started first, that pass the filter; and how many pass in all. */
export function listSessions(state: SessionsState, filter: SessionFilter, offset: number, limit: number): { sessions: SessionView[]; total: number } {
  const kept: SessionView[] = [];
  for (const s of state.byId.values()) {
    const first = s.attempts[0];
    if (!first) continue;
    if (filter.resolved !== undefined && filter.resolved !== s.firstSuccess >= 0) continue;
    if (filter.ai_model !== undefined && first.ai_model !== filter.ai_model) continue;
    if (filter.since !== undefined && first.time < filter.since) continue;
    if (filter.until !== undefined && first.time >= filter.until) continue;
    kept.push(s);
  }
  kept.sort((a, b) => b.attempts[0].time - a.attempts[0].time || b.attempts[0].seq - a.attempts[0].seq);
  return { sessions: kept.slice(offset, offset + limit), total: kept.length };
}

/** The ai_models that started sessions, most sessions first: the choices of a filter. */
export function sessionModels(state: SessionsState): Array<string | null> {
  return [...state.byModel].sort((a, b) => b[1].sessions - a[1].sessions).map(([model]) => model);
}
