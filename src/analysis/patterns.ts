// Error patterns: an error_type plus a message template that parameterises what varies between
// occurrences of one mistake (numbers, paths, quoted values …) but keeps the identifiers that are the
// mistake itself (`module 'os' has no attribute 'makedir'` stays distinct from `… 'mkdirs'`).
import { hash } from "node:crypto";
import { MAX_MESSAGE_CHARS } from "./limits.js";
import type { TracebackFrame } from "./traceback.js";

// A quoted token right after these words names the mistake, so it is kept. Tested against at most the last
// CONTEXT_CHARS characters before the token (spaces skipped), so it costs the same however long the message.
const IDENTIFIER_CONTEXT = /(?:^|\W)(?:name|module|attribute|named|local variable|keyword argument|argument:?|arguments:|from|and)$/;
const CONTEXT_CHARS = 24;
const IDENTIFIER = /^[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*$/;
const OBJECT_AFTER = /\s*object\b/y;

/** Whether the quoted token at `offset` follows one of the IDENTIFIER_CONTEXT words. */
function afterIdentifierContext(text: string, offset: number): boolean {
  let end = offset;
  while (end > 0 && /\s/.test(text[end - 1])) end--;
  return IDENTIFIER_CONTEXT.test(text.slice(Math.max(0, end - CONTEXT_CHARS), end));
}

/**
 * Replaces each quoted value ('…' or "…", with backslash escapes) by what `replace` makes of its contents, in
 * one pass. A quote that is never closed is left as it is; once one is unclosed, no later quote of that kind
 * can close either (the scan from it would read the same escapes), so no stretch of text is scanned twice.
 */
export function replaceQuoted(text: string, replace: (inner: string, from: number, to: number) => string): string {
  let out = "";
  let copied = 0;
  const unclosed = { "'": false, '"': false };
  for (let i = 0; i < text.length; i++) {
    const quote = text[i];
    if ((quote !== "'" && quote !== '"') || unclosed[quote]) continue;
    let j = i + 1;
    while (j < text.length && text[j] !== quote) j += text[j] === "\\" ? 2 : 1;
    if (j >= text.length) {
      unclosed[quote] = true;
      continue;
    }
    out += text.slice(copied, i) + replace(text.slice(i + 1, j), i, j + 1);
    copied = j + 1;
    i = j;
  }
  return out + text.slice(copied);
}
// Short quoted literals that are the mistake itself, never a value: a keyword (`expected 'except' or
// 'finally' block`) or an operator, bracket or other punctuation (`cannot include '#'`, `'(' was never closed`).
export const PYTHON_KEYWORDS: ReadonlySet<string> = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield".split(
    " ",
  ),
);
const PUNCTUATION = /^[^\w\s'"]{1,3}$/;
const isMistakeLiteral = (inner: string) => PYTHON_KEYWORDS.has(inner) || PUNCTUATION.test(inner);

/** The message with its varying parts replaced by placeholders. */
export function messageTemplate(message: string | null): string {
  if (!message) return "";
  const lineEnd = message.indexOf("\n");
  let text = message.slice(0, Math.min(lineEnd < 0 ? message.length : lineEnd, MAX_MESSAGE_CHARS)).trim();
  text = text.replace(/\[Errno \d+\]/g, "[Errno <N>]");
  const quoted = text;
  text = replaceQuoted(quoted, (inner, from, to) => {
    if (isMistakeLiteral(inner)) return `'${inner}'`;
    if (!IDENTIFIER.test(inner)) return "<STR>";
    OBJECT_AFTER.lastIndex = to;
    return afterIdentifierContext(quoted, from) || OBJECT_AFTER.test(quoted) ? `'${inner}'` : "<STR>";
  });
  text = text.replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<UUID>");
  text = text.replace(/(?:[A-Za-z]:)?(?:[\\/][\w.@+-]+){2,}[\\/]?/g, "<PATH>");
  text = text.replace(/\((?:\s*-?\d+\s*,)+\s*(?:-?\d+\s*)?\)/g, "<SHAPE>");
  text = text.replace(/\b0x[0-9a-f]+\b/gi, "<HEX>");
  text = text.replace(/(?<![\w<])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w>])/gi, "<N>");
  return text;
}

/** A frame of the script itself: not the runner's, not site-/dist-packages, not the standard library. */
export function isScriptFrame(frame: TracebackFrame, code: string): boolean {
  // The bootstrap knew where the file lies; stderr leaves only the path and the line to judge by.
  if (frame.in_app !== undefined) return frame.in_app && frame.source !== null;
  if (/[\\/](site|dist)-packages[\\/]|^<frozen |[\\/]lib[\\/]python\d/.test(frame.file)) return false;
  return frame.source !== null && code.includes(frame.source);
}

export function innermostScriptFrame(frames: TracebackFrame[], code: string): TracebackFrame | null {
  for (let i = frames.length - 1; i >= 0; i--) if (isScriptFrame(frames[i], code)) return frames[i];
  return null;
}

/** A code line with what varies between attempts (numbers, strings, spacing) taken out. */
export function normaliseCodeLine(line: string | null): string {
  if (!line) return "";
  return replaceQuoted(line, () => "<STR>")
    .replace(/\b\d+(?:\.\d+)?\b/g, "<N>")
    .replace(/\s+/g, " ")
    .trim();
}

/** A stable short hash of the pattern and where in the script it was raised (line numbers never count). */
export function errorFingerprint(errorType: string | null, template: string, codeLine: string): string {
  return hash("sha256", `${errorType ?? ""}\n${template}\n${codeLine}`, "hex").slice(0, 16);
}

export function patternKey(errorType: string | null, template: string): string {
  return `${errorType ?? "(no exception)"}: ${template}`;
}
