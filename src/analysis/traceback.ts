// Finds the exception that ended a Python script in what its runner captured on stderr.
// Pure: text in, structure out. See README "Traceback parsing" for the shapes it handles.

import { MAX_FRAMES, stderrRead } from "./limits.js";

export interface TracebackFrame {
  file: string;
  line: number | null;
  function: string | null;
  source: string | null;
  /** From "[Previous line repeated N more times]". */
  repeated?: number;
  /** From the bootstrap's report: the script's own files (not the standard library, packages or the runner). */
  in_app?: boolean;
}

export interface RaisedException {
  error_type: string;
  error_message: string;
}

export interface ParsedTraceback {
  /** The exception that ended the script, exactly as CPython printed its name; null if none escaped. */
  error_type: string | null;
  /** Its message: the text after "Type: ", with continuation lines (multi-line messages, add_note() notes). */
  error_message: string | null;
  /** The "Did you mean: …?" hint CPython appended, without the wrapper text. */
  suggestion: string | null;
  /** Frames of the final exception, outermost first. */
  frames: TracebackFrame[];
  /** Earlier exceptions of a chain (`raise … from …`, "During handling …"), oldest first. */
  chain: RaisedException[];
  /** Direct members of an ExceptionGroup that ended the script. */
  sub_exceptions: RaisedException[];
  /** The "Fatal Python error: …" line of an interpreter crash. */
  fatal_error: string | null;
  /** Outer frames left out beyond MAX_FRAMES (the innermost are kept). */
  frames_omitted: number;
}

