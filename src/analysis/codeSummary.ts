// What a script imports, calls, references and defines, read from its tokens statement by statement. The
// tokens come from a Python tokenizer that never fails, which matters: failing code often does not parse.
// What it yields is checked against CPython's own `ast` module on real scripts (test/codeSummary.test.ts).
import { tokenizePython, type PyToken } from "./pythonTokens.js";

export interface CodeSummary {
  /** Import statements, normalised: `import numpy as np`, `from os.path import join`. */
  imports: string[];
  /** Every module named by an import (`os.path`, `numpy`); relative imports are left out. */
  modules: string[];
  /** Dotted names that are called, as written: `os.makedir`, `np.zeros`, `str`. */
  calls: string[];
  /** Dotted names that are read (calls included), and their roots: what a fix can misspell or replace. */
  references: string[];
  /** Names the code binds: assignment, loop, `with … as` and `except … as` targets, functions, classes. */
  defined: string[];
}

/** Unix line endings: CRLF code (the original system's logs have it) must summarise and diff like LF code. */
export function normaliseNewlines(code: string): string {
  return code.includes("\r") ? code.replace(/\r\n?/g, "\n") : code;
}

export function summariseCode(source: string): CodeSummary {
  const code = normaliseNewlines(source);
  const reader = new SummaryReader(code, tokenizePython(code));
  reader.read();
  const sorted = (values: Set<string>) => [...values].sort();
  return {
    imports: sorted(reader.imports),
    modules: sorted(reader.modules),
    calls: sorted(reader.calls),
    references: sorted(reader.references),
    defined: sorted(reader.defined),
  };
}

const KEYWORDS = new Set([
  "False",
  "None",
  "True",
  "and",
  "as",
  "assert",
  "async",
  "await",
  "break",
  "class",
  "continue",
  "def",
  "del",
  "elif",
  "else",
  "except",
  "finally",
  "for",
  "from",
  "global",
  "if",
  "import",
  "in",
  "is",
  "lambda",
  "nonlocal",
  "not",
  "or",
  "pass",
  "raise",
  "return",
  "try",
  "while",
  "with",
  "yield",
]);
const COMPOUND = new Set(["if", "elif", "else", "while", "for", "try", "except", "finally", "with", "def", "class"]);
const AUGMENTED = new Set(["+=", "-=", "*=", "/=", "//=", "%=", "**=", ">>=", "<<=", "&=", "^=", "|=", "@="]);

const isName = (t: PyToken | undefined): boolean => t?.kind === "name" && !KEYWORDS.has(t.text);
const isKeyword = (t: PyToken | undefined, word: string) => t?.kind === "name" && t.text === word;
const isOp = (t: PyToken | undefined, op: string) => t?.kind === "op" && t.text === op;
const isColon = (t: PyToken) => isOp(t, ":");
const opens = (t: PyToken) => t.kind === "fstring_start" || (t.kind === "op" && (t.text === "(" || t.text === "[" || t.text === "{"));
const closes = (t: PyToken) => t.kind === "fstring_end" || (t.kind === "op" && (t.text === ")" || t.text === "]" || t.text === "}"));
/** A `(` after one of these opens a call's arguments, where `name=` is a keyword, not a binding. */
const isCallee = (t: PyToken | undefined) =>
  t !== undefined && (isName(t) || isOp(t, ")") || isOp(t, "]") || t.kind === "string" || t.kind === "fstring_end");

/** Work left for later: nested targets and lambda parameters, kept off the call stack. */
interface Pending {
  kind: "targets" | "parameters";
  from: number;
  to: number;
  bind: boolean;
}

/**
 * Token ranges are half-open: [from, to). Every bracket's partner and every lambda's colon are found once, up
 * front, so skipping a bracketed group or a lambda's parameters costs one step, and nesting is worked through
 * with an explicit list (`pending`): the time is linear in the tokens and the stack depth constant, whatever
 * the nesting (`((((x))))` or `lambda lambda …` ten thousand deep).
 */
class SummaryReader {
  readonly imports = new Set<string>();
  readonly modules = new Set<string>();
  readonly calls = new Set<string>();
  readonly references = new Set<string>();
  readonly defined = new Set<string>();
  /** For an opening bracket: the index of its closing one, or -1 if the logical line never closes it. */
  private readonly partner: Int32Array;
  /** For a `lambda`: the index of the colon ending its parameters, or -1 if there is none. */
  private readonly lambdaColon: Int32Array;
  private readonly pending: Pending[] = [];

