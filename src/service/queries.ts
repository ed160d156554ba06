// The read side's façade: every question the API and the console ask of the read models, answered here, so
// routes and pages validate and shape and never reach into a read model's state themselves.
import { aiContext } from "../analysis/recommendations.js";
import type { DetectionSettings } from "../config.js";
import type { Experiment } from "../decider/contexts.js";
import { ScriptlogError } from "../errors.js";
import type { Envelope } from "../events/types.js";
import { recentAlerts } from "../projections/alerts.js";
import {
  analysisReport,
  commonErrors,
  filteredPatterns,
  libraryIssues,
  rankedPatterns,
  rankedRecommendations,
  type PatternFilter,
  type PatternGroup,
  type RuleFilter,
} from "../projections/analysis.js";
import { findAnomalies } from "../projections/anomalies.js";
import { isFixed, type AttemptRecord } from "../projections/attempts.js";
import { contextStats, contextVersions, experimentList, experimentReport, ruleEffect, sessionGeneration } from "../projections/contexts.js";
import { recentFailures } from "../projections/failures.js";
import { storedMessages } from "../projections/liveMessages.js";
import type { ReadModels } from "../projections/readModels.js";
import {
  effectiveSession,
  listSessions,
  sessionModels,
  sessionSummary,
  sessionView,
  type SessionFilter,
  type SessionView,
} from "../projections/sessions.js";
import { recentSuccesses } from "../projections/successes.js";
import { summaryReport } from "../projections/summary.js";
import { dailyCounts, pageNewestFirst } from "../projections/timeline.js";
import { trendsReport, trendStatus, trendVerdict, type TrendQuery, type TrendSettings } from "../projections/trends.js";

/** The console's filters of failures and successes; `since` in ms. */
export interface AttemptFilter {
  category?: string;
  library?: string;
  ai_model?: string;
  fixed?: boolean;
  since?: number;
}

/** Entries as the text of a JSON array, and how many. */
export interface EntriesJson {
  json: string;
  count: number;
}

export class LogQueries {
  /** `models` is asked each time: a snapshot loaded at start replaces the read models once. */
  constructor(private readonly models: () => ReadModels) {}

  private get states() {
    return this.models().states;
  }

  /** The seq the read models reflect. */
  get seq(): number {
    return this.models().seq;
  }

  summary(now: Date, trends: TrendSettings) {
    const states = this.states;
    return {
      ...summaryReport(states.summary, states.sessions.totals, now),
      trend_status: trendStatus(states.trends, now.getTime(), trends),
    };
  }

  /** Null when the query asks for more buckets than a report holds. */
  trends(query: TrendQuery, now: number, settings: TrendSettings) {
    return trendsReport(this.states.trends, query, now, settings);
  }

  /** The last 7 days of all attempts against the 28 before them, with the test that decided it. */
  trendVerdict(now: number, settings: TrendSettings) {
    return trendVerdict(this.states.trends.series[0].get("all"), now, settings);
  }

  /** The success rate of all attempts per UTC day, from the first day with attempts (at most `maxDays` before the last). */
  dailySuccessRates(maxDays: number, now: number, settings: TrendSettings) {
    const days = [...this.states.summary.days.keys()].sort();
    if (days.length === 0) return [];
    const last = Date.parse(`${days[days.length - 1]}T00:00:00Z`);
    const first = Math.max(last - (maxDays - 1) * 86_400_000, Date.parse(`${days[0]}T00:00:00Z`));
    const report = this.trends({ bucket: "day", since: first, until: last }, now, settings);
    return report?.series.find((s) => s.key === "all")?.points ?? [];
  }

  anomalies(at: number, detection: DetectionSettings) {
    return findAnomalies(this.states, at, detection);
  }

  alerts(limit: number) {
    return { sent: this.states.alerts.sent, recent: recentAlerts(this.states.alerts, limit) };
  }

  /** How many attempts of this status the read models hold. */
  attemptCount(status: "failed" | "success"): number {
    return this.timeline(status).items.length;
  }

  /** One page of the attempts of a status that pass `filter`, newest first; and how many pass in all. */
  filteredAttempts(status: "failed" | "success", filter: AttemptFilter, offset: number, limit: number) {
    const keep = (r: AttemptRecord) =>
      (filter.category === undefined || r.error_category === filter.category) &&
      (filter.library === undefined || r.libraries.includes(filter.library)) &&
      (filter.ai_model === undefined || r.ai_model === filter.ai_model) &&
      (filter.fixed === undefined || isFixed(r) === filter.fixed) &&
      (filter.since === undefined || r.time >= filter.since);
    return pageNewestFirst(this.timeline(status), offset, limit, keep);
  }