// eslint-disable-next-line no-control-regex -- ANSI escape sequences are made of control characters
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
const TRACEBACK_HEADER = /^Traceback \(most recent call last\):\s*$/;
const GROUP_HEADER = /^(\s*)\+ Exception Group Traceback \(most recent call last\):\s*$/;
const REPEATED = /^\s*\[Previous line repeated (\d+) more times?\]\s*$/;
const MARKER = /^\s*[\^~]+\s*$/;
const ELIDED = /^\s*\.\.\.<\d+ lines>\.\.\.\s*$/;
const EXCEPTION_LINE = /^([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)(?::(?: (.*))?)?$/;
const CHAIN_SEPARATORS = new Set([
  "The above exception was the direct cause of the following exception:",
  "During handling of the above exception, another exception occurred:",
]);
const isChainSeparator = (line: string) => CHAIN_SEPARATORS.has(line.trim());
const RUNNER_LOG_LINE = /^\[(DEBUG|INFO|WARN|WARNING|ERROR|CRITICAL)\]/;
const FATAL = /^Fatal Python error: (.*)$/;
// Box lines of an ExceptionGroup, trimmed: `+-+---------------- 1 ----------------`, `+------------------------------------`,
// `+---------------- ... 2 more exceptions ----------------`. Each written so no input can make it backtrack.
const MEMBER_BOX = /^\+[-+]+ \d+ -+$/;
const CLOSING_BOX = /^\+[-+]*-$/;
const MORE_BOX = /^\+-+ \.\.\. \d+ more exceptions? -+$/;

/** A member's box opens one member of a group; the others close the last one or say how many were left out. */
function groupBox(line: string): "member" | "other" | null {
  const box = line.trim();
  if (box[0] !== "+") return null;
  if (MEMBER_BOX.test(box)) return "member";
  return CLOSING_BOX.test(box) || MORE_BOX.test(box) ? "other" : null;
}

interface FrameLine {
  file: string;
  line: number;
  function: string | null;
}

/**
 * A frame line, `  File "x.py", line 3, in f` (or faulthandler's `  File "x.py", line 3 in f`). The file name
 * may itself hold `", line `: as CPython prints it verbatim, the last place where the rest fits wins. Parsed by
 * hand, not by a pattern with two greedy `.+`, which backtracks quadratically on such lines.
 */
function frameLine(text: string, faulthandler: boolean): FrameLine | null {
  const line = text.trim();
  if (!line.startsWith('File "')) return null;
  const separator = faulthandler ? " in " : ", in ";
  for (let at = line.lastIndexOf('", line '); at > 6; at = line.lastIndexOf('", line ', at - 1)) {
    let end = at + 8;
    while (end < line.length && line.charCodeAt(end) >= 48 && line.charCodeAt(end) <= 57) end++;
    if (end === at + 8) continue;
    const rest = line.slice(end);
    let fn: string | null = null;
    if (rest.startsWith(separator) && rest.length > separator.length) fn = rest.slice(separator.length).trim();
    else if (rest !== "" || faulthandler) continue;
    return { file: line.slice(6, at), line: Number(line.slice(at + 8, end)), function: fn };
  }
  return null;
}

/**
 * Splits captured output into lines, dropping colour codes and any kind of line ending (CRLF, lone CR). Only
 * the last MAX_STDERR_CHARS characters are read.
 */
export function stderrLines(text: string): string[] {
  return stderrRead(text)
    .replace(ANSI, "")
    .split(/\r\n|\r|\n/);
}

export function parseTraceback(stderr: string | null | undefined): ParsedTraceback {
  const lines = stderrLines(stderr ?? "");
  const result: ParsedTraceback = {
    error_type: null,
    error_message: null,
    suggestion: null,
    frames: [],
    chain: [],
    sub_exceptions: [],
    fatal_error: null,
    frames_omitted: 0,
  };
  const blocks = findBlocks(lines);
  const fatalAt = lastIndexMatching(lines, FATAL);
  const last = blocks[blocks.length - 1];
  if (fatalAt >= 0 && (!last || fatalAt > last.start)) {
    // An interpreter crash after (or without) any traceback: no exception escaped.
    result.fatal_error = lines[fatalAt].trim();
    result.frames = parseFrames(lines.slice(fatalAt + 1), true);
    return keepInnermostFrames(result);
  }
  if (!last) return result;
  const parsed = blocks.map((b) => parseBlock(lines, b));
  const final = parsed[parsed.length - 1];
  if (!final.exception) return result;
  const { message, suggestion } = splitSuggestion(final.exception.error_message);
  result.error_type = final.exception.error_type;
  result.error_message = message;
  result.suggestion = suggestion;
  result.frames = final.frames;
  result.sub_exceptions = final.subExceptions;
  // Only blocks joined to the final one by a chain separator are its causes; earlier, unrelated
  // tracebacks (printed by handlers that went on) are not.
  for (let i = parsed.length - 2; i >= 0 && blocks[i + 1].chained; i--) {
    const e = parsed[i].exception;
    if (e) result.chain.unshift(e);
  }
  return keepInnermostFrames(result);
}

function keepInnermostFrames(result: ParsedTraceback): ParsedTraceback {
  if (result.frames.length > MAX_FRAMES) {
    result.frames_omitted = result.frames.length - MAX_FRAMES;
    result.frames = result.frames.slice(-MAX_FRAMES);
  }
  return result;
}

interface Block {
  /** Index of the header line (or of the `File` line of a header-less SyntaxError). */
  start: number;
  /** One past the last line. */
  end: number;
  /** Column prefix (indentation or the group box's "| ") stripped from every line. */
  prefixLength: number;
  group: boolean;
  /** Preceded by "The above exception was the direct cause …" or "During handling …". */
  chained: boolean;
}

function findBlocks(lines: string[]): Block[] {
  const starts: Array<Omit<Block, "end">> = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (TRACEBACK_HEADER.test(line)) {
      starts.push({ start: i, prefixLength: 0, group: false, chained: precededByChainSeparator(lines, i) });
      continue;
    }
    const group = GROUP_HEADER.exec(line);
    if (group && group[1].length <= 2) {
      starts.push({ start: i, prefixLength: group[1].length, group: true, chained: precededByChainSeparator(lines, i) });
      continue;
    }
    // A SyntaxError raised while compiling the script itself has no "Traceback" header.
    if (isHeaderlessSyntaxError(lines, i) && !insideBlock(starts, lines, i)) {
      starts.push({ start: i, prefixLength: 0, group: false, chained: false });
    }
  }
  return starts.map((b, k) => ({ ...b, end: k + 1 < starts.length ? starts[k + 1].start : lines.length }));
}

function precededByChainSeparator(lines: string[], i: number): boolean {
  let j = i - 1;
  while (j >= 0 && lines[j].trim() === "") j--;
  return j >= 0 && isChainSeparator(lines[j]);
}

function isHeaderlessSyntaxError(lines: string[], i: number): boolean {
  const frame = frameLine(lines[i], false);
  if (!frame || frame.function !== null || !lines[i].startsWith("  File")) return false;
  for (let j = i + 1; j < Math.min(lines.length, i + 4); j++) {
    const exc = EXCEPTION_LINE.exec(lines[j]);
    if (exc && /(SyntaxError|IndentationError|TabError)$/.test(exc[1])) return true;
  }
  return false;
}

/** True when line i lies between a header and that header's exception line. */
function insideBlock(starts: Array<Omit<Block, "end">>, lines: string[], i: number): boolean {
  const open = starts[starts.length - 1];
  if (!open) return false;
  for (let j = open.start + 1; j < i; j++) {
    if (!/^\s/.test(lines[j]) && EXCEPTION_LINE.test(lines[j])) return false;
  }
  return true;
}

