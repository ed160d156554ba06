// Runs every projection over one stream of events: replay, then live. Each event is derived once (against
// the read models as they stood before it) and shared by all; the attempt index goes first, so the other
// read models see the records it holds.
import { type Observable, type OperatorFunction, scan } from "rxjs";
import type { CodeSummary } from "../analysis/codeSummary.js";
import type { AttemptData, Envelope, EventLocation, FixRecordedData, StoredEvent } from "../events/types.js";
import { analysisProjection, type AnalysisState } from "./analysis.js";
import { attemptVariant, contextsProjection, type ContextsState } from "./contexts.js";
import { LRUCache } from "lru-cache";
import type { FixStrategy } from "../analysis/fixStrategy.js";
import { attemptEntry, attemptsProjection, entryFacts, isFixed, type AttemptRecord, type AttemptsState, type EntryFacts } from "./attempts.js";
import { fixBetween, project, type DeriveContext, type Fix, type Projected } from "./derive.js";
import { DEFAULT_ANALYZER_SETTINGS, summariseAttemptCode, type AnalyzerSettings, type AttemptFacts } from "./attemptFacts.js";
import { failuresProjection } from "./failures.js";
import { inferenceProjection, type InferenceState } from "./inference.js";
import { reduce, type Projection } from "./projection.js";
import { effectiveSession, sessionsProjection, type SessionsState } from "./sessions.js";
import { successesProjection } from "./successes.js";
import { summaryProjection, type SummaryState } from "./summary.js";
import type { Timeline } from "./timeline.js";
import { trendsProjection, type TrendsState } from "./trends.js";
import { anomaliesProjection, type AnomaliesState } from "./anomalies.js";
import { alertsProjection, type AlertsState } from "./alerts.js";

export interface ReadModelStates {
  attempts: AttemptsState;
  failures: Timeline;
  successes: Timeline;
  sessions: SessionsState;
  inference: InferenceState;
  summary: SummaryState;
  analysis: AnalysisState;
  trends: TrendsState;
  contexts: ContextsState;
  anomalies: AnomaliesState;
  alerts: AlertsState;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each projection has its own snapshot JSON type
type ProjectionSet = { [K in keyof ReadModelStates]: Projection<ReadModelStates[K], any> };

/** In the order they are applied to each event. */
export function projections(settings: AnalyzerSettings): ProjectionSet {
  return {
    attempts: attemptsProjection,
    failures: failuresProjection,
    successes: successesProjection,
    sessions: sessionsProjection,
    inference: inferenceProjection(settings.inferWindowMs),
    summary: summaryProjection,
    analysis: analysisProjection,
    trends: trendsProjection,
    contexts: contextsProjection,
    anomalies: anomaliesProjection,
    alerts: alertsProjection,
  };
}

export interface ReadModelOptions {
  settings?: AnalyzerSettings;
  /** Reads an event back from the log, for the code of an attempt no longer in the recent-code cache. */
  readEnvelope: (location: EventLocation) => Envelope;
  /** Releases what readEnvelope holds open. */
  close?: () => void;
  /** False replays the core read models only, to measure what the analyzer costs. */
  analyzer?: boolean;
  /** The log starts at an archive boundary: links to attempts before it are expected and skipped. */
  archived?: boolean;
  /** How many recent attempts' entry facts to keep from projection (RECENT_ENTRY_FACTS by default; 0 for none). */
  recentEntries?: number;
}

const ANALYZER_READ_MODELS = new Set<keyof ReadModelStates>(["inference", "analysis"]);

// Fixes follow their failures closely, so a small cache of recent codes spares almost every read-back: at most
// 512 codes and 32 M characters (a code may be as long as a request body).
const RECENT_CODES = 512;
const RECENT_CODE_CHARS = 32 * 2 ** 20;
// Entries are served newest first: the derived facts and fix strategies of this many recent attempts are kept
// from when they were projected, so a page of them is read back from the log but not derived again (~2–4 ms an
// entry for a 150-line script). Older ones are derived on demand.
const RECENT_ENTRY_FACTS = 5_000;
// A page of entries is asked for again and again while little of it changes: each entry's JSON is kept with what
// it showed that can change, and served as is while that holds. Bounded by characters (~8 KB an entry for a
// 150-line script: two pages of 1,000).
const SERVED_ENTRY_CHARS = 16 * 2 ** 20;

/** An entry's JSON as served, with what it showed that later events can change. */
interface ServedEntry {
  json: string;
  shown: string;
  /** What its variant is found from (see attemptVariant), when it names an experiment. */
  experiment: { session_id: string; experiment?: string; variant?: string } | null;
}

/** The last event applied: where a replay from a snapshot resumes. */
export interface ReadModelsHead {
  seq: number;
  hash: string;
  recorded_at: string;
  location: EventLocation;
}

export class ReadModels {
  /** The seq of the last event applied. */
  seq = 0;
  head: ReadModelsHead | null = null;
  /** What the last event applied meant (null for a link to an archived attempt): for live followers. */
  lastProjected: Projected | null = null;
  readonly settings: AnalyzerSettings;
  readonly analyzer: boolean;
  readonly projections: ProjectionSet;
  readonly states: ReadModelStates;
  private readonly names: Array<keyof ReadModelStates>;
  private readonly recentCodes = new LRUCache<string, { code: string; summary: CodeSummary }>({
    max: RECENT_CODES,
    maxSize: RECENT_CODE_CHARS,
    sizeCalculation: (entry) => entry.code.length + 1,
  });
  private readonly recentEntryFacts: LRUCache<string, EntryFacts> | null;
  /** By failure: the success that fixed it and what the fix changed. */
  private readonly recentFixes: LRUCache<string, { fixer: string; strategy: FixStrategy }> | null;
  private readonly context: DeriveContext;

