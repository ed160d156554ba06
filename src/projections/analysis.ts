// The analyzer's read model: failures grouped by error_type, category and pattern; what fixes of each pattern
// changed; library issues; success rates per ai_model. Everything the analysis endpoints rank and shape.
import { describeChange, type FixChange } from "../analysis/fixStrategy.js";
import { apiMisuse, replacementFor } from "../analysis/libraryMisuse.js";
import { HALF_LIFE_DAYS, recommendations, type PatternEvidence, type Recommendation, type TopFix } from "../analysis/recommendations.js";
import { STDLIB_MODULES } from "../analysis/stdlibExceptions.generated.js";
import { timestampMillis } from "../events/validation.js";
import { AttemptRecord } from "./attempts.js";
import type { Fix, Projected } from "./derive.js";
import type { Projection } from "./projection.js";
import { effectiveSession, type SessionsState } from "./sessions.js";
import type { Timeline } from "./timeline.js";

export interface ErrorGroup {
  key: string | null;
  count: number;
  fixed: number;
  last_seen: string;
  example_log_id: string;
}

/**
 * What one session saw of a pattern: the unit rules are ranked by (retries within a session count once). There is
 * one per session and pattern, so it refers to its latest failure rather than holding that failure's timestamp
 * (which a record formats when asked for).
 */
export class SessionEvidence {
  constructor(
    /** Its latest failure of the pattern; from a snapshot, that failure's timestamp. */
    private latest: AttemptRecord | string,
    /** The ai_model of its first failure of the pattern. */
    readonly ai_model: string | null,
    public failures = 1,
    public fixed = 0,
  ) {}

  /** Timestamp of its latest failure of the pattern. */
  get last(): string {
    return typeof this.latest === "string" ? this.latest : this.latest.timestamp;
  }

  /** Date.parse(last). */
  get lastMillis(): number {
    return typeof this.latest === "string" ? Date.parse(this.latest) : this.latest.parsedTimestamp;
  }

  /** Whether its latest failure's timestamp sorts after the other's. */
  laterThan(other: SessionEvidence): boolean {
    if (typeof this.latest === "string" || typeof other.latest === "string") return this.last > other.last;
    return AttemptRecord.compareTimestamps(this.latest, other.latest) > 0;
  }

  /** Counts another failure of the pattern in the session. */
  failed(record: AttemptRecord): void {
    this.failures++;
    const later = typeof this.latest === "string" ? record.timestamp > this.latest : AttemptRecord.compareTimestamps(record, this.latest) > 0;
    if (later) this.latest = record;
  }

  toJSON() {
    return { failures: this.failures, fixed: this.fixed, last: this.last, ai_model: this.ai_model };
  }

  static fromJSON(json: ReturnType<SessionEvidence["toJSON"]>): SessionEvidence {
    return new SessionEvidence(json.last, json.ai_model, json.failures, json.fixed);
  }
}

export interface PatternGroup {
  pattern: string;
  error_type: string | null;
  error_category: string | null;
  template: string;
  count: number;
  fixed: number;
  /** By session as the summary counts them: an inferred session, else the attempt's own. */
  sessions: Map<string, SessionEvidence>;
  fingerprints: Set<string>;
  first_seen: string;
  last_seen: string;
  /** The latest few, newest first. */
  example_log_ids: string[];
  failing_line: string | null;
  /** The latest real message (first line): rule text quotes it, never the template. */
  message: string | null;
  /** Failures that were slips about the script's own names. */
  slips: number;
  suggestions: Map<string, number>;
  libraries: Map<string, number>;
  /** JSON of a FixChange (touching the failing statement or the error's names) → in how many fixes of this pattern. */
  changes: Map<string, number>;
  /** The failing statement and what replaced it, from the latest fix that replaced it. */
  example: { log_id: string; wrong: string[]; right: string[] } | null;
  /** The failing statement of the latest fix that removed it and put nothing in its place. */
  removal: { log_id: string; wrong: string[] } | null;
}

