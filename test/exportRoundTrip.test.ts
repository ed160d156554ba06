// A user's backup restores (issue 11, defect 14): what `export --format jsonl` writes, `import --jsonl` takes
// back into an empty log, and the restored log gives the same read models (here: an identical export).
import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { post, removeTempDirs, runCli, startInProcess, tempDir } from "./helpers/server.js";

describe("export --format jsonl → import --jsonl", () => {
  after(removeTempDirs);

  it("restores into an empty log with the same entries, sessions, fixes and inferred links", async function () {
    this.timeout(60_000);
    const dir = tempDir();
    const events = path.join(dir, "events");
    const server = await startInProcess(events);
    const url = `${server.url}/api/logs/attempts`;
    const traceback =
      "Traceback (most recent call last):\n  File \"/tmp/main.py\", line 2, in <module>\n    os.makedir(\"out\")\nAttributeError: module 'os' has no attribute 'makedir'\n";
    const bodies = [
      // a failure whose session the service chose, fixed by a linked success
      {
        status: "failed",
        log_id: "f1",
        code: 'import os\nos.makedir("out")\n',
        stderr: traceback,
        return_code: 1,
        tags: ["mine", "lib:os"],
        timestamp: "2026-11-20T10:00:00Z",
      },
      {
        status: "success",
        log_id: "s1",
        previous_attempt_id: "f1",
        code: 'import os\nos.makedirs("out", exist_ok=True)\n',
        output_files: ["out/a.png"],
        execution_time_seconds: 0.4,
        timestamp: "2026-11-20T10:01:00Z",
      },
      // unlinked attempts that session inference joins by their prompt and similar code
      {
        status: "failed",
        log_id: "f2",
        code: "import numpy as np\nx = np.zeros(3)\nprint(x.shape)\nnp.foo()\n",
        error_type: "AttributeError",
        error_message: "module 'numpy' has no attribute 'foo'",
        user_prompt: "plot it",
        ai_model: "m1",
        timestamp: "2026-11-21T09:00:00Z",
      },
      {
        status: "success",
        log_id: "s2",
        code: "import numpy as np\nx = np.zeros(3)\nprint(x.shape)\n",
        user_prompt: "plot it",
        ai_model: "m1",
        stdout: "(3,)\n",
        timestamp: "2026-11-21T09:02:00Z",
      },
      // a client-chosen session
      {
        status: "failed",
        log_id: "f3",
        session_id: "mine",
        code: "x",
        timed_out: true,
        image_filename: "a.png",
        timestamp: "2026-11-22T08:00:00Z",
      },
    ];
    for (const body of bodies) expect((await post(url, body)).status, JSON.stringify(body)).to.equal(201);
    await server.stop();

    const first = path.join(dir, "first.jsonl");
    const exported = await runCli(["export", "--events-dir", events, "--format", "jsonl", "--out", first]);
    expect(exported.code, exported.stderr).to.equal(0);
    const restoredEvents = path.join(dir, "restored", "events");
    const imported = await runCli(["import", "--events-dir", restoredEvents, "--jsonl", first, "--json"]);
    expect(imported.code, imported.stdout + imported.stderr).to.equal(0);
    expect(JSON.parse(imported.stdout)).to.include({ attempts: bodies.length, fixes: 1 });
    const second = path.join(dir, "second.jsonl");
    expect((await runCli(["export", "--events-dir", restoredEvents, "--format", "jsonl", "--out", second])).code).to.equal(0);

    const entries = (file: string) =>
      readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
    const before = entries(first);
    expect(before.map((e) => e.log_id)).to.deep.equal(["f1", "s1", "f2", "s2", "f3"]);
    expect(before.find((e) => e.log_id === "f1")).to.include({ fixed_by: "s1", session_assigned: true });
    expect(before.find((e) => e.log_id === "s2").inferred).to.include({ previous_attempt_id: "f2" });
    expect(entries(second)).to.deep.equal(before);

    // and a second import of the same backup appends nothing
    const again = await runCli(["import", "--events-dir", restoredEvents, "--jsonl", first, "--json"]);
    expect(JSON.parse(again.stdout)).to.include({ attempts: 0, already_present: bodies.length });
  });
});
