// The events of the log: plain typed data, discriminated on `type`. They hold facts only — what a
// client sent and what the service decided when it accepted it — never what the analyzer derives.

/** Where an imported attempt came from, and what the original system had derived for it (kept for audit). */
export interface AttemptOrigin {
  system: string;
  path: string;
  derived?: Record<string, unknown>;
}

/** One exception of a report; links (cause, context, members) are indexes into the report's list. */
export interface ExceptionInfo {
  type: string;
  module?: string;
  message: string;
  notes?: string[];
  frames: ExceptionFrame[];
  frames_omitted?: number;
  cause?: number | null;
  context?: number | null;
  suppress_context?: boolean;
  members?: number[];
  syntax?: {
    file?: string | null;
    line?: number | null;
    end_line?: number | null;
    column?: number | null;
    end_column?: number | null;
    text?: string | null;
  };
}

export interface ExceptionFrame {
  file: string;
  line: number | null;
  end_line?: number | null;
  column?: number | null;
  end_column?: number | null;
  function: string;
  source?: string | null;
  in_app?: boolean;
}

/** What scriptlog's Python bootstrap writes when an exception escapes a script: exceptions[0] ended it. */
export interface ExceptionReport {
  python?: string;
  exceptions: ExceptionInfo[];
}

interface AttemptFacts {
  log_id: string;
  session_id: string;
  /** When the attempt ran, as the client reported it (ISO-8601). */
  timestamp: string;
  code: string;
  user_prompt?: string | null;
  ai_model?: string | null;
  image_filename?: string | null;
  tags?: string[];
  stdout?: string | null;
  /** sha256 of the canonical request body, so a repeated POST can be told from a conflicting one. */
  request_hash?: string;
  origin?: AttemptOrigin;
  /** The service chose session_id because the client linked the attempt to nothing (version 2 on). */
  session_assigned: boolean;
  /** The published AI context (a ContextPublished version) the script was generated with. */
  context_version?: string;
  /** The client's own name for the prompt template it used. */
  prompt_version?: string;
  /** The experiment the session ran in, and the variant it was given (assigned from the session when omitted). */
  experiment?: string;
  variant?: string;
  /** The name of the API token the attempt was recorded with, when the server needs tokens. */
  recorded_by?: string;
  /** Secrets replaced by `[REDACTED:<rule>]` before append, counted by rule. */
  redactions?: Record<string, number>;
}

export interface AttemptFailedData extends AttemptFacts {
  error_message?: string | null;
  error_type?: string | null;
  stderr?: string | null;
  return_code?: number | null;
  timed_out?: boolean | null;
  /** The uncaught exception as the bootstrap captured it (version 2 on). */
  exception?: ExceptionReport;
  execution_time_seconds?: number | null;
}

export interface AttemptSucceededData extends AttemptFacts {
  output_files?: string[] | null;
  execution_time_seconds?: number | null;
}

export interface AttemptLinkedData {
  log_id: string;
  previous_attempt_id: string;
  session_id: string;
}

export interface FixRecordedData {
  failure_log_id: string;
  success_log_id: string;
  session_id: string;
}

export type ContextSource = "manual" | "generated" | "auto";

/** An AI context text handed out under a version; clients send the version back on the attempts it produced. */
export interface ContextPublishedData {
  /** `ctx-N`, N counting publications from 1. */
  version: string;
  /** sha256 hex of the text: the same text is never published twice. */
  sha256: string;
  text: string;
  /** Ids of the rules (recommendations) the text contains. */
  rule_ids: string[];
  /** The version that was current when this one was published. */
  parent_version: string | null;
  source: ContextSource;
  note: string | null;
  /** It became the current context on publication (auto candidates wait for their experiment). */
  current: boolean;
}

export interface ExperimentVariant {
  name: string;
  context_version: string | null;
  prompt_version: string | null;
  ai_model: string | null;
  weight: number;
}

export interface ExperimentStartedData {
  experiment_id: string;
  variants: ExperimentVariant[];
  min_sessions_per_variant: number;
  /** Started by a user, or by automatic context updates (current against a candidate). */
  source: "manual" | "auto";
}

export interface ExperimentStoppedData {
  experiment_id: string;
  /** Stopped by a user, or because it reached a decision. */
  reason: "manual" | "winner" | "no_difference";
  /** The variant declared best when it stopped, if any. */
  winner: string | null;
}

export interface ContextPromotedData {
  version: string;
  /** The experiment it won, if it was promoted by one. */
  experiment_id: string | null;
}

export interface ContextRetiredData {
  version: string;
  experiment_id: string | null;
}

/** An anomaly's alert reached the webhook (a 2xx answer): recorded so it is never sent again, even after a restart. */
export interface AlertSentData {
  /** Sent as X-Scriptlog-Alert-Id with every delivery attempt of this alert, so receivers can spot a repeat. */
  alert_id: string;
  kind: "spike" | "new_pattern" | "regression";
  pattern: string;
  /** The context version a regression recurred under; null for the other kinds. */
  context_version: string | null;
  /** The window the anomaly was found in (ISO-8601). */
  window: { start: string; end: string };
  /** Delivery attempts it took, and the receiver's status code. */
  tries: number;
  status_code: number;
}

export type EventDraft =
  | { type: "AttemptFailed"; data: AttemptFailedData }
  | { type: "AttemptSucceeded"; data: AttemptSucceededData }
  | { type: "AttemptLinked"; data: AttemptLinkedData }
  | { type: "FixRecorded"; data: FixRecordedData }
  | { type: "ContextPublished"; data: ContextPublishedData }
  | { type: "ExperimentStarted"; data: ExperimentStartedData }
  | { type: "ExperimentStopped"; data: ExperimentStoppedData }
  | { type: "ContextPromoted"; data: ContextPromotedData }
  | { type: "ContextRetired"; data: ContextRetiredData }
  | { type: "AlertSent"; data: AlertSentData };

export type EventType = EventDraft["type"];
export type AttemptEventDraft = Extract<EventDraft, { type: "AttemptFailed" | "AttemptSucceeded" }>;
export type AttemptData = AttemptFailedData | AttemptSucceededData;

/** What the log stores for each event: one line of a daily file. */
export type Envelope<D extends EventDraft = EventDraft> = D extends EventDraft
  ? {
      seq: number;
      id: string;
      type: D["type"];
      version: number;
      recorded_at: string;
      data: D["data"];
      prev_hash: string;
      hash: string;
    }
  : never;

export type EnvelopeOf<T extends EventType> = Envelope<Extract<EventDraft, { type: T }>>;

/** Where an event's line lies in the log, so whole entries can be read back instead of kept in memory. */
export interface EventLocation {
  file: string;
  offset: number;
  length: number;
}

export interface StoredEvent {
  envelope: Envelope;
  location: EventLocation;
}
