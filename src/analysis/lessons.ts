// What a failure teaches a model that writes a *new* script. Two kinds of lesson: API facts (an attribute a
// module does not have, a keyword a callable does not take, a missing import of a conventional alias, a
// construct CPython rejects) generalise; slips (a misspelling of a name the script itself defines, a name it
// forgot to define) teach a new script nothing and are never a rule of their own.
import { topLevel, type CodeSummary } from "./codeSummary.js";
import { tokenizePython } from "./pythonTokens.js";
import { PYTHON_KEYWORDS } from "./patterns.js";
import { STDLIB_MODULES } from "./stdlibExceptions.generated.js";

// Names generated code uses by convention for a module: an undefined one is a missing import, an API fact.
export const CONVENTIONAL_IMPORTS: ReadonlyMap<string, string> = new Map([
  ["np", "import numpy as np"],
  ["pd", "import pandas as pd"],
  ["plt", "import matplotlib.pyplot as plt"],
  ["mpl", "import matplotlib as mpl"],
  ["cv2", "import cv2"],
  ["sns", "import seaborn as sns"],
  ["tf", "import tensorflow as tf"],
  ["torch", "import torch"],
  ["sp", "import scipy as sp"],
  ["nx", "import networkx as nx"],
  ["Image", "from PIL import Image"],
  ["ImageDraw", "from PIL import ImageDraw"],
  ["ImageFont", "from PIL import ImageFont"],
  ["ndimage", "from scipy import ndimage"],
  ["Path", "from pathlib import Path"],
  ["datetime", "import datetime"],
]);

// Python 2 builtins that Python 3 removed, with what replaces them: a removed API, not a slip.
export const REMOVED_BUILTINS: ReadonlyMap<string, string> = new Map([
  ["xrange", "range"],
  ["raw_input", "input"],
  ["unicode", "str"],
  ["basestring", "str"],
  ["long", "int"],
  ["unichr", "chr"],
  ["reduce", "functools.reduce"],
  ["execfile", "exec(open(path).read())"],
  ["file", "open"],
]);

const NOT_DEFINED = /^name '(\w+)' is not defined/;
const OBJECT_ATTRIBUTE = /^'([\w.]+)' object has no attribute '(\w+)'/;
const CALL_MISUSE = /^([\w.]+)\(\) (?:got an unexpected keyword argument|missing \d+ required|takes \d+ positional|got multiple values)/;

/** A name an import would bind by convention (`np`), or a module's own name (`os`): undefined, it is a missing import. */
export function isImportLike(name: string): boolean {
  return CONVENTIONAL_IMPORTS.has(name) || STDLIB_MODULES.has(name);
}

/**
 * Whether a failure is a slip about the script's own names: an undefined name that no import provides by
 * convention (a misspelling of a name the script defines, or one it forgot to define), an attribute missing
 * from an object of a class the script defines, a wrong call of a function the script defines.
 */
export function isSlip(errorType: string | null, message: string | null, summary: CodeSummary): boolean {
  if (!message) return false;
  const first = message.split("\n")[0];
  let m: RegExpExecArray | null;
  if (errorType === "NameError" && (m = NOT_DEFINED.exec(first))) return !isImportLike(m[1]) && !REMOVED_BUILTINS.has(m[1]);
  if (errorType === "AttributeError" && (m = OBJECT_ATTRIBUTE.exec(first))) return summary.defined.includes(m[1]);
  if (errorType === "TypeError" && (m = CALL_MISUSE.exec(first))) return summary.defined.includes(m[1].slice(m[1].lastIndexOf(".") + 1));
  return false;
}

/**
 * The identifiers an error message names — quoted ones and the callee of `name()` — but not the module of
 * `module 'os' has no attribute …`: what a relevant fix touches is the attribute, not every use of the module.
 */
export function errorNames(message: string | null): string[] {
  if (!message) return [];
  const names = new Set<string>();
  for (const m of message.matchAll(/(module |from )?'([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)'/g)) {
    if (m[1] || PYTHON_KEYWORDS.has(m[2])) continue;
    names.add(m[2]);
  }
  // The callee of each `name()`: the word just before the parentheses (scanned back by hand: linear).
  for (let at = message.indexOf("()"); at > 0; at = message.indexOf("()", at + 2)) {
    let start = at;
    while (start > 0 && /\w/.test(message[start - 1])) start--;
    if (start < at && /[A-Za-z_]/.test(message[start])) names.add(message.slice(start, at));
  }
  return [...names];
}

