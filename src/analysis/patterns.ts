// Error patterns: an error_type plus a message template that parameterises what varies between
// occurrences of one mistake (numbers, paths, quoted values …) but keeps the identifiers that are the
// mistake itself (`module 'os' has no attribute 'makedir'` stays distinct from `… 'mkdirs'`).
import { hash } from "node:crypto";
import type { TracebackFrame } from "./traceback.js";

// A quoted token right after these words names the mistake, so it is kept.
const IDENTIFIER_CONTEXT =
  /(?:\bname|\bmodule|\battribute|\bnamed|\bimport name|\blocal variable|\bkeyword argument|\bargument:?|\bargument[s]?:|\bfrom|\band)\s*$/;
const IDENTIFIER = /^[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*$/;

/** The message with its varying parts replaced by placeholders. */
export function messageTemplate(message: string | null): string {
  if (!message) return "";
  let text = message.split("\n")[0].trim();
  text = text.replace(/\[Errno \d+\]/g, "[Errno <N>]");
  text = text.replace(/(['"])((?:(?!\1)[^\\]|\\.)*)\1/g, (match, _q: string, inner: string, offset: number, whole: string) => {
    const before = whole.slice(0, offset);
    const objectType = /^\s*object\b/.test(whole.slice(offset + match.length));
    if (IDENTIFIER.test(inner) && (IDENTIFIER_CONTEXT.test(before) || objectType)) return `'${inner}'`;
    return "<STR>";
  });
  text = text.replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<UUID>");
  text = text.replace(/(?:[A-Za-z]:)?(?:[\\/][\w.@+-]+){2,}[\\/]?/g, "<PATH>");
  text = text.replace(/\((?:\s*-?\d+\s*,)+\s*-?\d*\s*\)/g, "<SHAPE>");
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
  return line
    .replace(/(['"])(?:(?!\1)[^\\]|\\.)*\1/g, "<STR>")
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
