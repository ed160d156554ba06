// The attempt index: one small record per attempt (no code, stderr or stdout — those are read back from
// the log by location when a whole entry is asked for). Every other read model refers to these records.
import { timestampMillis } from "../events/validation.js";
import type { Envelope, EnvelopeOf, EventLocation } from "../events/types.js";
import type { FixStrategy } from "../analysis/fixStrategy.js";
import type { Projected } from "./derive.js";
import { deriveFailure, deriveSuccess, type DerivedAttempt, type DerivedFailure } from "./attemptFacts.js";
import type { Projection } from "./projection.js";

/** An attempt's record as snapshots hold it (and as it was held before records were packed). */
export interface AttemptRecordJSON {
  log_id: string;
  session_id: string;
  status: "failed" | "success";
  timestamp: string;
  /** timestamp in ms, for ordering. */
  time: number;
  seq: number;
  file: string;
  offset: number;
  length: number;
  code_hash: string;
  ai_model: string | null;
  previous_attempt_id: string | null;
  error_type: string | null;
  error_category: string | null;
  pattern: string | null;
  fingerprint: string | null;
  /** The failing statement's lines in the code (1-based, inclusive); 0 when unknown, and for successes. */
  failing_from: number;
  failing_to: number;
  /** Top-level modules the attempt used (one shared array per distinct set). */
  libraries: readonly string[];
  fixed_by: string | null;
  /** Set by session inference, never by the client: shown apart from the client's links. */
  inferred_previous_attempt_id: string | null;
  inferred_fixed_by: string | null;
}

// Few distinct sets, many attempts: share one frozen array per set.
const internedLists = new Map<string, readonly string[]>();
function internList(values: readonly string[]): readonly string[] {
  const key = values.join("\n");
  let shared = internedLists.get(key);
  if (shared === undefined) internedLists.set(key, (shared = Object.freeze([...values])));
  return shared;
}

/** What many attempts have in common: status, ai_model and error. One shared object per distinct combination. */
interface AttemptKind {
  status: "failed" | "success";
  ai_model: string | null;
  error_type: string | null;
  error_category: string | null;
  pattern: string | null;
}

// By pattern and ai_model; a failure's pattern names its error type, which names its category, so the last
// list holds one kind (or a few, should derivation ever change).
const kinds = new Map<string | null, Map<string | null, AttemptKind[]>>();
function kindOf(r: AttemptKind): AttemptKind {
  let byModel = kinds.get(r.pattern);
  if (byModel === undefined) kinds.set(r.pattern, (byModel = new Map()));
  let same = byModel.get(r.ai_model);
  if (same === undefined) byModel.set(r.ai_model, (same = []));
  const found = same.find((k) => k.status === r.status && k.error_type === r.error_type && k.error_category === r.error_category);
  if (found) return found;
  const kind = { status: r.status, ai_model: r.ai_model, error_type: r.error_type, error_category: r.error_category, pattern: r.pattern };
  same.push(kind);
  return kind;
}

// The times whose ISO form has a four-digit year: outside them, toISOString writes six digits and a sign.
const YEAR_0 = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
const YEAR_10000 = 253_402_300_800_000; // +010000-01-01T00:00:00.000Z

/**
 * One per attempt, so a server holds millions: the fields many attempts share live in one AttemptKind, and the
 * timestamp is kept only when it is not the ISO form of `time` (which gives it back). Reads like
 * AttemptRecordJSON; toJSON gives that shape, field for field, so snapshots are unchanged.
 */
export class AttemptRecord implements AttemptRecordJSON {
  readonly log_id: string;
  readonly session_id: string;
  readonly time: number;
  readonly seq: number;
  readonly file: string;
  readonly offset: number;
  readonly length: number;
  readonly code_hash: string;
  previous_attempt_id: string | null;
  readonly fingerprint: string | null;
  readonly failing_from: number;
  readonly failing_to: number;
  readonly libraries: readonly string[];
  fixed_by: string | null;
  inferred_previous_attempt_id: string | null;
  inferred_fixed_by: string | null;
  private readonly kind: AttemptKind;
  /** The timestamp as sent, when the ISO form of `time` would not give it back; null when it would. */
  private readonly sentTimestamp: string | null;