/** The code's lines (1-based) of the failing line, found by its number where it matches, else by its text. */
export function failingLineNumber(code: string, line: number | null, source: string | null): number | null {
  if (source === null) return null;
  const lines = code.split("\n");
  const text = source.trim();
  if (line !== null && lines[line - 1]?.trim() === text) return line;
  let best: number | null = null;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== text) continue;
    if (best === null || (line !== null && Math.abs(i + 1 - line) < Math.abs(best - line))) best = i + 1;
  }
  return best;
}

// A statement longer than this is not an example: the failing line alone is shown.
const MAX_STATEMENT_LINES = 8;

/** Start offsets of the lines of `code`, for mapping token offsets to line numbers. */
function lineStarts(code: string): number[] {
  const starts = [0];
  for (let i = code.indexOf("\n"); i !== -1; i = code.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

const lineOf = (starts: number[], offset: number) => {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
};

/**
 * Every logical line of the code as [first, last] physical line numbers (1-based), in order: a multi-line
 * call is one statement, a compound statement's header is one, its body others. Comments and blank lines
 * belong to none.
 */
export function statementSpans(code: string): Array<[number, number]> {
  const starts = lineStarts(code);
  const spans: Array<[number, number]> = [];
  let first: number | null = null;
  let last = 0;
  for (const t of tokenizePython(code)) {
    if (t.kind === "newline") {
      if (first !== null) spans.push([first, last]);
      first = null;
      continue;
    }
    const line = lineOf(starts, t.from);
    if (first === null) first = line;
    last = lineOf(starts, Math.max(t.from, t.to - 1));
  }
  if (first !== null) spans.push([first, last]);
  return spans;
}

/** The statement holding line `line`: at most MAX_STATEMENT_LINES, else the line alone. */
export function statementAt(spans: Array<[number, number]>, line: number): [number, number] {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const [from, to] = spans[mid];
    if (line < from) hi = mid - 1;
    else if (line > to) lo = mid + 1;
    else return to - from < MAX_STATEMENT_LINES ? [from, to] : [line, line];
  }
  return [line, line];
}

/** Keyword argument names passed to calls of `callee` (its last part) in a piece of code. */
export function keywordArguments(code: string, callee: string): string[] {
  const tokens = tokenizePython(code);
  const names = new Set<string>();
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (tokens[i].kind !== "name" || tokens[i].text !== callee || tokens[i + 1].text !== "(") continue;
    let depth = 0;
    for (let j = i + 1; j < tokens.length; j++) {
      const t = tokens[j];
      if (t.kind === "op" && "([{".includes(t.text)) depth++;
      else if (t.kind === "op" && ")]}".includes(t.text) && --depth === 0) break;
      else if (
        depth === 1 &&
        t.kind === "name" &&
        tokens[j + 1]?.text === "=" &&
        (tokens[j - 1].text === "(" || tokens[j - 1].text === ",")
      )
        names.add(t.text);
    }
  }
  return [...names].sort();
}

/** The top-level module the failing expression's names come from (`np.float64(x)` → numpy), by the script's imports. */
export function modulesNamedIn(line: string | null, summary: CodeSummary): string[] {
  if (!line) return [];
  const bound = importBindings(summary);
  const modules = new Set<string>();
  for (const t of tokenizePython(line)) if (t.kind === "name" && bound.has(t.text)) modules.add(bound.get(t.text)!);
  return [...modules].sort();
}

/** Local name → top-level module it was imported from: `np` → numpy, `Image` → PIL. (Statements come normalised: single spaces.) */
export function importBindings(summary: Pick<CodeSummary, "imports">): Map<string, string> {
  const names = new Map<string, string>();
  for (const statement of summary.imports) {
    const imported = statement.indexOf(" import ");
    const from = statement.startsWith("from ") && imported > 0 ? statement.slice(5, imported) : null;
    const list = from === null ? statement.slice("import ".length) : statement.slice(imported + " import ".length);
    const parts = (from !== null && list.startsWith("(") && list.endsWith(")") ? list.slice(1, -1) : list).split(",");
    for (const part of parts) {
      const [name, alias] = part.trim().split(" as ");
      if (!name || name === "*") continue;
      names.set(alias ?? (from !== null ? name : topLevel(name)), topLevel(from ?? name));
    }
  }
  return names;
}

