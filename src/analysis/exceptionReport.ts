// The exception that ended a script, read from the report scriptlog's Python bootstrap wrote at the source
// (src/events/schemas.ts: exceptionReportSchema) instead of parsed from stderr. Pure and total: links are
// indexes walked with a loop and a visited set, and every list read is capped, whatever the report holds.
import type { ExceptionFrame, ExceptionInfo, ExceptionReport } from "../events/types.js";
import type { ParsedTraceback, RaisedException, TracebackFrame } from "./traceback.js";

/** At most this many exceptions, frames per exception and group members are read (the schema's caps). */
const MAX_EXCEPTIONS = 32;
const MAX_FRAMES = 200;
const MAX_MEMBERS = 32;

export type ReportedException = Pick<ParsedTraceback, "error_type" | "error_message" | "frames" | "chain" | "sub_exceptions">;

export function readExceptionReport(report: ExceptionReport | null | undefined): ReportedException | null {
  const list = report?.exceptions;
  if (!Array.isArray(list) || list.length === 0) return null;
  const count = Math.min(list.length, MAX_EXCEPTIONS);
  const at = (index: number | null | undefined): ExceptionInfo | null =>
    typeof index === "number" && Number.isInteger(index) && index >= 0 && index < count ? list[index] : null;
  const root = list[0];
  return {
    error_type: root.type,
    error_message: root.message,
    frames: framesOf(root),
    chain: chainOf(list, at),
    sub_exceptions: (root.members ?? [])
      .slice(0, MAX_MEMBERS)
      .map(at)
      .filter((e): e is ExceptionInfo => e !== null)
      .map(raised),
  };
}

/** What CPython prints before the exception: its `__cause__`, else its `__context__` unless suppressed. */
function printedPredecessor(e: ExceptionInfo): number | null {
  if (typeof e.cause === "number") return e.cause;
  return e.suppress_context ? null : (e.context ?? null);
}

/** The exceptions CPython prints above the final one, oldest first (a cycle ends the walk, as in CPython). */
function chainOf(list: ExceptionInfo[], at: (index: number | null | undefined) => ExceptionInfo | null): RaisedException[] {
  const chain: RaisedException[] = [];
  const seen = new Set<number>([0]);
  let index = printedPredecessor(list[0]);
  while (index !== null && !seen.has(index) && chain.length < MAX_EXCEPTIONS) {
    const e = at(index);
    if (!e) break;
    seen.add(index);
    chain.push(raised(e));
    index = printedPredecessor(e);
  }
  return chain.reverse();
}

function raised(e: ExceptionInfo): RaisedException {
  return { error_type: e.type, error_message: e.message };
}

function framesOf(e: ExceptionInfo): TracebackFrame[] {
  const frames = (e.frames ?? []).slice(-MAX_FRAMES).map(frameOf);
  // A SyntaxError's place is not a frame of its traceback: CPython prints it as one more "File" line.
  const s = e.syntax;
  if (s && typeof s.file === "string") {
    frames.push({ file: s.file, line: s.line ?? null, function: null, source: s.text?.trim() || null });
  }
  return frames;
}

function frameOf(f: ExceptionFrame): TracebackFrame {
  const frame: TracebackFrame = { file: f.file, line: f.line, function: f.function, source: f.source ?? null };
  if (typeof f.in_app === "boolean") frame.in_app = f.in_app;
  return frame;
}