  constructor(r: AttemptRecordJSON) {
    this.log_id = r.log_id;
    this.session_id = r.session_id;
    this.time = r.time;
    this.seq = r.seq;
    this.file = r.file;
    this.offset = r.offset;
    this.length = r.length;
    this.code_hash = r.code_hash;
    this.previous_attempt_id = r.previous_attempt_id;
    this.fingerprint = r.fingerprint;
    this.failing_from = r.failing_from;
    this.failing_to = r.failing_to;
    this.libraries = internList(r.libraries);
    this.fixed_by = r.fixed_by;
    this.inferred_previous_attempt_id = r.inferred_previous_attempt_id;
    this.inferred_fixed_by = r.inferred_fixed_by;
    this.kind = kindOf(r);
    const fixedWidth = r.time >= YEAR_0 && r.time < YEAR_10000;
    this.sentTimestamp = fixedWidth && new Date(r.time).toISOString() === r.timestamp ? null : r.timestamp;
  }

  /**
   * Orders two records' timestamps as their strings compare (the order the analysis keeps), without formatting
   * them when both are the ISO form of their time: those have one width, so they compare as their times do.
   */
  static compareTimestamps(a: AttemptRecord, b: AttemptRecord): number {
    if (a.sentTimestamp === null && b.sentTimestamp === null) return a.time - b.time;
    const [x, y] = [a.timestamp, b.timestamp];
    return x < y ? -1 : x > y ? 1 : 0;
  }

  /** Date.parse of the timestamp, without formatting it when it is the ISO form of `time`. */
  get parsedTimestamp(): number {
    return this.sentTimestamp === null ? this.time : Date.parse(this.sentTimestamp);
  }

  get status() {
    return this.kind.status;
  }
  get timestamp() {
    return this.sentTimestamp ?? new Date(this.time).toISOString();
  }
  get ai_model() {
    return this.kind.ai_model;
  }
  get error_type() {
    return this.kind.error_type;
  }
  get error_category() {
    return this.kind.error_category;
  }
  get pattern() {
    return this.kind.pattern;
  }

  toJSON(): AttemptRecordJSON {
    return {
      log_id: this.log_id,
      session_id: this.session_id,
      status: this.status,
      timestamp: this.timestamp,
      time: this.time,
      seq: this.seq,
      file: this.file,
      offset: this.offset,
      length: this.length,
      code_hash: this.code_hash,
      ai_model: this.ai_model,
      previous_attempt_id: this.previous_attempt_id,
      error_type: this.error_type,
      error_category: this.error_category,
      pattern: this.pattern,
      fingerprint: this.fingerprint,
      failing_from: this.failing_from,
      failing_to: this.failing_to,
      libraries: this.libraries,
      fixed_by: this.fixed_by,
      inferred_previous_attempt_id: this.inferred_previous_attempt_id,
      inferred_fixed_by: this.inferred_fixed_by,
    };
  }
}

/** Fixed by a recorded fix or an inferred one. */
export const isFixed = (r: AttemptRecord) => r.fixed_by !== null || r.inferred_fixed_by !== null;

export interface AttemptsState {
  byId: Map<string, AttemptRecord>;
}