  constructor(private readonly options: ReadModelOptions, states?: ReadModelStates) {
    this.settings = options.settings ?? DEFAULT_ANALYZER_SETTINGS;
    this.projections = projections(this.settings);
    this.analyzer = options.analyzer ?? true;
    const recentEntries = this.analyzer ? (options.recentEntries ?? RECENT_ENTRY_FACTS) : 0;
    this.recentEntryFacts = recentEntries > 0 ? new LRUCache({ max: recentEntries }) : null;
    this.recentFixes = recentEntries > 0 ? new LRUCache({ max: recentEntries }) : null;
    const all = Object.keys(this.projections) as Array<keyof ReadModelStates>;
    this.states = states ?? (Object.fromEntries(all.map((n) => [n, this.projections[n].initial()])) as unknown as ReadModelStates);
    this.names = all.filter((n) => this.analyzer || !ANALYZER_READ_MODELS.has(n));
    const states$ = this.states;
    this.context = {
      get attempts() { return states$.attempts; },
      get sessions() { return states$.sessions; },
      get inference() { return states$.inference; },
      settings: this.settings,
      analyzer: this.analyzer,
      archived: options.archived ?? false,
      codeOf: (record) => this.codeOf(record),
      preparedFacts: (data) => (this.analyzer ? taken(this.prepared, data) : undefined),
      preparedFix: (data) => (this.analyzer ? taken(this.preparedFixes, data) : undefined),
    };
  }

  /** Facts derived ahead of time, by the very data object they were derived from (so they cannot go astray). */
  private readonly prepared = new WeakMap<object, AttemptFacts>();

  /**
   * Hands over the facts of an attempt about to be appended, derived elsewhere (a worker thread, while other
   * requests are being written). They are a pure function of the data, so this changes speed, never results.
   */
  prepareFacts(data: AttemptData, facts: AttemptFacts): void {
    this.prepared.set(data, facts);
  }

  hasPreparedFacts(data: AttemptData): boolean {
    return this.prepared.has(data);
  }

  /** Fix strategies derived ahead of time, by the FixRecorded data object they were derived for. */
  private readonly preparedFixes = new WeakMap<object, FixStrategy>();

  /** Hands over the strategy of a recorded fix about to be projected, derived elsewhere (a worker thread). */
  prepareFix(data: FixRecordedData, strategy: FixStrategy): void {
    this.preparedFixes.set(data, strategy);
  }

  apply(event: StoredEvent): this {
    const projected = project(event, this.context);
    if (projected && (projected.envelope.type === "AttemptFailed" || projected.envelope.type === "AttemptSucceeded")) {
      const { envelope, derived } = projected as Projected<"AttemptFailed" | "AttemptSucceeded">;
      this.rememberCode(envelope.data.log_id, envelope.data.code, derived.summary);
      this.recentEntryFacts?.set(envelope.data.log_id, entryFacts(derived));
      this.rememberFixes(derived.fixes);
    } else if (projected?.envelope.type === "FixRecorded") {
      this.rememberFixes((projected as Projected<"FixRecorded">).derived.fixes);
    }
    const states = this.states as unknown as Record<string, unknown>;
    if (projected) for (const name of this.names) states[name] = reduce(this.projections[name] as Projection<unknown>, states[name], projected);
    this.lastProjected = projected;
    this.seq = event.envelope.seq;
    this.head = { seq: event.envelope.seq, hash: event.envelope.hash, recorded_at: event.envelope.recorded_at, location: event.location };
    return this;
  }

  /** Read models from toJSON's output (attempts first: the others refer to its records); throws if it does not fit. */
  static fromJSON(json: Record<string, { version: number; seq: number; state: unknown }>, head: ReadModelsHead | null, options: ReadModelOptions): ReadModels {
    const set = projections(options.settings ?? DEFAULT_ANALYZER_SETTINGS);
    const seq = head?.seq ?? 0;
    const names = Object.keys(set) as Array<keyof ReadModelStates>;
    for (const name of names) {
      const snapshot = json[name];
      if (!snapshot) throw new Error(`no ${name} snapshot`);
      if (snapshot.version !== set[name].version) throw new Error(`${name} snapshot is version ${snapshot.version}, not ${set[name].version}`);
      if (snapshot.seq !== seq) throw new Error(`${name} snapshot is at seq ${snapshot.seq}, not ${seq}`);
    }
    const attempts = set.attempts.fromJSON(json.attempts.state, undefined as never);
    const states = Object.fromEntries(names.map((n) => [n, n === "attempts" ? attempts : set[n].fromJSON(json[n].state, attempts)])) as unknown as ReadModelStates;
    const models = new ReadModels(options, states);
    models.seq = seq;
    models.head = head;
    return models;
  }

