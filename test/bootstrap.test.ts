import { expect } from "chai";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { ajv } from "../src/events/validation.js";
import { exceptionReportSchema } from "../src/events/schemas.js";
import { inPool, runPython } from "./helpers/bootstrap.js";
import { removeTempDirs, tempDir } from "./helpers/server.js";

// Scripts that end in every way a script can: each must print and exit exactly as without the bootstrap.
const scripts: Record<string, string> = {
  chained_from: [
    "import json",
    "def load(s):",
    "    try:",
    "        return json.loads(s)",
    "    except ValueError as e:",
    "        raise RuntimeError('bad config') from e",
    "try:",
    "    {}['k']",
    "except KeyError:",
    "    load('{x')",
  ].join("\n"),
  exception_group: [
    "def f():",
    "    raise ExceptionGroup('many', [ValueError('a'), TypeError('b'), ExceptionGroup('inner', [KeyError('c')])])",
    "f()",
  ].join("\n"),
  syntax_error: "x = 1\ny = (2,\nprint(x)\n",
  syntax_error_in_import: "import broken_helper\n",
  exit_message: "import sys\nprint('partial output')\nsys.exit('usage: tiles.py IMAGE')\n",
  exit_code: "import sys\nsys.exit(3)\n",
  exit_zero: "print('done')\n",
  keyboard_interrupt: "def g():\n    raise KeyboardInterrupt\ng()\n",
  name_error_hint: "import math\nradius = 3\nprint(math.pi * raduis ** 2)\n",
  note_added: "e = ValueError('invalid kernel size')\ne.add_note('kernel size must be odd')\nraise e\n",
  recursion: "def f(n):\n    return f(n + 1)\nf(0)\n",
  own_excepthook:
    "import sys\nsys.excepthook = lambda t, v, tb: print('custom hook:', t.__name__, v, file=sys.stderr)\nraise ValueError('x')\n",
  argv_and_path:
    "import sys, os\nprint(sys.argv, os.path.basename(sys.path[0]), __name__, os.path.basename(__file__))\nraise SystemExit(sys.argv[1])\n",
};

describe("python bootstrap: the script fails exactly as without it, and its exception is reported", function () {
  const runs = new Map<string, { plain: Awaited<ReturnType<typeof runPython>>; boot: Awaited<ReturnType<typeof runPython>> }>();
  const validate = ajv.compile(exceptionReportSchema);
  let dir = "";

  before(async function () {
    this.timeout(240_000);
    dir = tempDir();
    writeFileSync(path.join(dir, "broken_helper.py"), "def f(:\n    pass\n");
    await inPool(Object.entries(scripts), 3, async ([name, code]) => {
      const file = `${name}.py`;
      writeFileSync(path.join(dir, file), code);
      const args = name === "argv_and_path" ? ["ARG1"] : [];
      const plain = await runPython(file, { cwd: dir, bootstrap: false, args });
      const boot = await runPython(file, { cwd: dir, bootstrap: true, args });
      runs.set(name, { plain, boot });
    });
  });
  after(removeTempDirs);

  for (const name of Object.keys(scripts)) {
    it(`${name}: same stdout, stderr and exit code`, () => {
      const { plain, boot } = runs.get(name)!;
      expect(boot.stderr).to.equal(plain.stderr);
      expect(boot.stdout).to.equal(plain.stdout);
      expect(boot.returnCode).to.equal(plain.returnCode);
      if (boot.report) expect(validate(boot.report), JSON.stringify(validate.errors)).to.equal(true);
    });
  }

  it("a missing script: the interpreter's own message and exit code 2", async () => {
    const [plain, boot] = await Promise.all([
      runPython("nope.py", { cwd: dir, bootstrap: false }),
      runPython("nope.py", { cwd: dir, bootstrap: true }),
    ]);
    expect(boot.returnCode).to.equal(2);
    expect(boot.stderr.replace(/^\S+:/, "")).to.equal(plain.stderr.replace(/^\S+:/, ""));
  });

  it("exits are not failures: no report for sys.exit or a clean end", () => {
    for (const name of ["exit_message", "exit_code", "exit_zero", "argv_and_path"])
      expect(runs.get(name)!.boot.report, name).to.equal(null);
    expect(runs.get("exit_code")!.boot.returnCode).to.equal(3);
    expect(runs.get("argv_and_path")!.boot.stdout).to.equal(
      "['argv_and_path.py', 'ARG1'] " + path.basename(dir) + " __main__ argv_and_path.py\n",
    );
  });

  it("KeyboardInterrupt ends the process by SIGINT, as CPython does", () => {
    const { boot } = runs.get("keyboard_interrupt")!;
    expect(boot.returnCode).to.equal(-2);
    expect(boot.report.exceptions[0]).to.include({ type: "KeyboardInterrupt", message: "" });
  });

  it("a chain: cause and context by index, the script's frames in_app and the standard library's not", () => {
    const [root, cause, context] = runs.get("chained_from")!.boot.report.exceptions;
    expect(root).to.include({ type: "RuntimeError", message: "bad config", cause: 1, context: 1, suppress_context: true });
    expect(cause).to.include({ type: "json.decoder.JSONDecodeError", module: "json.decoder", context: 2 });
    expect(context).to.include({ type: "KeyError", message: "'k'" });
    expect(root.frames.map((f: any) => [f.function, f.line, f.in_app])).to.deep.equal([
      ["<module>", 10, true],
      ["load", 6, true],
    ]);
    expect(root.frames[1]).to.include({ source: "raise RuntimeError('bad config') from e", column: 8 });
    expect(cause.frames.map((f: any) => f.in_app)).to.deep.equal([true, false, false, false]);
  });

  it("an ExceptionGroup: members by index, nested groups too", () => {
    const list = runs.get("exception_group")!.boot.report.exceptions;
    expect(list.map((e: any) => e.type)).to.deep.equal(["ExceptionGroup", "ValueError", "TypeError", "ExceptionGroup", "KeyError"]);
    expect(list[0].members).to.deep.equal([1, 2, 3]);
    expect(list[3].members).to.deep.equal([4]);
  });

  it("a SyntaxError: msg and place, and no frame of the bootstrap or runpy", () => {
    const [e] = runs.get("syntax_error")!.boot.report.exceptions;
    expect(e).to.include({ type: "SyntaxError", message: "'(' was never closed" });
    expect(e.frames).to.deep.equal([]);
    expect(e.syntax).to.include({ line: 2, column: 5, text: "y = (2," });
    const [imported] = runs.get("syntax_error_in_import")!.boot.report.exceptions;
    expect(imported.frames.map((f: any) => f.source)).to.deep.equal(["import broken_helper"]);
    expect(imported.syntax.file).to.match(/broken_helper\.py$/);
  });

  it("notes apart from the message; a long recursion capped at 200 frames with the rest counted", () => {
    expect(runs.get("note_added")!.boot.report.exceptions[0]).to.deep.include({
      message: "invalid kernel size",
      notes: ["kernel size must be odd"],
    });
    const [e] = runs.get("recursion")!.boot.report.exceptions;
    expect(e.frames).to.have.length(200);
    expect(e.frames_omitted).to.be.greaterThan(700);
    expect(e.frames[199]).to.include({ function: "f", source: "return f(n + 1)" });
  });

  it("a hook the script installed still prints the failure", () => {
    expect(runs.get("own_excepthook")!.boot.stderr).to.equal("custom hook: ValueError x\n");
    expect(runs.get("own_excepthook")!.boot.report.exceptions[0].type).to.equal("ValueError");
  });
});
