// What an event means given the read models before it: the attempt's record and facts, the session it joins
// by inference, the fixes it makes. Computed on every replay, never stored in the log, so an analyzer change
// plus a rebuild re-derives all of history.
import type { CodeSummary } from "../analysis/codeSummary.js";
import type { FixStrategy } from "../analysis/fixStrategy.js";
import type { AttemptData, EnvelopeOf, EventLocation, EventType, FixRecordedData, StoredEvent } from "../events/types.js";
import { attemptFacts, type AnalyzerSettings, type AttemptFacts, type DerivedAttempt, type DerivedFailure } from "./attemptFacts.js";
import { NO_FIX_STRATEGY, strategyOfFix, type FixSide } from "./fixFacts.js";
import { newRecord, isFixed, type AttemptRecord, type AttemptsState } from "./attempts.js";
import { inferPrevious, type InferenceState } from "./inference.js";
import { effectiveSession, type SessionsState } from "./sessions.js";

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
  /** The strategy of a recorded fix, already derived from this very data object (on a worker thread). */
  preparedFix(data: FixRecordedData): FixStrategy | undefined;
}

/** The fix of `failure` by `success`: its strategy as a worker derived it (`prepared`), else derived here. */
export function fixBetween(
  failure: AttemptRecord,
  success: AttemptRecord,
  context: Pick<DeriveContext, "codeOf" | "analyzer" | "sessions">,
  inferred: boolean,
  prepared?: FixStrategy,
): Fix {
  const session_id = effectiveSession(context.sessions, failure.session_id);
  if (!context.analyzer) return { failure, session_id, success, strategy: NO_FIX_STRATEGY, inferred };
  let strategy = prepared ?? NO_FIX_STRATEGY;
  if (!prepared) {
    try {
      strategy = strategyOfFix(fixSide(failure, context.codeOf(failure)), fixSide(success, context.codeOf(success)));
    } catch {
      // an attempt whose code cannot be read back still fixes: it just tells nothing about what changed
    }
  }
  return { failure, session_id, success, strategy, inferred };
}

function fixSide(record: AttemptRecord, { code, summary }: { code: string; summary: CodeSummary }): FixSide {
  return { code, summary, failing_from: record.failing_from, failing_to: record.failing_to, pattern: record.pattern };
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
      return { envelope, location, derived: { failure, success, fixes: isFixed(failure) ? [] : [fixBetween(failure, success, context, false, context.preparedFix(envelope.data))] } };
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