/** The import statements of `code` that bind `name`. */
export function importsBinding(imports: string[], name: string): string[] {
  return imports.filter((statement) => importBindings({ imports: [statement] }).has(name));
}

/**
 * What CPython rejected, in words a model can act on: the construct, not the message. The first matching
 * row wins; `line` is the failing line, for constructs best quoted from it.
 */
const SYNTAX_LESSONS: ReadonlyArray<{ message: RegExp; rule: (line: string | null) => string }> = [
  // CPython before 3.12 rejects `#` anywhere inside an f-string's replacement field.
  {
    message: /^f-string expression part cannot include '#'/,
    rule: () => "Never put `#` inside an f-string's `{…}` (Python before 3.12 rejects it): compute the value in a variable first.",
  },
  // … and a backslash, e.g. `{'\n'.join(x)}`.
  {
    message: /^f-string expression part cannot include a backslash/,
    rule: () => "Never put a backslash inside an f-string's `{…}` (Python before 3.12 rejects it): compute the value in a variable first.",
  },
  { message: /^f-string: expecting '\}'/, rule: () => "Close every `{` of an f-string with `}`; write `{{` and `}}` for literal braces." },
  // A `try:` whose block is followed by anything but `except`/`finally` (often a truncated edit).
  {
    message: /^expected 'except' or 'finally' block/,
    rule: () => "Give every `try:` an `except` or `finally` block at the same indentation before any other statement.",
  },
  // A name that starts with a digit (`1contours = …`) reads as a malformed number.
  {
    message: /^invalid decimal literal/,
    rule: (line) => {
      const token = line ? /(?<![\w.])\d+[A-Za-z_]\w*/.exec(line)?.[0] : undefined;
      return token
        ? `Never start a name with a digit: \`${token}\` is a SyntaxError ("invalid decimal literal").`
        : 'Never start a name with a digit, nor glue a letter to a number: CPython reports "invalid decimal literal".';
    },
  },
  { message: /^unterminated triple-quoted string literal/, rule: () => "Close every triple-quoted string with the same three quotes." },
  {
    message: /^unterminated string literal/,
    rule: () => "Close every string literal on the line it starts; use triple quotes for text over several lines.",
  },
  {
    message: /^'(.)' was never closed/,
    rule: () => "Close every bracket you open: count `(`, `[` and `{` against their closing partners.",
  },
  { message: /^unmatched '(.)'/, rule: () => "Remove closing brackets that close nothing: every `)`, `]`, `}` needs its opening partner." },
  { message: /^closing parenthesis/, rule: () => "Close brackets in the order they were opened." },
  { message: /^expected ':'/, rule: () => "End every `if`, `for`, `while`, `def`, `class`, `with` and `try` header with `:`." },
  {
    message: /^(?:unexpected indent|expected an indented block|unindent does not match)/,
    rule: () => "Indent blocks consistently with four spaces; never mix tabs and spaces.",
  },
  { message: /^invalid character '(.)'/, rule: () => "Write code in plain ASCII: typographic quotes, dashes and ellipses are not Python." },
  { message: /^Missing parentheses in call to 'print'/, rule: () => "Call `print(…)` with parentheses: this is Python 3." },
  { message: /^invalid syntax\. Perhaps you forgot a comma/, rule: () => "Separate the items of calls, lists and tuples with commas." },
];

/** A rule for a SyntaxError, by its construct; null when it is none of the known ones. */
export function syntaxLesson(message: string, failingLine: string | null): string | null {
  const first = message.split("\n")[0];
  return SYNTAX_LESSONS.find((s) => s.message.test(first))?.rule(failingLine) ?? null;
}

/** `import os` for a standard-library module's own name. */
export const stdlibImport = (name: string) => (STDLIB_MODULES.has(name) ? `import ${name}` : null);