  /** An attempt's code and its summary: from the cache, else read back from the log. */
  codeOf(record: AttemptRecord): { code: string; summary: CodeSummary } {
    const cached = this.recentCodes.get(record.log_id);
    if (cached) return cached;
    const envelope = this.options.readEnvelope(record);
    if (envelope.type !== "AttemptFailed" && envelope.type !== "AttemptSucceeded") throw new Error(`seq ${envelope.seq} is not an attempt`);
    return this.rememberCode(record.log_id, envelope.data.code, summariseAttemptCode(envelope.data.code));
  }

  private rememberCode(logId: string, code: string, summary: CodeSummary) {
    const entry = { code, summary };
    this.recentCodes.set(logId, entry);
    return entry;
  }

  private rememberFixes(fixes: Fix[]): void {
    for (const fix of fixes) this.recentFixes?.set(fix.failure.log_id, { fixer: fix.success.log_id, strategy: fix.strategy });
  }

  /** An event read back from the log. */
  readEnvelope(location: EventLocation): Envelope {
    return this.options.readEnvelope(location);
  }

  close(): void {
    this.options.close?.();
  }

  /** The whole entry of an attempt, as the API shows it: read back from the log, with what its fix changed. */
  entry(record: AttemptRecord, envelope: Envelope = this.options.readEnvelope(record)): Record<string, unknown> {
    const fixer = record.status === "failed" && isFixed(record) ? this.states.attempts.byId.get((record.fixed_by ?? record.inferred_fixed_by)!) : undefined;
    const session = effectiveSession(this.states.sessions, record.session_id);
    const kept = fixer ? this.recentFixes?.get(record.log_id) : undefined;
    return attemptEntry(record, envelope, {
      facts: this.recentEntryFacts?.get(record.log_id),
      fix_strategy: fixer ? (kept?.fixer === fixer.log_id ? kept.strategy : fixBetween(record, fixer, this.context, record.fixed_by === null).strategy) : null,
      inferred_session_id: session === record.session_id ? null : session,
      variant: envelope.type === "AttemptFailed" || envelope.type === "AttemptSucceeded" ? attemptVariant(this.states.contexts, envelope.data) : null,
    });
  }

  /**
   * The entry as JSON text: kept from when it was last served while nothing it shows has changed since, so a page
   * asked for again reads nothing back from the log; the same text as JSON.stringify(entry(record)).
   */
  entryJson(record: AttemptRecord): string {
    const served = this.servedEntries.get(record.log_id);
    if (served && served.shown === this.shown(record, served.experiment)) return served.json;
    const envelope = this.options.readEnvelope(record);
    const json = JSON.stringify(this.entry(record, envelope));
    const data = envelope.data as AttemptData;
    const experiment = data.experiment === undefined ? null : { session_id: data.session_id, experiment: data.experiment, variant: data.variant };
    this.servedEntries.set(record.log_id, { json, shown: this.shown(record, experiment), experiment });
    return json;
  }

  private readonly servedEntries = new LRUCache<string, ServedEntry>({
    maxSize: SERVED_ENTRY_CHARS,
    sizeCalculation: (served) => served.json.length + served.shown.length,
  });

  /** What an entry shows that later events can change: its links and fixes (recorded or inferred), its session, its variant. */
  private shown(record: AttemptRecord, experiment: ServedEntry["experiment"]): string {
    return JSON.stringify([
      record.previous_attempt_id,
      record.fixed_by,
      record.inferred_previous_attempt_id,
      record.inferred_fixed_by,
      effectiveSession(this.states.sessions, record.session_id),
      experiment ? attemptVariant(this.states.contexts, experiment) : null,
    ]);
  }

  /** Every read model as deterministic JSON data: the same log always gives the same bytes. */
  toJSON(): Record<string, { version: number; seq: number; state: unknown }> {
    const out: Record<string, { version: number; seq: number; state: unknown }> = {};
    for (const name of this.names) {
      const projection = this.projections[name] as Projection<unknown>;
      out[name] = { version: projection.version, seq: this.seq, state: projection.toJSON(this.states[name]) };
    }
    return out;
  }
}

/** A value handed over ahead of time, removed as it is used: the table then shrinks back once a replay is done. */
function taken<V>(prepared: WeakMap<object, V>, key: object): V | undefined {
  const value = prepared.get(key);
  if (value !== undefined) prepared.delete(key);
  return value;
}

/** The projection pipeline: each stored event folded into the read models, which are emitted after each. */
export function projectReadModels(models: ReadModels): OperatorFunction<StoredEvent, ReadModels> {
  return (events$: Observable<StoredEvent>) => events$.pipe(scan((acc, event) => acc.apply(event), models));
}
