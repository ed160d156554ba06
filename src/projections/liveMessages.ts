// What the live stream says about each event: an attempt, the fixes it or a FixRecorded made. The same
// messages come from an event as it is projected and from one read back from the log (a client resuming
// after a seq), so a resumed stream reads exactly like one that never broke.
import type { Envelope } from "../events/types.js";
import type { AttemptRecord, AttemptsState } from "./attempts.js";
import type { Projected } from "./derive.js";
import { sessionView, type SessionsState } from "./sessions.js";

export interface LiveMessage {
  /** The seq of the event it comes from; null for messages that are not events of the log (anomalies). */
  id: number | null;
  event: "attempt" | "fix" | "anomaly";
  data: object;
}

function attemptMessage(record: AttemptRecord): LiveMessage {
  return {
    id: record.seq,
    event: "attempt",
    data: {
      seq: record.seq,
      log_id: record.log_id,
      session_id: record.session_id,
      status: record.status,
      timestamp: record.timestamp,
      ai_model: record.ai_model,
      error_type: record.error_type,
      error_category: record.error_category,
      pattern: record.pattern,
      fingerprint: record.fingerprint,
    },
  };
}

function fixMessage(seq: number, failure: string, success: string, sessionId: string, inferred: boolean): LiveMessage {
  return { id: seq, event: "fix", data: { seq, failure_log_id: failure, success_log_id: success, session_id: sessionId, inferred } };
}

/** The messages of an event the read models just applied. */
export function projectedMessages(event: Projected): LiveMessage[] {
  switch (event.envelope.type) {
    case "AttemptFailed":
    case "AttemptSucceeded": {
      const { record, fixes } = (event as Projected<"AttemptFailed" | "AttemptSucceeded">).derived;
      return [attemptMessage(record), ...fixes.map((f) => fixMessage(record.seq, f.failure.log_id, record.log_id, f.failure.session_id, true))];
    }
    case "FixRecorded": {
      const { seq, data } = event.envelope;
      return [fixMessage(seq, data.failure_log_id, data.success_log_id, data.session_id, false)];
    }
    default:
      return [];
  }
}

/** The same messages for an event read back from the log, from the read models that have applied it. */
export function storedMessages(envelope: Envelope, states: { attempts: AttemptsState; sessions: SessionsState }): LiveMessage[] {
  switch (envelope.type) {
    case "AttemptFailed":
    case "AttemptSucceeded": {
      const record = states.attempts.byId.get(envelope.data.log_id);
      if (!record) return []; // archived since
      const fixed =
        record.status === "success"
          ? (sessionView(states.sessions, record.session_id)?.attempts ?? []).filter((a) => a.inferred_fixed_by === record.log_id)
          : [];
      return [attemptMessage(record), ...fixed.map((f) => fixMessage(record.seq, f.log_id, record.log_id, f.session_id, true))];
    }
    case "FixRecorded": {
      const { seq, data } = envelope;
      return [fixMessage(seq, data.failure_log_id, data.success_log_id, data.session_id, false)];
    }
    default:
      return [];
  }
}
