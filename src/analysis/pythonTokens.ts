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

/** Tokens of `code` (with \n line ends: see normaliseNewlines). */
export function tokenizePython(code: string): PyToken[] {
  const tokens: PyToken[] = [];
  new Tokenizer(code, tokens).run(0, code.length, false);
  return tokens;
}

class Tokenizer {
  /** Open brackets: inside them a line break does not end the logical line. */
  private depth = 0;

  constructor(
    private readonly code: string,
    private readonly tokens: PyToken[],
  ) {}

  /** Tokenizes code[from, to); inside an f-string field (`nested`) no line ends a statement. */
  run(from: number, to: number, nested: boolean): void {
    const { code } = this;
    let i = from;
    while (i < to) {
      const c = code.charCodeAt(i);
      if (c === 32 || c === 9 || c === 12) {
        i++;
      } else if (c === 10) {
        if (!nested && (this.depth === 0 || startsStatement(code, i + 1))) this.endLine(i);
        i++;
      } else if (c === 35 /* # */) {
        const end = code.indexOf("\n", i);
        i = end === -1 || end > to ? to : end;
      } else if (c === 92 /* \ */) {
        i += code.charCodeAt(i + 1) === 10 ? 2 : 1;
      } else if (c === 34 || c === 39) {
        i = this.string(i, i, to);
      } else if (isNameStart(c) || c > 127) {
        i = this.nameOrString(i, to);
      } else if (isDigit(c) || (c === 46 && isDigit(code.charCodeAt(i + 1)))) {
        NUMBER.lastIndex = i;
        NUMBER.test(code);
        i = this.push("number", i, Math.min(NUMBER.lastIndex, to));
      } else {
        OPERATORS.lastIndex = i;
        if (!OPERATORS.test(code)) {
          i++; // not Python ($, ?, a backtick): skip it
          continue;
        }
        const end = Math.min(OPERATORS.lastIndex, to);
        const op = code.slice(i, end);
        if (OPENING.includes(op)) this.depth++;
        else if (CLOSING.includes(op) && this.depth > 0) this.depth--;
        i = this.push("op", i, end);
      }
    }
    if (!nested) this.endLine(to);
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

  private nameOrString(start: number, limit: number): number {
    const { code } = this;
    let end = start;
    if (code.charCodeAt(start) <= 127) {
      while (end < limit && isNamePart(code.charCodeAt(end))) end++;
    }
    if (end < limit && code.charCodeAt(end) > 127) {
      NAME.lastIndex = start;
      if (!NAME.test(code)) return start + 1; // a character no identifier may hold
      end = Math.min(NAME.lastIndex, limit);
    }
    const next = code.charCodeAt(end);
    if ((next === 34 || next === 39) && STRING_PREFIX.test(code.slice(start, end))) return this.string(start, end, limit);
    return this.push("name", start, end);
  }

  /** A string literal whose prefix starts at `start` and quote at `quoteAt`; returns where it ends. */
  private string(start: number, quoteAt: number, limit: number): number {
    const { code } = this;
    const quote = code[quoteAt];
    const triple = code.startsWith(quote.repeat(3), quoteAt);
    const delimiter = triple ? quote.repeat(3) : quote;
    const formatted = /[fF]/.test(code.slice(start, quoteAt));
    const bodyStart = quoteAt + delimiter.length;
    if (formatted) this.push("fstring_start", start, bodyStart);
    let i = bodyStart;
    while (i < limit) {
      const c = code.charCodeAt(i);
      if (c === 92 /* \ */) {
        i += 2;
      } else if (c === 10 && !triple) {
        break; // unterminated: the line ends it
      } else if (code.startsWith(delimiter, i)) {
        i += delimiter.length;
        break;
      } else if (formatted && c === 123 /* { */) {
        i = code.charCodeAt(i + 1) === 123 ? i + 2 : this.replacementField(i, limit, delimiter);
      } else {
        i++;
      }
    }
    i = Math.min(i, limit);
    if (formatted) this.push("fstring_end", i, i);
    else this.push("string", start, i);
    return i;
  }

  /**
   * An f-string's `{expression!conversion:format spec}` starting at `open`; returns the index after its `}`.
   * The expression is tokenized; so are fields nested in the format spec.
   */
  private replacementField(open: number, limit: number, delimiter: string): number {
    const { code } = this;
    const end = fieldExpressionEnd(code, open + 1, limit, delimiter);
    this.push("op", open, open + 1);
    this.run(open + 1, end, true);
    let i = end;
    if (code[i] === "!") i += 2;
    if (code[i] === ":") {
      for (i++; i < limit && code[i] !== "}" && !code.startsWith(delimiter, i);) {
        i = code[i] === "{" ? this.replacementField(i, limit, delimiter) : i + 1;
      }
    }
    if (code[i] === "}") return this.push("op", i, i + 1);
    this.tokens.push({ kind: "op", text: "}", from: i, to: i }); // unterminated: close the field anyway
    return i;
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

/** Where the expression of a replacement field ends: its `}`, `!` conversion or `:` format spec at depth 0. */
function fieldExpressionEnd(code: string, from: number, limit: number, delimiter: string): number {
  let depth = 0;
  let i = from;
  while (i < limit && !code.startsWith(delimiter, i)) {
    const ch = code[i];
    if (ch === "'" || ch === '"') {
      // a string inside the expression (Python 3.12 even allows the enclosing quote)
      const quote = code.startsWith(ch.repeat(3), i) ? ch.repeat(3) : ch;
      const close = code.indexOf(quote, i + quote.length);
      i = close === -1 ? limit : close + quote.length;
      continue;
    }
    if (OPENING.includes(ch)) depth++;
    else if (CLOSING.includes(ch)) {
      if (depth === 0) return i;
      depth--;
    } else if (depth === 0 && ((ch === "!" && code[i + 1] !== "=") || (ch === ":" && code[i + 1] !== "="))) return i;
    i++;
  }
  return i;
}