  /** The newest failures' records (unfixed ones only if asked). */
  latestFailures(limit: number, unfixedOnly: boolean): AttemptRecord[] {
    return recentFailures(this.states.failures, limit, unfixedOnly);
  }

  /** The newest failures' entries, as a JSON array's text (a page of them is asked for often: see entryJson). */
  failures(limit: number, unfixedOnly: boolean): EntriesJson {
    return this.entriesJson(this.latestFailures(limit, unfixedOnly));
  }

  /** The newest successes' entries, as a JSON array's text. */
  successes(limit: number): EntriesJson {
    return this.entriesJson(recentSuccesses(this.states.successes, limit));
  }

  private entriesJson(records: AttemptRecord[]): EntriesJson {
    const models = this.models();
    return { json: `[${records.map((r) => models.entryJson(r)).join(",")}]`, count: records.length };
  }

  /** The ai_models sessions started with, the most sessions first. */
  aiModels(): string[] {
    return sessionModels(this.states.sessions).filter((m): m is string => m !== null);
  }

  /** Every library an attempt used, by name. */
  libraries(): string[] {
    return [...this.states.analysis.byLibrary.keys()].sort();
  }

  /** The libraries some failure used, by name. */
  failingLibraries(): string[] {
    return [...this.states.analysis.byLibrary.values()]
      .filter((l) => l.failures > 0)
      .map((l) => l.library)
      .sort();
  }

  hasSessions(): boolean {
    return this.states.sessions.byId.size > 0;
  }

  /**
   * One page of the sessions that pass `filter`, latest started first, and how many pass in all. `context`
   * keeps those generated with a context version (null: those whose attempts name none).
   */
  sessions(filter: SessionFilter, context: string | null | undefined, offset: number, limit: number) {
    const { sessions: state, contexts } = this.states;
    if (context === undefined) return listSessions(state, filter, offset, limit);
    // The sessions read model does not know contexts: filter its whole ordered list by the contexts read model.
    // Only sessions with an attempt that named a context can have one: find those first, not ask every session.
    const named = new Set([...contexts.sessions.keys()].map((id) => effectiveSession(state, id)));
    const kept = listSessions(state, filter, 0, state.byId.size).sessions.filter((s) =>
      named.has(s.session_id) ? this.sessionContext(s) === context : context === null,
    );
    return { sessions: kept.slice(offset, offset + limit), total: kept.length };
  }

  /** A session with its attempts (reached by any of its ids); not_found if the read models hold none. */
  sessionView(sessionId: string): SessionView {
    const session = sessionView(this.states.sessions, sessionId);
    if (!session) throw new ScriptlogError("not_found", `no session '${sessionId}'`, { session_id: sessionId });
    return session;
  }

  /** The context version a session was generated with (its first attempt that names one), or null. */
  sessionContext(session: SessionView): string | null {
    for (const a of session.attempts) {
      const version = sessionGeneration(this.states.contexts, a.session_id).context_version;
      if (version !== null) return version;
    }
    return null;
  }

  session(sessionId: string) {
    const session = this.sessionView(sessionId);
    const generation = sessionGeneration(this.states.contexts, session.attempts[0]?.session_id ?? session.session_id);
    return { session: { ...sessionSummary(session), ...generation }, attempts: session.attempts.map((r) => this.entry(r)) };
  }

  /** An attempt's record; not_found if the read models hold none. */
  record(logId: string): AttemptRecord {
    const record = this.states.attempts.byId.get(logId);
    if (!record) throw new ScriptlogError("not_found", `no attempt with log_id '${logId}'`, { log_id: logId });
    return record;
  }

  attempt(logId: string) {
    return this.entry(this.record(logId));
  }

  /** The whole entry of an attempt, read back from the log, with what its fix changed. */
  entry(record: AttemptRecord): Record<string, unknown> {
    return this.models().entry(record);
  }

  /** What the event stream sends for an event read back from the log, as the read models know it now. */
  storedMessages(envelope: Envelope) {
    return storedMessages(envelope, this.states);
  }

  analysis() {
    return analysisReport(this.models());
  }

  hasPatterns(): boolean {
    return this.states.analysis.byPattern.size > 0;
  }

