// Maps the exception that ended a script (or, without one, how it ended) to an error category.
import { STDLIB_EXCEPTIONS, STDLIB_MODULES } from "./stdlibExceptions.generated.js";

export const ERROR_CATEGORIES = [
  "import_error",
  "syntax_error",
  "name_error",
  "attribute_error",
  "type_error",
  "value_error",
  "key_error",
  "index_error",
  "file_error",
  "arithmetic_error",
  "encoding_error",
  "recursion_error",
  "memory_error",
  "assertion_error",
  "timeout",
  "crash",
  "os_error",
  "runtime_error",
  "library_error",
  "exit_error",
  "unknown",
] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

// Checked in this order against the builtin bases of an exception, nearest first wins only within
// one rule: UnicodeError before ValueError, FileNotFoundError before OSError, TimeoutError before OSError.
const CATEGORY_BY_BASE: ReadonlyArray<[ErrorCategory, readonly string[]]> = [
  ["import_error", ["ImportError"]],
  ["syntax_error", ["SyntaxError"]],
  ["name_error", ["NameError"]],
  ["attribute_error", ["AttributeError"]],
  ["type_error", ["TypeError"]],
  ["encoding_error", ["UnicodeError"]],
  ["value_error", ["ValueError"]],
  ["key_error", ["KeyError"]],
  ["index_error", ["IndexError"]],
  ["file_error", ["FileNotFoundError", "FileExistsError", "IsADirectoryError", "NotADirectoryError", "PermissionError"]],
  ["arithmetic_error", ["ArithmeticError"]],
  ["recursion_error", ["RecursionError"]],
  ["memory_error", ["MemoryError"]],
  ["assertion_error", ["AssertionError"]],
  ["timeout", ["TimeoutError"]],
  ["os_error", ["OSError"]],
];

// Signals that mean the interpreter itself died (SIGILL, SIGABRT, SIGBUS, SIGFPE, SIGSEGV).
const CRASH_SIGNALS = new Map([
  [4, "SIGILL"],
  [6, "SIGABRT"],
  [7, "SIGBUS"],
  [8, "SIGFPE"],
  [11, "SIGSEGV"],
]);
const TIMEOUT_RETURN_CODES = new Set([124, 137, -9]);

export interface CategoryInput {
  error_type: string | null;
  return_code: number | null;
  timed_out: boolean;
  fatal_error: string | null;
  /** The script, for exception classes it defines itself. */
  code: string;
}

export function categorise(input: CategoryInput): ErrorCategory {
  if (input.timed_out) return "timeout";
  if (input.error_type) return categoryOfType(input.error_type, input.code);
  const rc = input.return_code;
  if (rc !== null && TIMEOUT_RETURN_CODES.has(rc)) return "timeout";
  if (crashSignal(rc) || input.fatal_error) return "crash";
  if (rc !== null && rc !== 0) return "exit_error";
  return "unknown";
}

/** The signal name when a return code says the process was killed by a crash signal (-N or 128+N). */
export function crashSignal(rc: number | null): string | null {
  if (rc === null) return null;
  return CRASH_SIGNALS.get(rc < 0 ? -rc : rc - 128) ?? null;
}

export function categoryOfType(errorType: string, code: string): ErrorCategory {
  if (errorType.includes(".")) {
    const top = errorType.slice(0, errorType.indexOf("."));
    if (!STDLIB_MODULES.has(top)) return "library_error";
    return categoryOfBases(stdlibBases(errorType));
  }
  const builtin = STDLIB_EXCEPTIONS[errorType];
  if (builtin) return categoryOfBases(builtin);
  return categoryOfBases(basesDefinedInCode(errorType, code));
}

function categoryOfBases(bases: readonly string[]): ErrorCategory {
  for (const [category, names] of CATEGORY_BY_BASE) {
    if (names.some((n) => bases.includes(n))) return category;
  }
  return "runtime_error";
}

/** Bases of a dotted standard-library exception; an alias (`json.JSONDecodeError`) is found by its module and name. */
function stdlibBases(dotted: string): readonly string[] {
  const exact = STDLIB_EXCEPTIONS[dotted];
  if (exact) return exact;
  const top = dotted.slice(0, dotted.indexOf("."));
  const name = dotted.slice(dotted.lastIndexOf(".") + 1);
  const alias = Object.keys(STDLIB_EXCEPTIONS).find((k) => k.startsWith(top + ".") && k.endsWith("." + name));
  return alias ? STDLIB_EXCEPTIONS[alias] : [];
}

const CLASS_HEADER = /^[ \t]*class[ \t]+([^\s(:]+)[ \t]*\(([^)\n\r\u2028\u2029]*)\)[ \t]*:/gm;

/** Each class the script defines (the first definition of a name) with its bases as written. */
function classesInCode(code: string): Map<string, string[]> {
  const classes = new Map<string, string[]>();
  for (const [, name, bases] of code.matchAll(CLASS_HEADER)) if (!classes.has(name)) classes.set(name, bases.split(","));
  return classes;
}

/**
 * Builtin bases of `class Name(Base, …)` as written in the script, following its own classes depth first, the
 * bases in the order written: the first that leads to a builtin wins. The chain is walked with an explicit
 * stack, so ten thousand classes each deriving from the next cost no call-stack depth.
 */
function basesDefinedInCode(name: string, code: string): readonly string[] {
  const classes = classesInCode(code);
  const seen = new Set([name]);
  const stack: Array<{ bases: string[]; next: number }> = [];
  const start = classes.get(name);
  if (start) stack.push({ bases: start, next: 0 });
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    if (frame.next >= frame.bases.length) {
      stack.pop();
      continue;
    }
    const base = frame.bases[frame.next++].trim();
    if (!base || base.includes("=")) continue; // metaclass=…
    if (base.includes(".")) {
      if (!STDLIB_MODULES.has(base.slice(0, base.indexOf(".")))) continue;
      // a standard-library base decides this class: its bases, or nothing, and the search goes on above it
      const bases = stdlibBases(base);
      if (bases.length) return bases;
      stack.pop();
      continue;
    }
    const builtin = STDLIB_EXCEPTIONS[base];
    if (builtin !== undefined) {
      if (builtin.length) return builtin;
      continue;
    }
    const own = classes.get(base);
    if (!seen.has(base) && own) stack.push({ bases: own, next: 0 });
    seen.add(base);
  }
  return [];
}
