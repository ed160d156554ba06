// Parser cases made here and now by a real CPython, for shapes the shared corpus does not cover.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { analyseFailure } from "../src/analysis/failure.js";

interface Run {
  stderr: string;
  return_code: number;
}

function runPython(code: string, { wrapper, env }: { wrapper?: string; env?: Record<string, string> } = {}): Run {
  const dir = mkdtempSync(path.join(tmpdir(), "scriptlog-py-"));
  try {
    const script = path.join(dir, "main.py");
    writeFileSync(script, code);
    const args = wrapper ? [path.join(dir, "runner.py"), script] : [script];
    if (wrapper) writeFileSync(path.join(dir, "runner.py"), wrapper);
    const p = spawnSync("python3", args, {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", ...env },
      timeout: 20_000,
    });
    const rc = p.status ?? -require_signal(p.signal);
    return { stderr: p.stderr, return_code: rc };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SIGNALS: Record<string, number> = { SIGSEGV: 11, SIGABRT: 6, SIGKILL: 9, SIGINT: 2, SIGFPE: 8, SIGBUS: 7, SIGILL: 4 };
function require_signal(signal: NodeJS.Signals | null): number {
  return signal ? (SIGNALS[signal] ?? 1) : 1;
}

// A runner that prints a wrapper around the traceback in colour, with CRLF line ends.
const COLOUR_CRLF_RUNNER = `import sys, traceback
src = open(sys.argv[1]).read()
try:
    exec(compile(src, sys.argv[1], "exec"), {"__name__": "__main__"})
except BaseException as e:
    text = "User code error: %s\\n[DEBUG] Full traceback:\\n%s" % (e, traceback.format_exc())
    sys.stderr.write("\\x1b[31m" + text.replace("\\n", "\\r\\n") + "\\x1b[0m")
    sys.exit(2)
`;

interface Case {
  name: string;
  code: string;
  type: string | null;
  category: string;
  message?: string;
  wrapper?: string;
  env?: Record<string, string>;
  check?: (got: ReturnType<typeof analyseFailure>) => void;
}

const cases: Case[] = [
  {
    name: "custom exception subclassing a builtin, categorised by its base in the code",
    code: "class TileError(ValueError):\n    pass\nraise TileError('tile 7 is empty')\n",
    type: "TileError",
    category: "value_error",
    message: "tile 7 is empty",
  },
  {
    name: "custom exception two levels deep",
    code: "class Base(LookupError):\n    pass\nclass Missing(Base):\n    pass\nraise Missing('x')\n",
    type: "Missing",
    category: "runtime_error",
  },
  {
    name: "custom exception subclassing a stdlib dotted class",
    code: "import json\nclass BadConfig(json.JSONDecodeError):\n    pass\nraise BadConfig('bad', '{}', 0)\n",
    type: "BadConfig",
    category: "value_error",
  },
  {
    name: "stdlib dotted type categorised by its builtin base",
    code: "import zipfile, io\nzipfile.ZipFile(io.BytesIO(b'not a zip'))\n",
    type: "zipfile.BadZipFile",
    category: "runtime_error",
  },
  {
    name: "urllib error is an OSError",
    code: "import urllib.error\nraise urllib.error.URLError('no route')\n",
    type: "urllib.error.URLError",
    category: "os_error",
  },
  {
    name: "KeyboardInterrupt without a timeout is a runtime error",
    code: "raise KeyboardInterrupt\n",
    type: "KeyboardInterrupt",
    category: "runtime_error",
  },
  {
    name: "a segfault is a crash, with the faulthandler's line as message",
    code: "import ctypes\nctypes.string_at(0)\n",
    type: null,
    category: "crash",
    env: { PYTHONFAULTHANDLER: "1" },
    check: (got) => expect(got.error_message).to.match(/^Fatal Python error: Segmentation fault/),
  },
  { name: "os.abort() is a crash", code: "import os\nos.abort()\n", type: null, category: "crash" },
  {
    name: "nested exception groups report the outer group",
    code: "raise ExceptionGroup('outer', [ValueError('a'), ExceptionGroup('inner', [KeyError('b')])])\n",
    type: "ExceptionGroup",
    category: "runtime_error",
    message: "outer (2 sub-exceptions)",
    check: (got) => expect(got.sub_exceptions.map((e) => e.error_type)).to.deep.equal(["ValueError", "ExceptionGroup"]),
  },
  {
    name: "a chained group: the group raised last wins",
    code: "try:\n    raise ExceptionGroup('first', [ValueError('a')])\nexcept* ValueError:\n    raise TypeError('second')\n",
    type: "TypeError",
    category: "type_error",
    message: "second",
  },
  {
    name: "three-deep chain keeps every cause in order",
    code: "try:\n    try:\n        {}['k']\n    except KeyError as e:\n        raise ValueError('v') from e\nexcept ValueError:\n    raise OSError('o')\n",
    type: "OSError",
    category: "os_error",
    message: "o",
    check: (got) => expect(got.chain.map((e) => e.error_type)).to.deep.equal(["KeyError", "ValueError"]),
  },
  {
    name: "a handled, logged traceback before a different fatal one",
    code: "import logging\ntry:\n    1/0\nexcept ZeroDivisionError:\n    logging.exception('handled')\nprint('go on')\nraise IndexError('the real one')\n",
    type: "IndexError",
    category: "index_error",
    message: "the real one",
  },
  {
    name: "colour codes and CRLF from a wrapping runner",
    code: "import math\nradius = 2\nprint(raduis)\n",
    wrapper: COLOUR_CRLF_RUNNER,
    type: "NameError",
    category: "name_error",
    message: "name 'raduis' is not defined",
    check: (got) => expect(got.frames.map((f) => f.file).pop()).to.match(/main\.py$/),
  },
  {
    name: "a Did-you-mean hint is split off the message",
    code: "import os\nos.makedir('x')\n",
    type: "AttributeError",
    category: "attribute_error",
    message: "module 'os' has no attribute 'makedir'",
    check: (got) => expect(got.suggestion).to.equal("'makedirs'"),
  },
  {
    name: "a SyntaxError inside the wrapping runner",
    code: "def f(:\n    pass\n",
    wrapper: COLOUR_CRLF_RUNNER,
    type: "SyntaxError",
    category: "syntax_error",
    message: "invalid syntax",
  },
  {
    name: "an f-string syntax error without a traceback header",
    code: "x = 1\nprint(f'{x!}')\n",
    type: "SyntaxError",
    category: "syntax_error",
  },
  {
    name: "a multi-line message whose continuation looks like an exception line",
    code: "raise RuntimeError('failed:\\nValueError: not really')\n",
    type: "RuntimeError",
    category: "runtime_error",
    message: "failed:\nValueError: not really",
  },
  { name: "MemoryError", code: "raise MemoryError()\n", type: "MemoryError", category: "memory_error" },
  { name: "a TimeoutError raised by the script", code: "raise TimeoutError('slow disk')\n", type: "TimeoutError", category: "timeout" },
  {
    name: "sys.exit with a usage message",
    code: "import sys\nsys.exit('usage: main.py IMAGE')\n",
    type: null,
    category: "exit_error",
    check: (got) => expect(got.error_message).to.equal("usage: main.py IMAGE"),
  },
  {
    name: "UnicodeEncodeError is an encoding error",
    code: "'é'.encode('ascii')\n",
    type: "UnicodeEncodeError",
    category: "encoding_error",
  },
  { name: "NotADirectoryError is a file error", code: "open('/etc/passwd/x')\n", type: "NotADirectoryError", category: "file_error" },
];

describe("traceback parser on output made by this machine's python3", function () {
  this.timeout(60_000);
  for (const c of cases) {
    it(c.name, () => {
      const run = runPython(c.code, c);
      expect(run.return_code, run.stderr).to.not.equal(0);
      const got = analyseFailure({ code: c.code, stderr: run.stderr, return_code: run.return_code });
      expect(got.error_type, run.stderr).to.equal(c.type);
      expect(got.error_category, run.stderr).to.equal(c.category);
      if (c.message !== undefined) expect(got.error_message, run.stderr).to.equal(c.message);
      c.check?.(got);
    });
  }

  it("ignores a traceback that was handled when the script then exits quietly", () => {
    const code = "import traceback, sys\ntry:\n    1/0\nexcept Exception:\n    traceback.print_exc()\nsys.exit(4)\n";
    const run = runPython(code);
    const got = analyseFailure({ code, stderr: run.stderr, return_code: run.return_code });
    // The printed traceback is all there is to go on; it is reported, and the return code is kept.
    expect(got.error_type).to.equal("ZeroDivisionError");
    expect(run.return_code).to.equal(4);
  });

  it("prefers the type and message a client sent", () => {
    const got = analyseFailure({ code: "x", stderr: "ValueError: parsed", error_type: "KeyError", error_message: "sent" });
    expect(got).to.include({ error_type: "KeyError", error_message: "sent", error_category: "key_error" });
  });

  it("categorises by return code when there is no traceback", () => {
    const cat = (return_code: number | null, timed_out = false) =>
      analyseFailure({ code: "", stderr: "", return_code, timed_out }).error_category;
    expect([cat(124), cat(137), cat(-9)]).to.deep.equal(["timeout", "timeout", "timeout"]);
    expect([cat(-11), cat(139), cat(-6), cat(134), cat(-7), cat(-4), cat(-8)]).to.deep.equal(Array(7).fill("crash"));
    expect([cat(1), cat(2), cat(-15)]).to.deep.equal(["exit_error", "exit_error", "exit_error"]);
    expect([cat(null), cat(0)]).to.deep.equal(["unknown", "unknown"]);
    expect(cat(1, true)).to.equal("timeout");
  });
});
