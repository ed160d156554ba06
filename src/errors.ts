// Errors are values with a machine-readable code; src/api/errors.ts maps codes to HTTP statuses.

export type ErrorCode =
  | "invalid_json"
  | "invalid_request"
  | "method_not_allowed"
  | "not_implemented"
  | "headers_too_large"
  | "unsupported_media_type"
  | "payload_too_large"
  | "validation_failed"
  | "invalid_query"
  | "invalid_argument"
  | "unknown_previous_attempt"
  | "unknown_context_version"
  | "unknown_experiment"
  | "experiment_exists"
  | "experiment_stopped"
  | "conflicting_log_id"
  | "unauthorized"
  | "forbidden"
  | "too_many_failures"
  | "not_found"
  | "not_ready"
  | "log_unavailable"
  | "shutting_down"
  | "append_conflict"
  | "log_locked"
  | "tokens_locked"
  | "log_corrupt"
  | "internal_error";

export class ScriptlogError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ScriptlogError";
  }
}

/** A log that cannot be trusted as it is: where, and why. */
export class LogCorruptError extends ScriptlogError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly seq: number | null,
    readonly reason: string,
  ) {
    super("log_corrupt", `${file}:${line}${seq === null ? "" : ` (seq ${seq})`}: ${reason}`, { file, line, seq, reason });
    this.name = "LogCorruptError";
  }
}