export interface MisuseGroup {
  library: string;
  object: string;
  attribute: string;
  pattern: string;
  count: number;
  fixed: number;
  replaced_with: Map<string, number>;
}

export interface LibraryGroup {
  library: string;
  attempts: number;
  failures: number;
  patterns: Map<string, number>;
  /** By pattern. */
  misuse: Map<string, MisuseGroup>;
}

export interface ModelGroup {
  ai_model: string | null;
  attempts: number;
  successes: number;
}

export interface AnalysisState {
  /** Bumped by every event the analysis takes in: what derived answers are cached against. */
  revision: number;
  /** Dotted calls of scripts that succeeded, by their last part: `get_cmap` → {`plt.get_cmap`: 3}. */
  successCalls: Map<string, Map<string, number>>;
  byType: Map<string | null, ErrorGroup>;
  byCategory: Map<string | null, ErrorGroup>;
  byPattern: Map<string, PatternGroup>;
  byLibrary: Map<string, LibraryGroup>;
  byModel: Map<string | null, ModelGroup>;
  /** The latest attempt timestamp seen: "now" for recency, so rankings do not depend on the clock. */
  latest: string | null;
}

const EXAMPLES = 3;

const increment = <K>(map: Map<K, number>, key: K, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

// A record's timestamp is formatted from its time when asked for (see AttemptRecord): ask once per event.
function tally(groups: Map<string | null, ErrorGroup>, key: string | null, record: AttemptRecord, timestamp: string): void {
  const group = groups.get(key);
  if (!group) {
    groups.set(key, { key, count: 1, fixed: 0, last_seen: timestamp, example_log_id: record.log_id });
    return;
  }
  group.count++;
  if (timestamp >= group.last_seen) {
    group.last_seen = timestamp;
    group.example_log_id = record.log_id;
  }
}

function patternGroup(state: AnalysisState, derived: Projected<"AttemptFailed">["derived"], timestamp: string): PatternGroup {
  let group = state.byPattern.get(derived.pattern);
  if (!group) {
    group = {
      pattern: derived.pattern, error_type: derived.error_type, error_category: derived.error_category,
      template: derived.pattern.slice(derived.pattern.indexOf(": ") + 2), count: 0, fixed: 0, sessions: new Map(),
      fingerprints: new Set(), first_seen: timestamp, last_seen: timestamp, example_log_ids: [],
      failing_line: null, message: null, slips: 0, suggestions: new Map(), libraries: new Map(), changes: new Map(), example: null, removal: null,
    };
    state.byPattern.set(derived.pattern, group);
  }
  return group;
}

function libraryGroup(state: AnalysisState, library: string): LibraryGroup {
  let group = state.byLibrary.get(library);
  if (!group) state.byLibrary.set(library, (group = { library, attempts: 0, failures: 0, patterns: new Map(), misuse: new Map() }));
  return group;
}

function countAttempt(state: AnalysisState, record: AttemptRecord): void {
  state.revision++;
  let model = state.byModel.get(record.ai_model);
  if (!model) state.byModel.set(record.ai_model, (model = { ai_model: record.ai_model, attempts: 0, successes: 0 }));
  model.attempts++;
  if (record.status === "success") model.successes++;
  for (const library of record.libraries) libraryGroup(state, library).attempts++;
  const timestamp = record.timestamp;
  if (state.latest === null || timestamp > state.latest) state.latest = timestamp;
}

function countSuccess(state: AnalysisState, derived: Projected<"AttemptSucceeded">["derived"]): void {
  for (const call of derived.summary.calls) {
    const dot = call.lastIndexOf(".");
    if (dot < 0) continue;
    const leafName = call.slice(dot + 1);
    let calls = state.successCalls.get(leafName);
    if (!calls) state.successCalls.set(leafName, (calls = new Map()));
    increment(calls, call);
  }
}

function countFailure(state: AnalysisState, derived: Projected<"AttemptFailed">["derived"]): void {
  const { record } = derived;
  const timestamp = record.timestamp;
  tally(state.byType, record.error_type, record, timestamp);
  tally(state.byCategory, record.error_category, record, timestamp);
  const group = patternGroup(state, derived, timestamp);
  group.count++;
  const sessionId = derived.session;
  const session = group.sessions.get(sessionId);
  if (session) session.failed(record);
  else group.sessions.set(sessionId, new SessionEvidence(record, record.ai_model));
  group.fingerprints.add(derived.fingerprint);
  if (derived.slip) group.slips++;
  if (timestamp < group.first_seen) group.first_seen = timestamp;
  if (timestamp >= group.last_seen) {
    group.last_seen = timestamp;
    group.example_log_ids = [record.log_id, ...group.example_log_ids].slice(0, EXAMPLES);
    group.failing_line = derived.failing_line ?? group.failing_line;
    group.message = derived.error_message?.split("\n")[0] ?? group.message;
  }
  if (derived.suggestion) increment(group.suggestions, derived.suggestion);
  for (const library of derived.error_libraries) {
    increment(group.libraries, library);
    const issues = libraryGroup(state, library);
    issues.failures++;
    increment(issues.patterns, derived.pattern);
  }
  const misuse = apiMisuse(derived.error_type, derived.error_message, derived.failing_line, derived.summary, record.libraries);
  if (misuse) {
    const issues = libraryGroup(state, misuse.library).misuse;
    let m = issues.get(derived.pattern);
    if (!m) issues.set(derived.pattern, (m = { ...misuse, pattern: derived.pattern, count: 0, fixed: 0, replaced_with: new Map() }));
    m.count++;
  }
}

function countFix(state: AnalysisState, { failure, session_id, strategy }: Fix): void {
  state.revision++;
  const fixed = (group: ErrorGroup | undefined) => group && group.fixed++;
  fixed(state.byType.get(failure.error_type));
  fixed(state.byCategory.get(failure.error_category));
  const group = failure.pattern === null ? undefined : state.byPattern.get(failure.pattern);
  if (!group) return;
  group.fixed++;
  const session = group.sessions.get(session_id);
  if (session) session.fixed++;
  for (const change of new Set(strategy.changes.map((c) => JSON.stringify(c)))) increment(group.changes, change);
  const example = strategy.example;
  if (example?.removed) group.removal = { log_id: failure.log_id, wrong: example.wrong };
  else if (example) group.example = { log_id: failure.log_id, wrong: example.wrong, right: example.right };
  for (const library of failure.libraries) {
    const misuse = state.byLibrary.get(library)?.misuse.get(group.pattern);
    if (!misuse) continue;
    misuse.fixed++;
    const replacement = replacementFor(misuse, strategy);
    if (replacement) increment(misuse.replaced_with, replacement);
  }
}

const pairs = <K, V>(map: Map<K, V>) => [...map];

/* eslint-disable @typescript-eslint/no-explicit-any -- the snapshot JSON is what toJSON of this version wrote */
export const analysisProjection: Projection<AnalysisState, any> = {
  name: "analysis",
  version: 4,
  initial: () => ({
    revision: 0, successCalls: new Map(), byType: new Map(), byCategory: new Map(), byPattern: new Map(), byLibrary: new Map(), byModel: new Map(), latest: null,
  }),
  reducers: {
    AttemptFailed(state, { derived }) {
      countAttempt(state, derived.record);
      countFailure(state, derived);
      return state;
    },
    AttemptSucceeded(state, { derived }) {
      countAttempt(state, derived.record);
      countSuccess(state, derived);
      derived.fixes.forEach((fix) => countFix(state, fix));
      return state;
    },
    FixRecorded(state, { derived }) {
      derived.fixes.forEach((fix) => countFix(state, fix));
      return state;
    },
  },
  toJSON: (state) => ({
    revision: state.revision,
    success_calls: [...state.successCalls].map(([leafName, calls]) => [leafName, pairs(calls)]),
    by_error_type: [...state.byType.values()],
    by_error_category: [...state.byCategory.values()],
    by_pattern: [...state.byPattern.values()].map((g) => ({
      ...g, sessions: pairs(g.sessions), fingerprints: [...g.fingerprints], suggestions: pairs(g.suggestions), libraries: pairs(g.libraries), changes: pairs(g.changes),
    })),
    by_library: [...state.byLibrary.values()].map((l) => ({
      ...l, patterns: pairs(l.patterns), misuse: [...l.misuse.values()].map((m) => ({ ...m, replaced_with: pairs(m.replaced_with) })),
    })),
    by_model: [...state.byModel.values()],
    latest: state.latest,
    // What the analyzer made of it, kept so that `rebuild --compare` can show each rule before → after.
    rules: rankedRecommendations(state).map(({ id, rule, lesson, evidence }) => ({ id, rule, lesson, evidence })),
  }),
  fromJSON: (json) => ({
    revision: json.revision,
    successCalls: new Map(json.success_calls.map(([leafName, calls]: [string, Array<[string, number]>]) => [leafName, new Map(calls)])),
    byType: new Map(json.by_error_type.map((g: ErrorGroup) => [g.key, { ...g }])),
    byCategory: new Map(json.by_error_category.map((g: ErrorGroup) => [g.key, { ...g }])),
    byPattern: new Map(
      json.by_pattern.map((g: any) => [g.pattern, {
        ...g, sessions: new Map(g.sessions.map(([id, e]: [string, ReturnType<SessionEvidence["toJSON"]>]) => [id, SessionEvidence.fromJSON(e)])), fingerprints: new Set(g.fingerprints), suggestions: new Map(g.suggestions), libraries: new Map(g.libraries), changes: new Map(g.changes),
      }]),
    ),
    byLibrary: new Map(
      json.by_library.map((l: any) => [l.library, {
        ...l, patterns: new Map(l.patterns), misuse: new Map(l.misuse.map((m: any) => [m.pattern, { ...m, replaced_with: new Map(m.replaced_with) }])),
      }]),
    ),
    byModel: new Map(json.by_model.map((m: ModelGroup) => [m.ai_model, { ...m }])),
    latest: json.latest,
  }),
};
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Most frequent first, ties by key: the one order every ranked list uses. */
const byCount = <T>(entries: Iterable<[T, number]>) => [...entries].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));

