// An attempt's facts: what its data says on its own — the error, its pattern and fingerprint, the code's
// summary and libraries — a pure function of the data, so workers can derive them while the attempt is being
// written and projections find them ready. Computed on every replay, never stored in the log.
import { hash } from "node:crypto";
import { librariesUsed, normaliseNewlines, summariseCode, type CodeSummary } from "../analysis/codeSummary.js";
import { analyseFailure, type FailureAnalysis } from "../analysis/failure.js";
import { failingLineNumber, isSlip, statementAt, statementSpans } from "../analysis/lessons.js";
import { attributedLibraries } from "../analysis/libraryMisuse.js";
import { errorFingerprint, innermostScriptFrame, messageTemplate, normaliseCodeLine, patternKey } from "../analysis/patterns.js";
import { lineSignature } from "../analysis/similarity.js";
import { codeRead, MAX_CODE_CHARS, MAX_FRAMES, MAX_STDERR_CHARS } from "../analysis/limits.js";
import type { AttemptData, AttemptFailedData, AttemptSucceededData } from "../events/types.js";

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

export function codeHash(code: string): string {
  return hash("md5", code, "hex");
}

type Summariser = (code: string) => CodeSummary;

export const NO_CODE_SUMMARY = summariseCode("");
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
