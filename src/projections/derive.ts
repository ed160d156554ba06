// Derived facts: computed from the log on every replay, never stored in it, so an analyzer change plus a
// rebuild re-derives all of history.
import { hash } from "node:crypto";
import { librariesUsed, normaliseNewlines, summariseCode, type CodeSummary } from "../analysis/codeSummary.js";
import { analyseFailure, type FailureAnalysis } from "../analysis/failure.js";
import { fixStrategy, type FixStrategy } from "../analysis/fixStrategy.js";
import { errorNames, failingLineNumber, isSlip, statementAt, statementSpans } from "../analysis/lessons.js";
import { attributedLibraries } from "../analysis/libraryMisuse.js";
import { errorFingerprint, innermostScriptFrame, messageTemplate, normaliseCodeLine, patternKey } from "../analysis/patterns.js";
import { lineSignature } from "../analysis/similarity.js";
import { codeRead, MAX_CODE_CHARS, MAX_FRAMES, MAX_STDERR_CHARS } from "../analysis/limits.js";
import type { AttemptData, AttemptFailedData, AttemptSucceededData, EnvelopeOf, EventLocation, EventType, StoredEvent } from "../events/types.js";
import { newRecord, isFixed, type AttemptRecord, type AttemptsState } from "./attempts.js";
import { inferPrevious, type InferenceState } from "./inference.js";
import { effectiveSession, type SessionsState } from "./sessions.js";

/** Settings that change what is derived: part of a snapshot's identity. */
export interface AnalyzerSettings {
  /** How far back (ms) an unlinked attempt may be joined to an earlier one. */
  inferWindowMs: number;
  /** Line similarity (0..1) two codes need to count as versions of one script. */
  inferSimilarity: number;
}

export const DEFAULT_ANALYZER_SETTINGS: AnalyzerSettings = { inferWindowMs: 30 * 60_000, inferSimilarity: 0.5 };

export interface DerivedAttempt {
  code_hash: string;
  tags: string[];
  libraries: string[];
  summary: CodeSummary;
  /** What the analyzer's budget left unread (src/analysis/limits.ts), in words; empty when it read everything. */
  analysis_partial: string[];
  /** Why the analysis failed, when it did: the facts are then only what the data says without analysis. */
  analysis_error: string | null;
}

export interface DerivedFailure extends FailureAnalysis, DerivedAttempt {
  /** error_type + message template: what groups occurrences of one mistake. */
  pattern: string;
  fingerprint: string;
  /** The script's own line that raised it, as written. */
  failing_line: string | null;
  /** The lines (1-based, inclusive) of the statement that holds it, in the code as recorded; null if not found. */
  failing_span: [number, number] | null;
  /** A slip about the script's own names, not a fact about an API (see analysis/lessons.ts). */
  slip: boolean;
  /** The libraries the failure is about (not every import): see attributedLibraries. */
  error_libraries: string[];
}

/** A failure fixed by a later success, with what the fix changed. */
export interface Fix {
  failure: AttemptRecord;
  /** The session the failure counts in (inferred or its own), as the summary counts sessions. */
  session_id: string;
  success: AttemptRecord;
  strategy: FixStrategy;
  /** Made by session inference, not recorded by the service. */
  inferred: boolean;
}

/** An unlinked attempt joined to an earlier one it resembles. */
export interface InferredLink {
  previous: AttemptRecord;
  session_id: string;
  similarity: number;
}

interface AttemptDerivation {
  record: AttemptRecord;
  signature: Uint32Array;
  inferred: InferredLink | null;
  /** The session it belongs to once applied: its own, or the one its session was joined to (by inference, now or earlier). */
  session: string;
  /** Failures this attempt fixes by inference (successes only). */
  fixes: Fix[];
}

interface DerivedByType {
  AttemptFailed: DerivedFailure & AttemptDerivation;
  AttemptSucceeded: DerivedAttempt & AttemptDerivation;
  AttemptLinked: { attempt: AttemptRecord; previous: AttemptRecord };
  /** fixes: the failure, unless a fix was already recorded or inferred for it. */
  FixRecorded: { failure: AttemptRecord; success: AttemptRecord; fixes: Fix[] };
  // Contexts and experiments: nothing to derive, the events say it all.
  ContextPublished: null;
  ExperimentStarted: null;
  ExperimentStopped: null;
  ContextPromoted: null;
  ContextRetired: null;
  AlertSent: null;
}

/** An event as projections see it: its envelope, where it lies, and what the analyzer derives from it. */
export type Projected<T extends EventType = EventType> = T extends EventType
  ? { envelope: EnvelopeOf<T>; location: EventLocation; derived: DerivedByType[T] }
  : never;