/** Groups most frequent first (ties by key), with fix rates. */
export function rankedGroups(groups: Map<string | null, ErrorGroup>) {
  return [...groups.values()]
    .sort((a, b) => b.count - a.count || String(a.key).localeCompare(String(b.key)))
    .map((g) => ({ ...g, fix_rate: g.count ? g.fixed / g.count : null }));
}

/** Per-pattern counts over some set of failures: all of them (from the state) or those since a time. */
export interface PatternCounts {
  count: number;
  sessions: number;
  fixed: number;
  fingerprints: string[];
  first_seen: string;
  last_seen: string;
  example_log_ids: string[];
  libraries: Array<[string, number]>;
}

export interface PatternFilter {
  category?: string;
  library?: string;
}

const allTime = (g: PatternGroup): PatternCounts => ({
  count: g.count, sessions: g.sessions.size, fixed: g.fixed, fingerprints: [...g.fingerprints], first_seen: g.first_seen,
  last_seen: g.last_seen, example_log_ids: g.example_log_ids, libraries: [...g.libraries],
});

/** Counts of the failures at or after `since` (oldest first in `failures`), by pattern. */
export function countsSince(failures: AttemptRecord[], since: number, sessionOf: (r: AttemptRecord) => string): Map<string, PatternCounts> {
  // The latest failure's timestamp is formatted once, at the end (see AttemptRecord).
  const counts = new Map<string, PatternCounts & { latest: AttemptRecord; sessionIds: Set<string>; fingerprintSet: Set<string>; libraryCounts: Map<string, number> }>();
  let lo = 0;
  for (let hi = failures.length; lo < hi; ) {
    const mid = (lo + hi) >>> 1;
    if (failures[mid].time < since) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < failures.length; i++) {
    const r = failures[i];
    if (r.pattern === null) continue;
    let c = counts.get(r.pattern);
    if (!c) {
      c = { count: 0, sessions: 0, fixed: 0, fingerprints: [], first_seen: r.timestamp, last_seen: "", example_log_ids: [], libraries: [],
        latest: r, sessionIds: new Set(), fingerprintSet: new Set(), libraryCounts: new Map() };
      counts.set(r.pattern, c);
    }
    c.count++;
    c.sessionIds.add(sessionOf(r));
    if (r.fixed_by !== null || r.inferred_fixed_by !== null) c.fixed++;
    if (r.fingerprint) c.fingerprintSet.add(r.fingerprint);
    c.latest = r;
    c.example_log_ids = [r.log_id, ...c.example_log_ids].slice(0, EXAMPLES);
    r.libraries.forEach((l) => increment(c!.libraryCounts, l));
  }
  return new Map(
    [...counts].map(([pattern, { latest, sessionIds, fingerprintSet, libraryCounts, ...c }]) => [
      pattern,
      { ...c, last_seen: latest.timestamp, sessions: sessionIds.size, fingerprints: [...fingerprintSet], libraries: [...libraryCounts] },
    ]),
  );
}

