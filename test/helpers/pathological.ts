// Inputs that once crashed or stalled the analyzer (issue 11): each a valid attempt body under 1 MiB.
// Shared by the tests (every one must be stored and served) and the benchmark (time against size).

export interface PathologicalCase {
  name: string;
  /** The POST body at size factor `scale` (the body stays under the 1 MiB limit up to 8). */
  body(scale: number): Record<string, unknown>;
}

const traceback = (source: string, last: string) =>
  `Traceback (most recent call last):\n  File "/tmp/main.py", line 1, in <module>\n    ${source}\n${last}\n`;

export const PATHOLOGICAL: PathologicalCase[] = [
  // recursion whose depth followed the input (stack overflow, a dead worker, a log that no longer opened)
  { name: "`else:` repeated", body: (k) => ({ status: "failed", code: "else:".repeat(12_500 * k) }) },
  { name: "`if a:` repeated", body: (k) => ({ status: "failed", code: "if a:".repeat(10_000 * k) }) },
  { name: "parentheses nested", body: (k) => ({ status: "failed", code: "(".repeat(10_000 * k) + "x" + ")".repeat(10_000 * k) }) },
  {
    name: "a nested parenthesised target",
    body: (k) => ({ status: "failed", code: "(".repeat(10_000 * k) + "x" + ")".repeat(10_000 * k) + " = 1" }),
  },
  { name: "`lambda ` repeated", body: (k) => ({ status: "failed", code: "lambda ".repeat(10_000 * k) }) },
  { name: "lambdas nested with colons", body: (k) => ({ status: "failed", code: "f = " + "lambda a=1: ".repeat(5_000 * k) + "x" }) },
  { name: "f-string format specs nested", body: (k) => ({ status: "failed", code: 'f"' + "{a:".repeat(10_000 * k) + '"' }) },
  { name: "f-strings nested in fields", body: (k) => ({ status: "failed", code: 'f"{'.repeat(10_000 * k) }) },
  {
    name: "a chain of classes the error derives from",
    body: (k) => ({
      status: "failed",
      code: Array.from({ length: 2_500 * k }, (_, i) => `class E${i}(E${i + 1}): pass\n`).join(""),
      stderr: traceback("raise E0()", "E0"),
    }),
  },
  // super-linear regular expressions (seconds per request; the 900 KB box line never finished)
  { name: "an ExceptionGroup box line", body: (k) => ({ status: "failed", code: "x", stderr: "+" + "-".repeat(100_000 * k) + "x" }) },
  {
    name: "`Did you mean:` repeated",
    body: (k) => ({ status: "failed", code: "x", stderr: traceback("x", "NameError: " + ". Did you mean: x".repeat(5_000 * k)) }),
  },
  {
    name: "a faulthandler frame line",
    body: (k) => ({
      status: "failed",
      code: "x",
      stderr: 'Fatal Python error: Segmentation fault\n\n  File "' + '", line 1 in f '.repeat(6_000 * k) + "\n",
    }),
  },
  {
    name: "a frame line with `, line` repeated",
    body: (k) => ({
      status: "failed",
      code: "x",
      stderr: traceback("x", "ValueError: x").replace('"/tmp/main.py"', '"' + '", line 1, in f'.repeat(6_000 * k) + '"'),
    }),
  },
  {
    name: "escaped quotes in a message",
    body: (k) => ({ status: "failed", code: "x", error_type: "ValueError", error_message: "'" + "\\'".repeat(35_000 * k) }),
  },
  {
    name: "many quoted names in a message",
    body: (k) => ({ status: "failed", code: "x", error_type: "NameError", error_message: "name 'a' ".repeat(10_000 * k) }),
  },
  {
    name: "a shape that never closes",
    body: (k) => ({ status: "failed", code: "x", error_type: "ValueError", error_message: "(1," + " ".repeat(100_000 * k) }),
  },
  {
    name: "an attribute looked up on a long dotted chain",
    body: (k) => {
      const line = "x = " + "a.".repeat(20_000 * k) + "b";
      return {
        status: "failed",
        code: "import numpy\n" + line + "\n",
        stderr: traceback(line, "AttributeError: 'Foo' object has no attribute 'zz'"),
      };
    },
  },
  {
    name: "a very long stderr of frames",
    body: (k) => ({
      status: "failed",
      code: "f()",
      stderr: traceback("f()", "RecursionError: maximum recursion depth exceeded").replace(
        "  File",
        '  File "/tmp/main.py", line 1, in f\n    f()\n'.repeat(2_000 * k) + "  File",
      ),
    }),
  },
];