/** The record of a newly recorded attempt (made while deriving, so every projection shares the one object). */
export function newRecord(
  envelope: EnvelopeOf<"AttemptFailed"> | EnvelopeOf<"AttemptSucceeded">,
  location: EventLocation,
  derived: DerivedFailure | DerivedAttempt,
): AttemptRecord {
  const failure = envelope.type === "AttemptFailed" ? (derived as DerivedFailure) : null;
  return new AttemptRecord({
    log_id: envelope.data.log_id,
    session_id: envelope.data.session_id,
    status: failure ? "failed" : "success",
    timestamp: envelope.data.timestamp,
    time: timestampMillis(envelope.data.timestamp),
    seq: envelope.seq,
    file: location.file,
    offset: location.offset,
    length: location.length,
    code_hash: derived.code_hash,
    ai_model: envelope.data.ai_model ?? null,
    previous_attempt_id: null,
    error_type: failure?.error_type ?? null,
    error_category: failure?.error_category ?? null,
    pattern: failure?.pattern ?? null,
    fingerprint: failure?.fingerprint ?? null,
    failing_from: failure?.failing_span?.[0] ?? 0,
    failing_to: failure?.failing_span?.[1] ?? 0,
    libraries: derived.libraries,
    fixed_by: null,
    inferred_previous_attempt_id: null,
    inferred_fixed_by: null,
  });
}

function add(state: AttemptsState, { derived }: Projected<"AttemptFailed" | "AttemptSucceeded">): AttemptsState {
  state.byId.set(derived.record.log_id, derived.record);
  if (derived.inferred) derived.record.inferred_previous_attempt_id = derived.inferred.previous.log_id;
  for (const fix of derived.fixes) fix.failure.inferred_fixed_by = fix.success.log_id;
  return state;
}

export const attemptsProjection: Projection<AttemptsState, AttemptRecordJSON[]> = {
  name: "attempts",
  version: 3,
  initial: () => ({ byId: new Map() }),
  reducers: {
    AttemptFailed: add,
    AttemptSucceeded: add,
    AttemptLinked(state, { envelope }) {
      const attempt = state.byId.get(envelope.data.log_id);
      if (attempt) attempt.previous_attempt_id = envelope.data.previous_attempt_id;
      return state;
    },
    FixRecorded(state, { envelope }) {
      const failure = state.byId.get(envelope.data.failure_log_id);
      if (failure) failure.fixed_by = envelope.data.success_log_id;
      return state;
    },
  },
  // Each record becomes AttemptRecordJSON as it is stringified (its toJSON), not all at once.
  toJSON: (state) => [...state.byId.values()],
  fromJSON: (records) => ({ byId: new Map(records.map((r) => [r.log_id, new AttemptRecord(r)])) }),
};

/** Orders attempts by when they ran, then by when they were recorded. */
export const compareByTime = (a: AttemptRecord, b: AttemptRecord) => a.time - b.time || a.seq - b.seq;

/** Resolves log_ids of a snapshot against the attempt index. */
export function recordsOf(index: AttemptsState, ids: string[]): AttemptRecord[] {
  return ids.map((id) => {
    const r = index.byId.get(id);
    if (!r) throw new Error(`snapshot refers to unknown attempt ${id}`);
    return r;
  });
}

/** The whole entry of an attempt, as the API shows it: its facts from the log plus everything derived. */
export interface EntryContext {
  /** What the fix of this failure changed, if it was fixed. */
  fix_strategy: FixStrategy | null;
  /** The session inference joined it to, when not its own. */
  inferred_session_id: string | null;
  /** The experiment variant it ran in (named by the attempt or assigned from its session). */
  variant: string | null;
  /** Its derived facts, if kept from when it was projected; derived again from the log if not. */
  facts?: EntryFacts;
}

/** What an attempt's entry shows of its derived facts (not the code summary or line signature behind them). */
export type EntryFacts = Pick<DerivedAttempt, "tags" | "libraries" | "analysis_partial" | "analysis_error"> &
  Partial<Pick<DerivedFailure, "error_message" | "error_type" | "error_category" | "pattern" | "fingerprint" | "suggestion" | "frames" | "failing_line">>;