/** The patterns GET /api/logs/error-patterns lists: of a category or library, counted over failures since a time. */
export function filteredPatterns(
  states: { analysis: AnalysisState; sessions: SessionsState; failures: Timeline },
  filter: PatternFilter & { since?: string },
) {
  const { analysis, sessions, failures } = states;
  const counts =
    filter.since === undefined
      ? undefined
      : countsSince(failures.items, timestampMillis(filter.since), (r) => effectiveSession(sessions, r.session_id));
  return rankedPatterns(analysis, filter, counts);
}

/** Patterns most frequent first (ties by pattern), as the API shows them; `counts` replaces the all-time counts. */
export function rankedPatterns(state: AnalysisState, filter: PatternFilter = {}, counts?: Map<string, PatternCounts>) {
  return [...state.byPattern.values()]
    .filter((g) => filter.category === undefined || g.error_category === filter.category)
    .map((g) => ({ group: g, counts: counts ? counts.get(g.pattern) : allTime(g) }))
    .filter((x): x is { group: PatternGroup; counts: PatternCounts } => x.counts !== undefined)
    .filter(({ counts: c }) => filter.library === undefined || c.libraries.some(([l]) => l === filter.library))
    .sort((a, b) => b.counts.count - a.counts.count || a.group.pattern.localeCompare(b.group.pattern))
    .map(({ group: g, counts: c }) => ({
      pattern: g.pattern,
      fingerprints: c.fingerprints,
      error_type: g.error_type,
      error_category: g.error_category,
      count: c.count,
      sessions: c.sessions,
      first_seen: c.first_seen,
      last_seen: c.last_seen,
      fixed: c.fixed,
      fix_rate: c.fixed / c.count,
      suggestion: topSuggestion(g),
      libraries: byCount(c.libraries).map(([library, count]) => ({ library, count })),
      example_log_ids: c.example_log_ids,
      fixes: topFixes(g),
    }));
}

