// A Python tokenizer, after CPython's own (Lib/tokenize.py): names, operators, strings, numbers and logical
// line ends; comments, blank lines and continuation lines vanish. It never fails: failing code often does
// not tokenize, so an unterminated string simply runs to the end of its line (or, triple-quoted, of the code)
// and a stray character is skipped. f-strings are not opaque: the expressions in their replacement fields are
// tokenized too, each field wrapped in `{` `}`, so calls inside them count like any other.
//
// Hand-written because the code summaries built on it run for every recorded attempt: they cost about a
// twelfth of a full parse with @lezer/python (33 against 400 µs per KB), and the test suite checks what they
// yield against CPython's `ast` module on real scripts.

export type PyTokenKind = "name" | "op" | "string" | "number" | "newline" | "fstring_start" | "fstring_end";

export interface PyToken {
  kind: PyTokenKind;
  text: string;
  from: number;
  to: number;
}

const OPERATORS = /\*\*=|\/\/=|>>=|<<=|\.\.\.|->|:=|[-+*/%&|^@<>=!]=|\*\*|\/\/|<<|>>|[-+*/%&|^@<>=~.,:;()[\]{}!]/y;
const NUMBER = /(?:0[xXoObB][\da-fA-F_]*|\d[\d_]*(?:\.[\d_]*)?(?:[eE][+-]?[\d_]+)?|\.\d[\d_]*(?:[eE][+-]?[\d_]+)?)[jJ]?/y;
const NAME = /[\p{ID_Start}_][\p{ID_Continue}]*/uy;
const STRING_PREFIX = /^(?:[rRuUbBfF]|[bB][rR]|[rR][bB]|[fF][rR]|[rR][fF])$/;
const OPENING = "([{";
const CLOSING = ")]}";

const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isNamePart = (c: number) => isNameStart(c) || (c >= 48 && c <= 57);
const isDigit = (c: number) => c >= 48 && c <= 57;

// The analyzer reads an attempt's code more than once (its summary, the statement that failed, its statements
// for a later fix) with a line of it tokenized in between: the last two texts' tokens are kept, so a second
// reading costs a string comparison. Callers only read tokens.
const recent: Array<{ code: string; tokens: readonly PyToken[] }> = [];
const RECENT_TOKENIZED = 2;

/** Tokens of `code` (with \n line ends: see normaliseNewlines). */
export function tokenizePython(code: string): readonly PyToken[] {
  for (const kept of recent) if (kept.code === code) return kept.tokens;
  const tokens: PyToken[] = [];
  new Tokenizer(code, tokens).run();
  recent.unshift({ code, tokens });
  if (recent.length > RECENT_TOKENIZED) recent.pop();
  return tokens;
}

/**
 * Where the scanner is inside f-strings. Nesting is kept on an explicit stack, never on the call stack, so
 * `f"{a:{a:{a:…` ten thousand deep costs what ten thousand names cost.
 */
type Frame =
  /** The literal text of an f-string. */
  | { kind: "literal"; delimiter: string; triple: boolean }
  /** A replacement field's expression: `depth` counts its own open brackets. */
  | { kind: "field"; delimiter: string; depth: number }
  /** A replacement field's format spec, which may hold fields of its own. */
  | { kind: "spec"; delimiter: string };

class Tokenizer {
  /** Open brackets outside f-strings: inside them a line break does not end the logical line. */
  private depth = 0;
  private readonly frames: Frame[] = [];

  constructor(
    private readonly code: string,
    private readonly tokens: PyToken[],
  ) {}

  run(): void {
    const { code, frames } = this;
    let i = 0;
    while (i < code.length) {
      const frame = frames[frames.length - 1];
      if (frame === undefined) i = this.codeToken(i, null);
      else if (frame.kind === "literal") i = this.literal(frame, i);
      else if (frame.kind === "spec") i = this.spec(frame, i);
      else i = this.field(frame, i);
    }
    // unterminated at the end: close every open field and f-string
    for (let frame = frames.pop(); frame !== undefined; frame = frames.pop()) {
      if (frame.kind === "literal") this.tokens.push({ kind: "fstring_end", text: "", from: i, to: i });
      else this.closeField(i);
    }
    this.endLine(code.length);
  }

