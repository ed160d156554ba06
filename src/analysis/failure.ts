// What one failed attempt tells us: the exception, its category, and where it was raised.
import { categorise, crashSignal, type ErrorCategory } from "./categorise.js";
import { parseTraceback, stderrLines, type ParsedTraceback } from "./traceback.js";
import { readExceptionReport } from "./exceptionReport.js";
import type { ExceptionReport } from "../events/types.js";

export interface FailureInput {
  code: string;
  stderr?: string | null;
  return_code?: number | null;
  timed_out?: boolean | null;
  /** Sent by the client: a fact, and so preferred over what the parser finds. */
  error_type?: string | null;
  error_message?: string | null;
  /** The exception as the bootstrap captured it: preferred over what stderr says, which stays the fallback. */
  exception?: ExceptionReport | null;
}

export interface FailureAnalysis extends ParsedTraceback {
  error_category: ErrorCategory;
}

const MAX_EXIT_MESSAGE = 500;

export function analyseFailure(input: FailureInput): FailureAnalysis {
  const parsed = fromReport(parseTraceback(input.stderr), input.exception);
  const error_type = nonEmpty(input.error_type) ?? parsed.error_type;
  const return_code = input.return_code ?? null;
  const error_category = categorise({
    error_type,
    return_code,
    timed_out: input.timed_out === true,
    fatal_error: parsed.fatal_error,
    code: input.code,
  });
  const error_message = nonEmpty(input.error_message) ?? parsed.error_message ?? exitMessage(parsed, input.stderr, return_code);
  return { ...parsed, error_type, error_message, error_category };
}

/** The parse with the report's exception, frames and chain in its place; the hint only if both name one exception. */
function fromReport(parsed: ParsedTraceback, report: ExceptionReport | null | undefined): ParsedTraceback {
  const reported = readExceptionReport(report);
  if (!reported) return parsed;
  return { ...parsed, ...reported, frames_omitted: 0, suggestion: parsed.error_type === reported.error_type ? parsed.suggestion : null };
}

/** Without an exception: the crash line, or the last thing the script said before it exited (`sys.exit("usage: …")`). */
function exitMessage(parsed: ParsedTraceback, stderr: string | null | undefined, rc: number | null): string | null {
  if (parsed.fatal_error) return parsed.fatal_error;
  const signal = crashSignal(rc);
  if (signal) return `killed by ${signal}`;
  const lines = stderrLines(stderr ?? "")
    .map((l) => l.trim())
    .filter(Boolean);
  const last = lines[lines.length - 1];
  return last ? last.slice(0, MAX_EXIT_MESSAGE) : null;
}

function nonEmpty(value: string | null | undefined): string | null {
  return value === undefined || value === null || value.trim() === "" ? null : value;
}