/** What derivation may consult: the read models as they stood before the event, and the code of any attempt. */
export interface DeriveContext {
  attempts: AttemptsState;
  sessions: SessionsState;
  inference: InferenceState;
  settings: AnalyzerSettings;
  /** False for a core-only replay (benchmarks): no code summaries, libraries, fix strategies or inference. */
  analyzer: boolean;
  /** Older events were archived: a link to an attempt the read models do not hold is to an archived one. */
  archived: boolean;
  codeOf(record: AttemptRecord): { code: string; summary: CodeSummary };
  /** Facts already derived from this very data object (on a worker thread, while it was being written). */
  preparedFacts(data: AttemptData): AttemptFacts | undefined;
}

export function codeHash(code: string): string {
  return hash("md5", code, "hex");
}

type Summariser = (code: string) => CodeSummary;

const NO_CODE_SUMMARY = summariseCode("");
const noSummary: Summariser = () => NO_CODE_SUMMARY;

/** The summary of the part of the code the analyzer reads. */
export const summariseAttemptCode: Summariser = (code) => summariseCode(codeRead(code));

/** What the budget left unread of an attempt's data, in words. */
function unread(data: AttemptData, framesOmitted = 0): string[] {
  const notes: string[] = [];
  if (data.code.length > MAX_CODE_CHARS) notes.push(`code: the first ${MAX_CODE_CHARS} of ${data.code.length} characters were read`);
  const stderr = "stderr" in data ? data.stderr : null;
  if (stderr && stderr.length > MAX_STDERR_CHARS) notes.push(`stderr: the last ${MAX_STDERR_CHARS} of ${stderr.length} characters were read`);
  if (framesOmitted > 0) notes.push(`frames: the innermost ${MAX_FRAMES} were kept, ${framesOmitted} outer ones left out`);
  return notes;
}

function deriveAttempt(data: AttemptData, frameFiles: string[], errorType: string | null, extraTags: string[], summarise: Summariser, partial: string[]): DerivedAttempt {
  const hash = codeHash(data.code);
  const summary = summarise(data.code);
  const libraries = librariesUsed(summary, frameFiles, errorType);
  return { code_hash: hash, tags: [...extraTags, ...libraries.map((l) => `lib:${l}`)], libraries, summary, analysis_partial: partial, analysis_error: null };
}

/** A failure's facts. Total: if the analysis throws, the facts say why and keep what the data says itself. */
export function deriveFailure(data: AttemptFailedData, summarise: Summariser = summariseAttemptCode): DerivedFailure {
  try {
    const analysis = analyseFailure(data);
    const template = messageTemplate(analysis.error_message);
    const frame = innermostScriptFrame(analysis.frames, data.code);
    const code = normaliseNewlines(codeRead(data.code));
    const line = frame ? failingLineNumber(code, frame.line, frame.source) : null;
    const attempt = deriveAttempt(data, analysis.frames.map((f) => f.file), analysis.error_type, [`error:${analysis.error_category}`], summarise, unread(data, analysis.frames_omitted));
    return {
      ...analysis,
      ...attempt,
      pattern: patternKey(analysis.error_type, template),
      fingerprint: errorFingerprint(analysis.error_type, template, normaliseCodeLine(frame?.source ?? null)),
      failing_line: frame?.source ?? null,
      failing_span: line === null ? null : statementAt(statementSpans(code), line),
      slip: isSlip(analysis.error_type, analysis.error_message, attempt.summary),
      error_libraries: attributedLibraries(
        analysis.error_type,
        analysis.error_message,
        analysis.frames.map((f) => f.file),
        frame?.source ?? null,
        attempt.summary,
        attempt.libraries,
      ),
    };
  } catch (err) {
    const error_type = data.error_type?.trim() ? data.error_type : null;
    const error_message = data.error_message ?? null;
    return {
      error_type,
      error_message,
      suggestion: null,
      frames: [],
      chain: [],
      sub_exceptions: [],
      fatal_error: null,
      frames_omitted: 0,
      error_category: "unknown",
      ...failedAnalysis(data, err, ["error:unknown"]),
      pattern: patternKey(error_type, ""),
      fingerprint: errorFingerprint(error_type, "", ""),
      failing_line: null,
      failing_span: null,
      slip: false,
      error_libraries: [],
    };
  }
}

/** A success's facts. Total, like deriveFailure. */
export function deriveSuccess(data: AttemptSucceededData, summarise: Summariser = summariseAttemptCode): DerivedAttempt {
  try {
    return deriveAttempt(data, [], null, [], summarise, unread(data));
  } catch (err) {
    return failedAnalysis(data, err, []);
  }
}