/** The entry's part of an attempt's derived facts, by assignment (one shape for all). */
export function entryFacts(derived: DerivedFailure | DerivedAttempt): EntryFacts {
  const failure = "error_type" in derived ? derived : null;
  const facts: EntryFacts = { tags: derived.tags, libraries: derived.libraries, analysis_partial: derived.analysis_partial, analysis_error: derived.analysis_error };
  facts.error_message = failure?.error_message;
  facts.error_type = failure?.error_type;
  facts.error_category = failure?.error_category;
  facts.pattern = failure?.pattern;
  facts.fingerprint = failure?.fingerprint;
  facts.suggestion = failure?.suggestion;
  facts.frames = failure?.frames;
  facts.failing_line = failure?.failing_line;
  return facts;
}

/** The entry facts of an attempt read back from the log, derived again. */
export function deriveEntryFacts(envelope: EnvelopeOf<"AttemptFailed"> | EnvelopeOf<"AttemptSucceeded">): EntryFacts {
  return entryFacts(envelope.type === "AttemptFailed" ? deriveFailure(envelope.data) : deriveSuccess(envelope.data));
}

export function attemptEntry(record: AttemptRecord, envelope: Envelope, context: EntryContext): Record<string, unknown> {
  if (envelope.type !== "AttemptFailed" && envelope.type !== "AttemptSucceeded") throw new Error(`seq ${envelope.seq} is not an attempt`);
  const data = envelope.data;
  const derived = context.facts ?? deriveEntryFacts(envelope);
  // Built as one literal, then by assignment: a page serves a thousand of these, and spreads cost a copy each.
  const entry: Record<string, unknown> = {
    log_id: record.log_id,
    session_id: record.session_id,
    timestamp: record.timestamp,
    status: record.status,
    code: data.code,
    code_hash: record.code_hash,
    user_prompt: data.user_prompt ?? null,
    ai_model: record.ai_model,
    image_filename: data.image_filename ?? null,
    previous_attempt_id: record.previous_attempt_id,
    tags: data.tags?.length ? [...new Set([...data.tags, ...derived.tags])] : derived.tags,
    libraries: derived.libraries,
    stdout: data.stdout ?? null,
    inferred: inferredLinks(record, context.inferred_session_id),
    origin: data.origin ?? null,
    analysis_partial: derived.analysis_partial.length > 0 ? derived.analysis_partial : null,
    analysis_error: derived.analysis_error,
    context_version: data.context_version ?? null,
    prompt_version: data.prompt_version ?? null,
    experiment: data.experiment ?? null,
    variant: context.variant,
    // Who wrote it (the API token's name) and what was cut out of it, for auditors.
    recorded_by: data.recorded_by ?? null,
    redactions: data.redactions ?? {},
  };
  if (envelope.type === "AttemptSucceeded") {
    entry.output_files = envelope.data.output_files ?? [];
    entry.execution_time_seconds = envelope.data.execution_time_seconds ?? null;
    return entry;
  }
  const failure = derived as Required<EntryFacts>;
  entry.error_message = failure.error_message;
  entry.error_type = failure.error_type;
  entry.stderr = envelope.data.stderr ?? null;
  entry.return_code = envelope.data.return_code ?? null;
  entry.timed_out = envelope.data.timed_out ?? false;
  entry.execution_time_seconds = envelope.data.execution_time_seconds ?? null;
  entry.exception = envelope.data.exception ?? null;
  entry.fixed_by = record.fixed_by;
  entry.error_category = failure.error_category;
  entry.pattern = failure.pattern;
  entry.fingerprint = failure.fingerprint;
  entry.suggestion = failure.suggestion;
  entry.frames = failure.frames;
  entry.failing_line = failure.failing_line;
  entry.fix_strategy = context.fix_strategy;
  return entry;
}

/** What session inference added, kept apart from the client's own links; null when it added nothing. */
function inferredLinks(record: AttemptRecord, sessionId: string | null) {
  if (sessionId === null && record.inferred_previous_attempt_id === null && record.inferred_fixed_by === null) return null;
  return { session_id: sessionId, previous_attempt_id: record.inferred_previous_attempt_id, fixed_by: record.inferred_fixed_by };
}