interface ParsedBlock {
  frames: TracebackFrame[];
  exception: RaisedException | null;
  subExceptions: RaisedException[];
}

function parseBlock(all: string[], block: Block): ParsedBlock {
  const raw = all.slice(block.start + (block.group || TRACEBACK_HEADER.test(all[block.start]) ? 1 : 0), block.end);
  const body = block.group ? groupBody(raw, block.prefixLength) : raw;
  let i = 0;
  const frameLines: string[] = [];
  // Frames are indented; the exception line is the first one that is not.
  while (i < body.length && (body[i].startsWith(" ") || body[i] === "")) {
    if (body[i] !== "" || frameLines.length === 0) frameLines.push(body[i]);
    i++;
  }
  const frames = parseFrames(frameLines, false);
  const exc = i < body.length ? EXCEPTION_LINE.exec(body[i]) : null;
  if (!exc) return { frames, exception: null, subExceptions: [] };
  const messageLines = [exc[2] ?? ""];
  for (let j = i + 1; j < body.length; j++) {
    const line = body[j];
    if (line.trim() === "" || isChainSeparator(line) || RUNNER_LOG_LINE.test(line) || groupBox(line)) break;
    messageLines.push(line);
  }
  return {
    frames,
    exception: { error_type: exc[1], error_message: messageLines.join("\n") },
    subExceptions: block.group ? subExceptions(raw, block.prefixLength) : [],
  };
}

/** The group's own traceback: its "| "-prefixed lines before the first member box. */
function groupBody(raw: string[], prefixLength: number): string[] {
  const body: string[] = [];
  for (const line of raw) {
    if (groupBox(line)) break;
    const rest = line.slice(prefixLength);
    if (!line.slice(0, prefixLength).trim() && rest.startsWith("| ")) body.push(rest.slice(2));
    else if (!line.slice(0, prefixLength).trim() && rest === "|") body.push("");
    else break;
  }
  return body;
}

/** Each direct member of a group is introduced by a "+---- N ----" box line, one level deeper. */
function subExceptions(raw: string[], prefixLength: number): RaisedException[] {
  const members: RaisedException[] = [];
  const memberPrefix = " ".repeat(prefixLength + 2) + "| ";
  let inMember = false;
  let found = false;
  for (const line of raw) {
    const box = groupBox(line);
    if (box && line.indexOf("+") <= prefixLength + 2) {
      inMember = box === "member";
      found = false;
      continue;
    }
    if (!inMember || found || !line.startsWith(memberPrefix)) continue;
    const exc = EXCEPTION_LINE.exec(line.slice(memberPrefix.length));
    if (exc && !line.slice(memberPrefix.length).startsWith(" ")) {
      members.push({ error_type: exc[1], error_message: exc[2] ?? "" });
      found = true;
    }
  }
  return members;
}

function parseFrames(lines: string[], faulthandler: boolean): TracebackFrame[] {
  const frames: TracebackFrame[] = [];
  for (const line of lines) {
    const frame = frameLine(line, faulthandler);
    if (frame) {
      frames.push({ file: frame.file, line: frame.line, function: frame.function, source: null });
      continue;
    }
    const last = frames[frames.length - 1];
    const repeated = REPEATED.exec(line);
    if (repeated && last) {
      last.repeated = Number(repeated[1]);
    } else if (last && last.source === null && line.trim() && !MARKER.test(line) && !ELIDED.test(line)) {
      last.source = line.trim();
    }
  }
  return frames;
}

function splitSuggestion(message: string): { message: string; suggestion: string | null } {
  const firstBreak = message.indexOf("\n");
  const first = firstBreak < 0 ? message : message.slice(0, firstBreak);
  // `… Did you mean: 'x'?` ends the line: found by hand (a pattern would backtrack over every ` Did you mean: `)
  const at = first.indexOf(" Did you mean: ");
  if (at < 0 || !first.endsWith("?") || first.length - 1 <= at + 15) return { message, suggestion: null };
  const rest = firstBreak < 0 ? "" : message.slice(firstBreak);
  const cut = at > 0 && first[at - 1] === "." ? at - 1 : at;
  return { message: first.slice(0, cut) + rest, suggestion: first.slice(at + 15, -1) };
}

function lastIndexMatching(lines: string[], pattern: RegExp): number {
  for (let i = lines.length - 1; i >= 0; i--) if (pattern.test(lines[i])) return i;
  return -1;
}