function failedAnalysis(data: AttemptData, err: unknown, tags: string[]): DerivedAttempt {
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { code_hash: codeHash(data.code), tags, libraries: [], summary: NO_CODE_SUMMARY, analysis_partial: unread(data), analysis_error: reason.slice(0, 500) };
}

const NO_FIX_STRATEGY = fixStrategy("", NO_CODE_SUMMARY, "", NO_CODE_SUMMARY);

export function fixBetween(
  failure: AttemptRecord,
  success: AttemptRecord,
  context: Pick<DeriveContext, "codeOf" | "analyzer" | "sessions">,
  inferred: boolean,
): Fix {
  const session_id = effectiveSession(context.sessions, failure.session_id);
  if (!context.analyzer) return { failure, session_id, success, strategy: NO_FIX_STRATEGY, inferred };
  let strategy = NO_FIX_STRATEGY;
  try {
    const wrong = context.codeOf(failure);
    const right = context.codeOf(success);
    const focus = failure.failing_from > 0 ? { from: failure.failing_from, to: failure.failing_to, names: errorNames(failure.pattern) } : null;
    strategy = fixStrategy(codeRead(wrong.code), wrong.summary, codeRead(right.code), right.summary, focus);
  } catch {
    // a fix whose diff cannot be made still fixes: it just tells nothing about what changed
  }
  return { failure, session_id, success, strategy, inferred };
}

const NO_SIGNATURE = new Uint32Array(0);

/** What an attempt's data says on its own, before any read model is consulted: a pure function of the data. */
export interface AttemptFacts {
  derived: DerivedFailure | DerivedAttempt;
  /** Its lines, for session inference. */
  signature: Uint32Array;
}

export function attemptFacts(type: "AttemptFailed" | "AttemptSucceeded", data: AttemptData, analyzer = true): AttemptFacts {
  const summarise = analyzer ? summariseAttemptCode : noSummary;
  const derived = type === "AttemptFailed" ? deriveFailure(data as AttemptFailedData, summarise) : deriveSuccess(data as AttemptSucceededData, summarise);
  return { derived, signature: analyzer ? lineSignature(data.code) : NO_SIGNATURE };
}

/**
 * Derives what an event means, given the read models as they stood before the event; null for a link to an
 * archived attempt (the read models cover the retained days only).
 */
export function project(event: StoredEvent, context: DeriveContext): Projected | null {
  const { envelope, location } = event;
  switch (envelope.type) {
    case "AttemptFailed":
    case "AttemptSucceeded": {
      const analyzer = context.analyzer;
      const { derived, signature } = context.preparedFacts(envelope.data) ?? attemptFacts(envelope.type, envelope.data, analyzer);
      const record = newRecord(envelope, location, derived);
      const inferred = analyzer ? inferPrevious(context, record, envelope.data, signature) : null;
      const fixes = inferred && record.status === "success" ? inferredFixes(context, record, inferred) : [];
      const session = inferred ? inferred.session_id : effectiveSession(context.sessions, record.session_id);
      return { envelope, location, derived: { ...derived, record, signature, inferred, session, fixes } } as Projected;
    }
    case "AttemptLinked": {
      const attempt = known(context, envelope.data.log_id, envelope.seq);
      const previous = known(context, envelope.data.previous_attempt_id, envelope.seq);
      return attempt && previous ? { envelope, location, derived: { attempt, previous } } : null;
    }
    case "FixRecorded": {
      const failure = known(context, envelope.data.failure_log_id, envelope.seq);
      const success = known(context, envelope.data.success_log_id, envelope.seq);
      if (!failure || !success) return null;
      return { envelope, location, derived: { failure, success, fixes: isFixed(failure) ? [] : [fixBetween(failure, success, context, false)] } };
    }
    default:
      return { envelope, location, derived: null } as Projected;
  }
}

/** An inferred success fixes the failures of its inferred session that ran before it and nothing fixed yet. */
function inferredFixes(context: DeriveContext, success: AttemptRecord, link: InferredLink): Fix[] {
  const session = context.sessions.byId.get(effectiveSession(context.sessions, link.session_id));
  return (session?.attempts ?? [])
    .filter((a) => a.status === "failed" && a.time <= success.time && !isFixed(a))
    .map((failure) => fixBetween(failure, success, context, true));
}

function known(context: DeriveContext, logId: string, seq: number): AttemptRecord | null {
  const record = context.attempts.byId.get(logId);
  if (record) return record;
  if (context.archived) return null;
  // The service only links attempts it has recorded, so this means a log that was written by something else.
  throw new Error(`event seq ${seq} refers to attempt ${logId}, which no earlier event records`);
}
