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

export type EventDraft =
  | { type: "AttemptFailed"; data: AttemptFailedData }
  | { type: "AttemptSucceeded"; data: AttemptSucceededData }
  | { type: "AttemptLinked"; data: AttemptLinkedData }
  | { type: "FixRecorded"; data: FixRecordedData };

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