  constructor(
    private readonly code: string,
    private readonly tokens: readonly PyToken[],
  ) {
    this.partner = new Int32Array(tokens.length).fill(-1);
    this.lambdaColon = new Int32Array(tokens.length).fill(-1);
    // one frame per open bracket (the first for none), each with the lambdas still waiting for their colon
    const opened: number[] = [];
    const lambdas: number[][] = [[]];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (opens(t)) {
        opened.push(i);
        lambdas.push([]);
      } else if (closes(t)) {
        if (opened.length === 0) continue;
        this.partner[opened.pop()!] = i;
        lambdas.pop();
      } else if (t.kind === "newline") {
        opened.length = 0;
        lambdas.length = 1;
        lambdas[0].length = 0;
      } else if (isKeyword(t, "lambda")) {
        lambdas[lambdas.length - 1].push(i);
      } else if (isColon(t)) {
        const waiting = lambdas[lambdas.length - 1];
        if (waiting.length > 0) this.lambdaColon[waiting.pop()!] = i;
      }
    }
  }

  /** Logical lines, split again at top-level `;`. */
  read(): void {
    const { tokens } = this;
    let start = 0;
    let depth = 0;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (opens(t)) depth++;
      else if (closes(t)) depth = Math.max(0, depth - 1);
      else if (t.kind === "newline" || (depth === 0 && isOp(t, ";"))) {
        if (i > start) this.statement(start, i);
        start = i + 1;
        depth = 0;
      }
    }
    if (start < tokens.length) this.statement(start, tokens.length);
  }

  /** One statement, and the simple statements that follow its header on the same line (`if ready: run()`). */
  private statement(start: number, to: number): void {
    let from = start;
    while (from < to) {
      const first = this.tokens[from];
      if (isKeyword(first, "async")) {
        from++;
        continue;
      }
      if (isOp(first, "@")) {
        this.expression(from + 1, to); // a decorator
      } else if ((first.kind === "name" && COMPOUND.has(first.text)) || this.isSoftKeywordHeader(from, to)) {
        const colon = this.find(from + 1, to, isColon);
        this.header(first.text, from, colon);
        from = colon + 1;
        continue;
      } else {
        this.simpleStatement(from, to);
      }
      break;
    }
    this.drain();
  }

  /** Works through the nested targets and lambda parameters found so far (and those they hold). */
  private drain(): void {
    for (let task = this.pending.pop(); task !== undefined; task = this.pending.pop()) {
      if (task.kind === "targets") this.targets(task.from, task.to, task.bind);
      else this.parameters(task.from, task.to);
    }
  }

  /** `match` and `case` are keywords only where a statement starts with them and ends its header with `:`. */
  private isSoftKeywordHeader(from: number, to: number): boolean {
    const [first, second] = [this.tokens[from], this.tokens[from + 1]];
    if (first.kind !== "name" || (first.text !== "match" && first.text !== "case") || !second) return false;
    if (second.kind === "op" && !opens(second) && second.text !== "-" && second.text !== "*") return false; // match = 1, match.x
    return this.find(from + 1, to, isColon) < to;
  }

  private header(keyword: string, from: number, colon: number): void {
    const { tokens } = this;
    switch (keyword) {
      case "def": {
        if (isName(tokens[from + 1])) this.defined.add(tokens[from + 1].text);
        if (!isOp(tokens[from + 2], "(")) return this.expression(from + 2, colon);
        const close = this.closing(from + 2, colon);
        this.parameters(from + 3, close);
        return this.expression(close + 1, colon); // `-> annotation`
      }
      case "class":
        if (isName(tokens[from + 1])) this.defined.add(tokens[from + 1].text);
        return this.expression(from + 2, colon); // the bases, read as call arguments
      case "for": {
        const within = this.find(from + 1, colon, (t) => isKeyword(t, "in"));
        this.targets(from + 1, within, true);
        return this.expression(within + 1, colon);
      }
      case "with":
      case "except": {
        let start = from + 1;
        if (isOp(tokens[start], "*")) start++; // except*
        let end = colon;
        // with (open(a) as f, open(b) as g):
        if (
          isOp(tokens[start], "(") &&
          this.closing(start, colon) === colon - 1 &&
          this.find(start + 1, colon - 1, (t) => isKeyword(t, "as")) < colon - 1
        ) {
          start++;
          end--;
        }
        for (const [itemFrom, itemTo] of this.split(start, end, ",")) {
          const as = this.find(itemFrom, itemTo, (t) => isKeyword(t, "as"));
          this.expression(itemFrom, as);
          if (as < itemTo) this.targets(as + 1, itemTo, true);
        }
        return;
      }
      case "case":
        return; // its pattern binds captures and reads nothing summarised
      default: // if, elif, while and match read an expression; else, try and finally have none
        return this.expression(from + 1, colon);
    }
  }

  private simpleStatement(from: number, to: number): void {
    const { tokens } = this;
    const first = tokens[from];
    if (isKeyword(first, "import") || (isKeyword(first, "from") && this.find(from, to, (t) => isKeyword(t, "import")) < to)) {
      return this.importStatement(this.code.slice(first.from, tokens[to - 1].to));
    }
    if (isKeyword(first, "global") || isKeyword(first, "nonlocal")) return;
    if (isKeyword(first, "del")) return this.targets(from + 1, to, false);
    if (first.kind === "name" && KEYWORDS.has(first.text)) return this.expression(from, to); // return, raise, assert…
    const augmented = this.find(from, to, (t) => t.kind === "op" && AUGMENTED.has(t.text));
    if (augmented < to) {
      this.targets(from, augmented, true);
      return this.expression(augmented + 1, to);
    }
    const parts = this.split(from, to, "=");
    const [targetFrom, targetTo] = parts[0];
    // `x: int = 5` or `x: int`: the annotation is read, the target bound
    const annotation = this.find(targetFrom, targetTo, isColon);
    if (annotation < targetTo) {
      this.targets(targetFrom, annotation, true);
      this.expression(annotation + 1, targetTo);
      for (const [f, t] of parts.slice(1)) this.expression(f, t);
      return;
    }
    parts.slice(0, -1).forEach(([f, t]) => this.targets(f, t, true));
    const [valueFrom, valueTo] = parts[parts.length - 1];
    this.expression(valueFrom, valueTo);
  }

  private importStatement(text: string): void {
    // whitespace is collapsed first, so the patterns after it see single spaces only
    const statement = text
      .replace(/#.*$/gm, "")
      .replace(/\\\n/g, " ")
      .replace(/\s+/g, " ")
      .replace(/ ?, ?/g, ", ")
      .replace(/\( ?/g, "(")
      .replace(/,? ?\)/g, ")")
      .trim();
    this.imports.add(statement);
    const from = /^from ([\w.]+) import\b/.exec(statement);
    if (from) {
      if (!from[1].startsWith(".")) this.modules.add(from[1]);
      return;
    }
    // import a.b as c, d
    for (const part of statement.replace(/^import /, "").split(",")) {
      const module = part.trim().split(" as ")[0];
      if (/^[\w.]+$/.test(module)) this.modules.add(module);
    }
  }

  /**
   * Assignment targets: names are bound (`bind`) or, after `del`, unbound; in `a.b.c = …` or `a[i] = …` what
   * holds the attribute or item is read. A parenthesised target is left for `drain`.
   */
  private targets(from: number, to: number, bind: boolean): void {
    const { tokens } = this;
    for (const [first, end] of this.split(from, to, ",")) {
      let start = first;
      while (start < end && (isOp(tokens[start], "*") || isOp(tokens[start], "**"))) start++;
      if (start >= end) continue;
      if (end - start === 1 && isName(tokens[start])) {
        if (bind) this.defined.add(tokens[start].text);
      } else if ((isOp(tokens[start], "(") || isOp(tokens[start], "[")) && this.closing(start, end) === end - 1) {
        this.pending.push({ kind: "targets", from: start + 1, to: end - 1, bind });
      } else if (isOp(tokens[end - 2], ".") && isName(tokens[end - 1])) {
        this.expression(start, end - 2);
      } else {
        this.expression(start, end);
      }
    }
  }

  /** Parameters of a def or lambda: their names are neither read nor defined; annotations and defaults are read. */
  private parameters(from: number, to: number): void {
    const { tokens } = this;
    for (const [first, end] of this.split(from, to, ",")) {
      let start = first;
      while (start < end && (isOp(tokens[start], "*") || isOp(tokens[start], "**") || isOp(tokens[start], "/"))) start++;
      if (start < end && tokens[start].kind === "name") start++;
      if (start < end && (isOp(tokens[start], ":") || isOp(tokens[start], "="))) start++;
      this.expression(start, end); // the annotation and the default
    }
  }

  /**
   * Reads an expression: dotted names, the calls among them, keyword arguments, comprehensions, lambdas (whose
   * parameters are left for `drain`).
   */
  private expression(from: number, to: number): void {
    const { tokens } = this;
    // for each open bracket: where it is, and does it hold a call's arguments?
    const opened: number[] = [];
    const calls: boolean[] = [];
    for (let i = from; i < to; i++) {
      const t = tokens[i];
      const previous = tokens[i - 1]; // before `from` too: `class A(` opens call-like arguments
      if (opens(t)) {
        opened.push(i);
        calls.push(isOp(t, "(") && isCallee(previous));
        continue;
      }
      if (closes(t)) {
        opened.pop();
        calls.pop();
        continue;
      }
      if (t.kind !== "name") continue;
      if (KEYWORDS.has(t.text)) {
        // what follows stays within the innermost open bracket
        const close = opened.length > 0 ? this.partner[opened[opened.length - 1]] : -1;
        const end = close >= 0 && close < to ? close : to;
        if (t.text === "for") {
          const within = this.find(i + 1, end, (u) => isKeyword(u, "in")); // comprehension targets
          i = within < end ? within : end - 1;
        } else if (t.text === "lambda") {
          const colon = this.lambdaColon[i];
          const stop = colon > i && colon < end ? colon : end;
          this.pending.push({ kind: "parameters", from: i + 1, to: stop, bind: false });
          i = stop < end ? stop : end - 1;
        }
        continue;
      }
      if (isOp(previous, ".")) continue; // an attribute of something that is not a dotted name
      const next = tokens[i + 1];
      if (isOp(next, "=") && calls[calls.length - 1] && (isOp(previous, "(") || isOp(previous, ","))) continue; // f(x=1)
      if (isOp(next, ":=")) {
        this.defined.add(t.text);
        continue;
      }
      let name = t.text;
      let end = i;
      while (end + 2 < to && isOp(tokens[end + 1], ".") && isName(tokens[end + 2])) {
        name += "." + tokens[end + 2].text;
        end += 2;
      }
      if (end + 1 < to && isOp(tokens[end + 1], "(")) this.calls.add(name);
      this.references.add(name).add(t.text);
      i = end;
    }
  }

  /**
   * The first token in [from, to) outside brackets and lambda parameters that matches; `to` if none. A bracket
   * or lambda left open, or a stray closing bracket, hides the rest of the range.
   */
  private find(from: number, to: number, match: (t: PyToken) => boolean): number {
    const { tokens } = this;
    for (let i = from; i < to; i++) {
      const t = tokens[i];
      if (opens(t)) {
        const close = this.partner[i];
        if (close < 0 || close >= to) return to;
        i = close;
      } else if (closes(t)) {
        return to;
      } else if (isKeyword(t, "lambda")) {
        // a lambda's parameters run to its colon: their `=` and `,` are its own
        const colon = this.lambdaColon[i];
        if (colon < 0 || colon >= to) return to;
        i = colon;
      } else if (match(t)) {
        return i;
      }
    }
    return to;
  }

  /** Ranges of [from, to) between top-level `separator` tokens. */
  private split(from: number, to: number, separator: string): Array<[number, number]> {
    const parts: Array<[number, number]> = [];
    let start = from;
    for (let at = this.find(start, to, (t) => isOp(t, separator)); at < to; at = this.find(start, to, (t) => isOp(t, separator))) {
      parts.push([start, at]);
      start = at + 1;
    }
    parts.push([start, to]);
    return parts;
  }

  /** The bracket closing the one opened at `open`, or `to - 1` if it is not closed before `to`. */
  private closing(open: number, to: number): number {
    const close = this.partner[open];
    return close >= 0 && close < to ? close : to - 1;
  }
}

/** Top-level package of a dotted module name: `os.path` → `os`. */
export const topLevel = (module: string) => module.split(".")[0];

/** The module a traceback frame's file belongs to, when it is a library's (site-packages or the standard library). */
export function frameLibrary(file: string): string | null {
  const m = /[\\/](?:site|dist)-packages[\\/]([A-Za-z_]\w*)/.exec(file) ?? /[\\/]lib[\\/]python\d+(?:\.\d+)?[\\/]([A-Za-z_]\w*)/.exec(file);
  return m && m[1] !== "site" ? m[1] : null;
}

/**
 * Libraries an attempt uses: its imports, the libraries its traceback passed through, and the module of a
 * dotted exception type (`json.decoder.JSONDecodeError` → json). Top-level names, sorted.
 */
export function librariesUsed(summary: CodeSummary, frameFiles: string[], errorType: string | null): string[] {
  const libraries = new Set(summary.modules.map(topLevel));
  for (const file of frameFiles) {
    const library = frameLibrary(file);
    if (library) libraries.add(library);
  }
  if (errorType && errorType.includes(".")) libraries.add(topLevel(errorType));
  libraries.delete("__future__");
  libraries.delete("builtins");
  return [...libraries].sort();
}