const MAX_FIXES = 5;

/** The changes fixes of a pattern made most often, in words: "in 3 of 3 fixes of this pattern, …". */
export function topFixes(g: PatternGroup): TopFix[] {
  return byCount(g.changes)
    .slice(0, MAX_FIXES)
    .map(([json, count]) => {
      const change = JSON.parse(json) as FixChange;
      return { change, count, of: g.fixed, description: `in ${count} of ${g.fixed} fixes of this pattern, ${describeChange(change)}` };
    });
}

function topSuggestion(g: PatternGroup): string | null {
  return byCount(g.suggestions)[0]?.[0] ?? null;
}

/** The errors most often seen, by error_type, over the given patterns. */
export function commonErrors(patterns: ReturnType<typeof rankedPatterns>) {
  const byType = new Map<string | null, { error_type: string | null; error_category: string | null; count: number; fixed: number; patterns: number; example_log_id: string }>();
  for (const p of patterns) {
    const e = byType.get(p.error_type) ?? { error_type: p.error_type, error_category: p.error_category, count: 0, fixed: 0, patterns: 0, example_log_id: p.example_log_ids[0] };
    e.count += p.count;
    e.fixed += p.fixed;
    e.patterns++;
    byType.set(p.error_type, e);
  }
  const total = patterns.reduce((n, p) => n + p.count, 0);
  return [...byType.values()]
    .sort((a, b) => b.count - a.count || String(a.error_type).localeCompare(String(b.error_type)))
    .map((e) => ({ ...e, share: e.count / total, fix_rate: e.fixed / e.count }));
}

