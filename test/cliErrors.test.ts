// A bad argument or setting, or a directory the system refuses, is a one-line message and exit 2 — never a
// stack trace (issue 11, defect 13).
import { expect } from "chai";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { removeTempDirs, runCli, tempDir } from "./helpers/server.js";

describe("command-line refusals", () => {
  after(removeTempDirs);

  const refusedInOneLine = (run: { code: number | null; stderr: string }, message: RegExp) => {
    expect(run.code, run.stderr).to.equal(2);
    expect(run.stderr.trim().split("\n"), run.stderr).to.have.length(1);
    expect(run.stderr).to.match(message);
    expect(run.stderr).not.to.match(/\n\s+at /);
  };

  it("serve --port abc → exit 2", async () => {
    const dir = tempDir();
    refusedInOneLine(
      await runCli(["serve", "--port", "abc", "--events-dir", path.join(dir, "events")]),
      /^scriptlog: --port must be a non-negative integer, not 'abc'$/m,
    );
  });

  it("serve --port 70000 → exit 2", async () => {
    refusedInOneLine(
      await runCli(["serve", "--port", "70000", "--events-dir", path.join(tempDir(), "events")]),
      /--port must be a port from 0 to 65535/,
    );
  });

  it("INFER_SIMILARITY=2 rebuild → exit 2", async () => {
    const dir = tempDir();
    refusedInOneLine(
      await runCli(["rebuild", "--events-dir", path.join(dir, "events"), "--out", path.join(dir, "out")], { INFER_SIMILARITY: "2" }),
      /^scriptlog: INFER_SIMILARITY must be a number from 0 to 1, not '2'$/m,
    );
  });

  it("PORT=1e3 → exit 2 (numbers are plain decimals)", async () => {
    refusedInOneLine(
      await runCli(["serve", "--events-dir", path.join(tempDir(), "events")], { PORT: "1e3" }),
      /--port must be a non-negative integer, not '1e3'/,
    );
  });

  it("an events directory that cannot be made (its parent is a file) → exit 2, naming it", async () => {
    const file = path.join(tempDir(), "not-a-dir");
    writeFileSync(file, "");
    refusedInOneLine(
      await runCli(["serve", "--port", "0", "--events-dir", path.join(file, "events")]),
      /^scriptlog: cannot \w+ .*not-a-dir.*\(ENOTDIR\)$/m,
    );
  });
});