  /** Patterns most frequent first, of a category or library, counted over failures since a time. */
  patterns(filter: PatternFilter & { since?: string }) {
    return filteredPatterns(this.states, filter);
  }

  errorPatterns(query: { category?: string; library?: string; since?: string }) {
    const errorPatterns = this.patterns(query);
    return {
      error_patterns: errorPatterns,
      common_errors: commonErrors(errorPatterns),
      library_issues: libraryIssues(this.states.analysis, query.library),
    };
  }

  /**
   * The pattern a fingerprint belongs to, told as its page tells it: its counts, its rule, failures per day,
   * each fingerprint's failures, and the latest sessions it ended up in. not_found if no pattern holds it.
   */
  patternDetail(fingerprint: string, maxSessions: number) {
    const states = this.states;
    const group = this.patternOf(fingerprint);
    const ranked = rankedPatterns(states.analysis).find((p) => p.pattern === group.pattern)!;
    const rule = this.recommendations().find((r) => r.patterns.includes(group.pattern));
    const ofPattern = (r: { pattern: string | null }) => r.pattern === group.pattern;
    const days = dailyCounts(states.failures, ofPattern);
    // Per fingerprint (where in the script it was raised) and the latest sessions it ended up in.
    const byFingerprint = new Map<string, { count: number; latest: string }>();
    const sessionIds: string[] = [];
    for (let i = states.failures.items.length - 1; i >= 0; i--) {
      const r = states.failures.items[i];
      if (!ofPattern(r)) continue;
      const f = byFingerprint.get(r.fingerprint ?? "");
      if (f) f.count++;
      else byFingerprint.set(r.fingerprint ?? "", { count: 1, latest: r.log_id });
      const session = effectiveSession(states.sessions, r.session_id);
      if (sessionIds.length < maxSessions && !sessionIds.includes(session)) sessionIds.push(session);
    }
    const sessions = sessionIds.map((id) => sessionSummary(sessionView(states.sessions, id)!));
    return { group, ranked, rule, days, byFingerprint, sessions };
  }

  private patternOf(fingerprint: string): PatternGroup {
    for (const g of this.states.analysis.byPattern.values()) if (g.fingerprints.has(fingerprint)) return g;
    throw new ScriptlogError("not_found", `no pattern with fingerprint '${fingerprint}'`, { fingerprint });
  }

  /** Rules, most important first. */
  recommendations(filters: RuleFilter = {}) {
    return rankedRecommendations(this.states.analysis, filters);
  }

  aiContext(filters: RuleFilter, maxRules: number, maxChars: number) {
    return aiContext(this.recommendations(filters), maxRules, maxChars);
  }

  /** The published context versions, newest first. */
  contextVersions() {
    return contextVersions(this.states.contexts);
  }

  /** The version generators get outside an experiment, or null before one is made current. */
  currentContextVersion(): string | null {
    return this.states.contexts.catalog.current;
  }

  /** The sessions generated with a version and how often their first attempt succeeded. */
  contextStats(version: string) {
    return contextStats(this.states.contexts, version);
  }

  /** A rule's pattern's failure rate with the rule in the context and without it, and the failures despite it. */
  ruleEffect(ruleId: string) {
    return ruleEffect(this.states.contexts, ruleId);
  }

  /** Every experiment, newest first. */
  experiments(): Experiment[] {
    return [...this.states.contexts.catalog.experiments.values()].reverse();
  }

  /** The experiments not stopped yet, newest first. */
  runningExperiments(): Experiment[] {
    return this.experiments().filter((e) => e.stopped_at === null);
  }

  /** Every experiment as GET /api/experiments lists it, newest first. */
  experimentList() {
    return experimentList(this.states.contexts);
  }

  /** An experiment with its variants' figures and its decision; not_found if there is none by that id. */
  experiment(experimentId: string) {
    const report = experimentReport(this.states.contexts, experimentId);
    if (!report) throw new ScriptlogError("not_found", `no experiment '${experimentId}'`, { experiment_id: experimentId });
    return report;
  }

  /** The sessions each of an experiment's variants was given so far. */
  variantSessions(experiment: Experiment): Array<{ name: string; sessions: number }> {
    const tallies = this.states.contexts.experiments.get(experiment.id)?.byVariant;
    return experiment.variants.map((v) => ({ name: v.name, sessions: tallies?.get(v.name)?.sessions ?? 0 }));
  }

  private timeline(status: "failed" | "success") {
    return status === "failed" ? this.states.failures : this.states.successes;
  }
}