  /** One token (or blank, comment, continuation) of code; `field` is the replacement field it lies in, if any. */
  private codeToken(i: number, field: Extract<Frame, { kind: "field" }> | null): number {
    const { code } = this;
    const c = code.charCodeAt(i);
    if (c === 32 || c === 9 || c === 12) return i + 1;
    if (c === 10) {
      // inside an f-string field no line ends a statement
      if (!field && (this.depth === 0 || startsStatement(code, i + 1))) this.endLine(i);
      return i + 1;
    }
    if (c === 35 /* # */) {
      const end = code.indexOf("\n", i);
      return end === -1 ? code.length : end;
    }
    if (c === 92 /* \ */) return i + (code.charCodeAt(i + 1) === 10 ? 2 : 1);
    if (c === 34 || c === 39) return this.string(i, i);
    if (isNameStart(c) || c > 127) return this.nameOrString(i);
    if (isDigit(c) || (c === 46 && isDigit(code.charCodeAt(i + 1)))) {
      NUMBER.lastIndex = i;
      NUMBER.test(code);
      return this.push("number", i, NUMBER.lastIndex);
    }
    OPERATORS.lastIndex = i;
    if (!OPERATORS.test(code)) return i + 1; // not Python ($, ?, a backtick): skip it
    const end = OPERATORS.lastIndex;
    const op = code.slice(i, end);
    if (field) {
      if (OPENING.includes(op)) field.depth++;
      else if (CLOSING.includes(op) && field.depth > 0) field.depth--;
    } else if (OPENING.includes(op)) this.depth++;
    else if (CLOSING.includes(op) && this.depth > 0) this.depth--;
    return this.push("op", i, end);
  }

  private endLine(at: number): void {
    const last = this.tokens[this.tokens.length - 1];
    if (last && last.kind !== "newline") this.tokens.push({ kind: "newline", text: "", from: at, to: at });
    this.depth = 0;
  }

  private push(kind: PyTokenKind, from: number, to: number): number {
    this.tokens.push({ kind, text: this.code.slice(from, to), from, to });
    return to;
  }

  private nameOrString(start: number): number {
    const { code } = this;
    let end = start;
    if (code.charCodeAt(start) <= 127) {
      while (end < code.length && isNamePart(code.charCodeAt(end))) end++;
    }
    if (end < code.length && code.charCodeAt(end) > 127) {
      NAME.lastIndex = start;
      if (!NAME.test(code)) return start + 1; // a character no identifier may hold
      end = NAME.lastIndex;
    }
    const next = code.charCodeAt(end);
    if ((next === 34 || next === 39) && end - start <= 2 && STRING_PREFIX.test(code.slice(start, end))) return this.string(start, end);
    return this.push("name", start, end);
  }

  /**
   * A string literal whose prefix starts at `start` and quote at `quoteAt`; returns where it ends. An f-string
   * only opens here: its literal text and fields are scanned frame by frame.
   */
  private string(start: number, quoteAt: number): number {
    const { code } = this;
    const quote = code[quoteAt];
    const triple = code.startsWith(quote.repeat(3), quoteAt);
    const delimiter = triple ? quote.repeat(3) : quote;
    const bodyStart = quoteAt + delimiter.length;
    if (quoteAt > start && /[fF]/.test(code.slice(start, quoteAt))) {
      this.frames.push({ kind: "literal", delimiter, triple });
      return this.push("fstring_start", start, bodyStart);
    }
    let i = bodyStart;
    while (i < code.length) {
      const c = code.charCodeAt(i);
      if (c === 92 /* \ */) {
        i += 2;
      } else if (c === 10 && !triple) {
        break; // unterminated: the line ends it
      } else if (code.startsWith(delimiter, i)) {
        i += delimiter.length;
        break;
      } else {
        i++;
      }
    }
    return this.push("string", start, Math.min(i, code.length));
  }

