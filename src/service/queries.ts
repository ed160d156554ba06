// The read side's façade: every question the API asks of the read models, answered here, so routes validate
// and shape and never reach into a read model's state themselves.
import { aiContext } from "../analysis/recommendations.js";
import type { DetectionSettings } from "../config.js";
import { ScriptlogError } from "../errors.js";
import { recentAlerts } from "../projections/alerts.js";
import {
  analysisReport,
  commonErrors,
  filteredPatterns,
  libraryIssues,
  rankedRecommendations,
  type RuleFilter,
} from "../projections/analysis.js";
import { findAnomalies } from "../projections/anomalies.js";
import { sessionGeneration } from "../projections/contexts.js";
import { recentFailures } from "../projections/failures.js";
import type { ReadModels } from "../projections/readModels.js";
import { sessionSummary, sessionView } from "../projections/sessions.js";
import { recentSuccesses } from "../projections/successes.js";
import { summaryReport } from "../projections/summary.js";
import { trendsReport, trendStatus, type TrendQuery, type TrendSettings } from "../projections/trends.js";
import type { AttemptRecord } from "../projections/attempts.js";

/** Entries as the text of a JSON array, and how many. */
export interface EntriesJson {
  json: string;
  count: number;
}

export class LogQueries {
  /** `models` is asked each time: a snapshot loaded at start replaces the read models once. */
  constructor(
    private readonly models: () => ReadModels,
    private readonly entry: (record: AttemptRecord) => Record<string, unknown>,
    private readonly entryJson: (record: AttemptRecord) => string,
  ) {}

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

  anomalies(at: number, detection: DetectionSettings) {
    return findAnomalies(this.states, at, detection);
  }

  alerts(limit: number) {
    return { sent: this.states.alerts.sent, recent: recentAlerts(this.states.alerts, limit) };
  }

  /** The newest failures' entries, as a JSON array's text (a page of them is asked for often: see entryJson). */
  failures(limit: number, unfixedOnly: boolean): EntriesJson {
    return this.entriesJson(recentFailures(this.states.failures, limit, unfixedOnly));
  }

  /** The newest successes' entries, as a JSON array's text. */
  successes(limit: number): EntriesJson {
    return this.entriesJson(recentSuccesses(this.states.successes, limit));
  }

  private entriesJson(records: AttemptRecord[]): EntriesJson {
    return { json: `[${records.map(this.entryJson).join(",")}]`, count: records.length };
  }

  session(sessionId: string) {
    const session = sessionView(this.states.sessions, sessionId);
    if (!session) throw new ScriptlogError("not_found", `no session '${sessionId}'`, { session_id: sessionId });
    const generation = sessionGeneration(this.states.contexts, session.attempts[0]?.session_id ?? session.session_id);
    return { session: { ...sessionSummary(session), ...generation }, attempts: session.attempts.map(this.entry) };
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

  analysis() {
    return analysisReport(this.models());
  }

  errorPatterns(query: { category?: string; library?: string; since?: string }) {
    const errorPatterns = filteredPatterns(this.states, query);
    return {
      error_patterns: errorPatterns,
      common_errors: commonErrors(errorPatterns),
      library_issues: libraryIssues(this.states.analysis, query.library),
    };
  }

  aiContext(filters: RuleFilter, maxRules: number, maxChars: number) {
    return aiContext(rankedRecommendations(this.states.analysis, filters), maxRules, maxChars);
  }
}
