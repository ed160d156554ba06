import { expect } from "chai";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { analyseFailure, type FailureAnalysis } from "../src/analysis/failure.js";
import { innermostScriptFrame } from "../src/analysis/patterns.js";
import { readCorpus, type CorpusCase } from "./helpers/corpus.js";
import { inPool, runPython, type PythonRun } from "./helpers/bootstrap.js";
import { removeTempDirs, tempDir } from "./helpers/server.js";

// Every script of the shared CPython corpus, run again under the bootstrap: what its report says must agree
// with what parsing the very same stderr says. Timeouts were stopped by a runner from outside, so they are
// not re-run. Where this machine's python3 lacks a package a script imports (PIL, cv2, pandas), the script
// fails with ModuleNotFoundError instead of its corpus exception: the two sources must still agree on that.
// `…__wrapped` cases are the same scripts as their plain twins, so each script runs once.
const cases = readCorpus().filter((c) => !c.case.startsWith("timeout_") && !c.case.endsWith("__wrapped"));

/** Where the two sources disagree by design, and why (checked, so the list cannot go stale). */
const KNOWN_DIFFERENCES: Record<string, { field: keyof Compared; why: string }[]> = {
  note_added: [{ field: "message", why: "stderr cannot tell add_note() notes from message lines; the report keeps them apart" }],
};

interface Compared {
  error_type: string | null;
  message: string | null;
  first_line: string | null;
  failing_line: string | null;
  innermost: string | null;
  chain: string[];
  sub_exceptions: string[];
}

function compared(c: CorpusCase, a: FailureAnalysis): Compared {
  const frame = a.frames[a.frames.length - 1];
  return {
    error_type: a.error_type,
    message: a.error_message,
    first_line: a.error_message?.split("\n")[0] ?? null,
    failing_line: innermostScriptFrame(a.frames, c.code)?.source ?? null,
    innermost: frame ? `${path.basename(frame.file)}:${frame.line} ${frame.function}` : null,
    chain: a.chain.map((e) => e.error_type),
    sub_exceptions: a.sub_exceptions.map((e) => e.error_type),
  };
}

/** The script failed here as it did when the corpus was made (not for want of a package). */
function reproduces(c: CorpusCase, run: PythonRun): boolean {
  const type = run.report?.exceptions[0]?.type ?? null;
  return type === c.truth.type || !(type === "ModuleNotFoundError" && c.truth.type !== "ModuleNotFoundError");
}

describe("structured exceptions agree with parsed stderr on the shared corpus (each script re-run under the bootstrap)", function () {
  const runs = new Map<string, PythonRun>();

  before(async function () {
    this.timeout(300_000);
    const root = tempDir();
    // A few at a time: some scripts import numpy, pandas or OpenCV.
    await inPool(cases, 3, async (c) => {
      const dir = path.join(root, c.case);
      mkdirSync(dir);
      writeFileSync(path.join(dir, "main.py"), c.code);
      runs.set(c.case, await runPython("main.py", { cwd: dir, bootstrap: true }));
    });
  });
  after(removeTempDirs);

  it("re-runs every case but the timeouts, most of them reproducing the corpus exception on this machine", () => {
    expect(cases.length).to.be.greaterThan(40);
    expect(runs.size).to.equal(cases.length);
    const reproduced = cases.filter((c) => reproduces(c, runs.get(c.case)!));
    expect(reproduced.length).to.be.greaterThan(35);
  });

  for (const c of cases) {
    it(`${c.case}: ${c.truth.type ?? "no exception"}`, () => {
      const run = runs.get(c.case)!;
      expect(run.report !== null, "a report exactly when an exception escaped").to.equal(c.truth.type !== null);
      const input = { code: c.code, stderr: run.stderr, return_code: run.returnCode };
      const parsed = compared(c, analyseFailure(input));
      const reported = compared(c, analyseFailure({ ...input, exception: run.report }));
      if (reproduces(c, run)) expect(reported.error_type, "error_type against the corpus truth").to.equal(c.truth.type);
      const known = KNOWN_DIFFERENCES[c.case] ?? [];
      for (const field of Object.keys(parsed) as (keyof Compared)[]) {
        if (known.some((k) => k.field === field)) expect(reported[field], `${field} differs by design`).to.not.deep.equal(parsed[field]);
        else expect(reported[field], field).to.deep.equal(parsed[field]);
      }
    });
  }
});
