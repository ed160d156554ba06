// Derived facts: computed from the log on every replay, never stored in it, so an analyzer change plus a
// rebuild re-derives all of history.
import { createHash } from "node:crypto";
import { analyseFailure, type FailureAnalysis } from "../analysis/failure.js";
import { errorFingerprint, innermostScriptFrame, messageTemplate, normaliseCodeLine, patternKey } from "../analysis/patterns.js";
import type { AttemptFailedData, AttemptSucceededData, EnvelopeOf, EventLocation, EventType, StoredEvent } from "../events/types.js";
import { newRecord, type AttemptRecord, type AttemptsState } from "./attempts.js";

export interface DerivedFailure extends FailureAnalysis {
  code_hash: string;
  tags: string[];
  /** error_type + message template: what groups occurrences of one mistake. */
  pattern: string;
  fingerprint: string;
  /** The script's own line that raised it, as written. */
  failing_line: string | null;
}

export interface DerivedSuccess {
  code_hash: string;
  tags: string[];
}

interface DerivedByType {
  AttemptFailed: DerivedFailure & { record: AttemptRecord };
  AttemptSucceeded: DerivedSuccess & { record: AttemptRecord };
  AttemptLinked: { attempt: AttemptRecord; previous: AttemptRecord };
  /** previously_fixed_by: the failure's fixed_by before this event. */
  FixRecorded: { failure: AttemptRecord; success: AttemptRecord; previously_fixed_by: string | null };
}

/** An event as projections see it: its envelope, where it lies, and what the analyzer derives from it. */
export type Projected<T extends EventType = EventType> = T extends EventType
  ? { envelope: EnvelopeOf<T>; location: EventLocation; derived: DerivedByType[T] }
  : never;

export function codeHash(code: string): string {
  return createHash("md5").update(code).digest("hex");
}

export function deriveFailure(data: AttemptFailedData): DerivedFailure {
  const analysis = analyseFailure(data);
  const template = messageTemplate(analysis.error_message);
  const frame = innermostScriptFrame(analysis.frames, data.code);
  return {
    ...analysis,
    code_hash: codeHash(data.code),
    tags: [`error:${analysis.error_category}`],
    pattern: patternKey(analysis.error_type, template),
    fingerprint: errorFingerprint(analysis.error_type, template, normaliseCodeLine(frame?.source ?? null)),
    failing_line: frame?.source ?? null,
  };
}

export function deriveSuccess(data: AttemptSucceededData): DerivedSuccess {
  return { code_hash: codeHash(data.code), tags: [] };
}

/** Derives what an event means, given the attempt index as it stood before the event. */
export function project(event: StoredEvent, index: AttemptsState): Projected {
  const { envelope, location } = event;
  switch (envelope.type) {
    case "AttemptFailed": {
      const derived = deriveFailure(envelope.data);
      return { envelope, location, derived: { ...derived, record: newRecord(envelope, location, derived) } };
    }
    case "AttemptSucceeded": {
      const derived = deriveSuccess(envelope.data);
      return { envelope, location, derived: { ...derived, record: newRecord(envelope, location, derived) } };
    }
    case "AttemptLinked":
      return {
        envelope,
        location,
        derived: { attempt: known(index, envelope.data.log_id, envelope.seq), previous: known(index, envelope.data.previous_attempt_id, envelope.seq) },
      };
    case "FixRecorded": {
      const failure = known(index, envelope.data.failure_log_id, envelope.seq);
      const success = known(index, envelope.data.success_log_id, envelope.seq);
      return { envelope, location, derived: { failure, success, previously_fixed_by: failure.fixed_by } };
    }
  }
}

function known(index: AttemptsState, logId: string, seq: number): AttemptRecord {
  const record = index.byId.get(logId);
  // The service only links attempts it has recorded, so this means a log that was written by something else.
  if (!record) throw new Error(`event seq ${seq} refers to attempt ${logId}, which no earlier event records`);
  return record;
}