/** Per library: attempts, failures, failure rate among attempts that use it, top patterns and API misuse. */
export function libraryIssues(state: AnalysisState, library?: string) {
  return [...state.byLibrary.values()]
    .filter((l) => l.failures > 0 && (library === undefined || l.library === library))
    .sort((a, b) => b.failures - a.failures || a.library.localeCompare(b.library))
    .map((l) => ({
      library: l.library,
      standard_library: STDLIB_MODULES.has(l.library),
      attempts: l.attempts,
      failures: l.failures,
      failure_rate: l.failures / l.attempts,
      top_patterns: byCount(l.patterns).slice(0, 5).map(([pattern, count]) => ({ pattern, count })),
      api_misuse: [...l.misuse.values()]
        .sort((a, b) => b.count - a.count || a.pattern.localeCompare(b.pattern))
        .map((m) => ({
          object: m.object, attribute: m.attribute, pattern: m.pattern, count: m.count, fixed: m.fixed,
          replaced_with: byCount(m.replaced_with).map(([attribute, count]) => ({ attribute, count })),
        })),
    }));
}

/** Success rate per ai_model, and first-attempt success rate over the sessions each model started. */
export function modelRates(state: AnalysisState, sessionsByModel: Map<string | null, { sessions: number; first_attempt_successes: number; resolved: number }>) {
  return [...state.byModel.values()]
    .sort((a, b) => b.attempts - a.attempts || String(a.ai_model).localeCompare(String(b.ai_model)))
    .map((m) => {
      const s = sessionsByModel.get(m.ai_model);
      return {
        ai_model: m.ai_model,
        attempts: m.attempts,
        successes: m.successes,
        success_rate: m.successes / m.attempts,
        sessions: s?.sessions ?? 0,
        first_attempt_success_rate: s && s.sessions ? s.first_attempt_successes / s.sessions : null,
        resolved_session_rate: s && s.sessions ? s.resolved / s.sessions : null,
      };
    });
}

/** Which failures rules are made from: those of one library, category or ai_model (all by default). */
export interface RuleFilter {
  library?: string;
  category?: string;
  ai_model?: string;
}

const DAY = 86_400_000;