  /** An f-string's literal text, up to its end or its next replacement field. */
  private literal(frame: Extract<Frame, { kind: "literal" }>, from: number): number {
    const { code } = this;
    let i = from;
    while (i < code.length) {
      const c = code.charCodeAt(i);
      if (c === 92 /* \ */) {
        i += 2;
      } else if (c === 10 && !frame.triple) {
        return this.endFString(i); // unterminated: the line ends it
      } else if (code.startsWith(frame.delimiter, i)) {
        return this.endFString(i + frame.delimiter.length);
      } else if (c === 123 /* { */) {
        if (code.charCodeAt(i + 1) === 123) {
          i += 2;
          continue;
        }
        this.frames.push({ kind: "field", delimiter: frame.delimiter, depth: 0 });
        return this.push("op", i, i + 1);
      } else {
        i++;
      }
    }
    return Math.min(i, code.length);
  }

  private endFString(end: number): number {
    this.frames.pop();
    this.tokens.push({ kind: "fstring_end", text: "", from: end, to: end });
    return end;
  }

  /**
   * A replacement field's `expression!conversion:format spec}`: the expression is tokenized like any code
   * until, outside its own brackets, a `}`, `!`, `:` or the f-string's closing quote.
   */
  private field(frame: Extract<Frame, { kind: "field" }>, i: number): number {
    const { code } = this;
    if (code.startsWith(frame.delimiter, i)) return this.unterminatedField(i);
    const c = code[i];
    if (frame.depth === 0) {
      if (c === "}") {
        this.frames.pop();
        return this.push("op", i, i + 1);
      }
      if (c === ")" || c === "]") return this.unterminatedField(i);
      if (c === "!" && code[i + 1] !== "=") {
        const after = i + 2; // the conversion: !r, !s, !a
        if (code[after] === ":") {
          this.frames[this.frames.length - 1] = { kind: "spec", delimiter: frame.delimiter };
          return after + 1;
        }
        if (code[after] === "}") {
          this.frames.pop();
          return this.push("op", after, after + 1);
        }
        return this.unterminatedField(Math.min(after, code.length));
      }
      if (c === ":" && code[i + 1] !== "=") {
        this.frames[this.frames.length - 1] = { kind: "spec", delimiter: frame.delimiter };
        return i + 1;
      }
    }
    return this.codeToken(i, frame);
  }

  /** A format spec: literal text that may hold nested fields, up to the `}` closing its field. */
  private spec(frame: Extract<Frame, { kind: "spec" }>, from: number): number {
    const { code } = this;
    for (let i = from; i < code.length; i++) {
      if (code.startsWith(frame.delimiter, i)) return this.unterminatedField(i);
      if (code[i] === "}") {
        this.frames.pop();
        return this.push("op", i, i + 1);
      }
      if (code[i] === "{") {
        this.frames.push({ kind: "field", delimiter: frame.delimiter, depth: 0 });
        return this.push("op", i, i + 1);
      }
    }
    return code.length;
  }

  /** A field left open: close it anyway, with an empty `}`, and go on with what encloses it. */
  private unterminatedField(at: number): number {
    this.frames.pop();
    this.closeField(at);
    return at;
  }

  private closeField(at: number): void {
    this.tokens.push({ kind: "op", text: "}", from: at, to: at });
  }
}

// Words that only ever start a statement. A line inside brackets that begins with one means a bracket was left
// open (CPython stops there: "'(' was never closed"); ending the logical line keeps the rest of the script readable.
const STATEMENT_WORDS = new Set([
  "import",
  "def",
  "class",
  "return",
  "try",
  "except",
  "finally",
  "while",
  "elif",
  "with",
  "raise",
  "del",
  "pass",
  "break",
  "continue",
  "global",
  "nonlocal",
  "assert",
]);
const STATEMENT_START = /[ \t]*([A-Za-z]+)/y;
const FROM_IMPORT = /[ \t]*from[ \t]+[\w.]+[ \t]+import\b/y;

function startsStatement(code: string, lineStart: number): boolean {
  STATEMENT_START.lastIndex = lineStart;
  const word = STATEMENT_START.exec(code)?.[1];
  if (word === undefined) return false;
  if (word === "from") {
    FROM_IMPORT.lastIndex = lineStart;
    return FROM_IMPORT.test(code);
  }
  return STATEMENT_WORDS.has(word) && !/\w/.test(code[STATEMENT_START.lastIndex] ?? "");
}