/** A pattern's evidence over the sessions the filter keeps (all of them without an ai_model); null if none. */
function evidenceOf(state: AnalysisState, g: PatternGroup, aiModel: string | undefined): PatternEvidence | null {
  const now = state.latest ? Date.parse(state.latest) : 0;
  const sessions: string[] = [];
  const fixedSessions: string[] = [];
  let failures = 0;
  let fixed = 0;
  let recency = 0;
  let latest: SessionEvidence | null = null;
  for (const [id, e] of g.sessions) {
    if (aiModel !== undefined && e.ai_model !== aiModel) continue;
    sessions.push(id);
    if (e.fixed > 0) fixedSessions.push(id);
    failures += e.failures;
    fixed += e.fixed;
    recency += Math.pow(2, -Math.max(0, now - e.lastMillis) / (HALF_LIFE_DAYS * DAY)) || 0;
    if (latest === null || e.laterThan(latest)) latest = e;
  }
  if (failures === 0 || latest === null) return null;
  const attribute = /has no attribute '(\w+)'/.exec(g.template)?.[1];
  const alternatives = attribute
    ? byCount(state.successCalls.get(attribute) ?? [])
        .filter(([call]) => !g.template.includes(`'${call.slice(0, call.lastIndexOf("."))}'`))
        .slice(0, 3)
        .map(([call, count]) => ({ call, count }))
    : [];
  return {
    pattern: g.pattern, error_type: g.error_type, error_category: g.error_category, template: g.template, message: g.message,
    failures, fixed, sessions, fixed_sessions: fixedSessions, recency, last_seen: latest.last, slip: g.slips * 2 > g.count,
    suggestion: topSuggestion(g), failing_line: g.failing_line, library: topLibrary(g), fixes: topFixes(g),
    example: g.example, removal: g.removal, alternatives,
  };
}

export function patternEvidence(state: AnalysisState, filter: RuleFilter = {}): PatternEvidence[] {
  return [...state.byPattern.values()]
    .filter((g) => filter.category === undefined || g.error_category === filter.category)
    .filter((g) => filter.library === undefined || g.libraries.has(filter.library))
    .map((g) => evidenceOf(state, g, filter.ai_model))
    .filter((p): p is PatternEvidence => p !== null);
}

/** The library a pattern is most about: the module it names, else the library most of its failures are attributed to. */
function topLibrary(g: PatternGroup): string | null {
  const named = /^(?:module|No module named) '([\w]+)/.exec(g.template);
  if (named) return named[1];
  return byCount(g.libraries).find(([, count]) => count * 2 >= g.count)?.[0] ?? null;
}

// Rules are asked for far more often than the state changes: cached per state, filter and revision.
const ruleCache = new WeakMap<AnalysisState, Map<string, { revision: number; rules: Recommendation[] }>>();

export function rankedRecommendations(state: AnalysisState, filter: RuleFilter = {}): Recommendation[] {
  const key = JSON.stringify([filter.library ?? null, filter.category ?? null, filter.ai_model ?? null]);
  let cache = ruleCache.get(state);
  if (!cache) ruleCache.set(state, (cache = new Map()));
  const hit = cache.get(key);
  if (hit && hit.revision === state.revision) return hit.rules;
  const rules = recommendations(patternEvidence(state, filter));
  if (cache.size > 64) cache.clear();
  cache.set(key, { revision: state.revision, rules });
  return rules;
}

/** Everything GET /api/logs/analysis shows (and an export's latest_analysis.json holds). */
export function analysisReport(models: { seq: number; states: { analysis: AnalysisState; sessions: { byModel: Parameters<typeof modelRates>[1] } } }) {
  const { analysis, sessions } = models.states;
  return {
    generated_from_seq: models.seq,
    by_error_type: rankedGroups(analysis.byType).map(({ key, ...g }) => ({ error_type: key, ...g })),
    by_error_category: rankedGroups(analysis.byCategory).map(({ key, ...g }) => ({ error_category: key, ...g })),
    error_patterns: rankedPatterns(analysis).slice(0, 20),
    library_issues: libraryIssues(analysis).slice(0, 20),
    recommendations: rankedRecommendations(analysis).slice(0, 10),
    by_ai_model: modelRates(analysis, sessions.byModel),
  };
}
