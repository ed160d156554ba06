import { expect } from "chai";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
// The package's own export, as a user imports it (resolved through package.json `exports`).
import { ScriptlogApiError, ScriptlogClient, ScriptlogUnreachableError, type AttemptRequest } from "scriptlog";
import type { RunningServer } from "../src/cli/serve.js";
import { clientTypes } from "../scripts/generateClientTypes.js";
import { REPO_ROOT } from "./helpers/corpus.js";
import { BOOTSTRAP } from "./helpers/bootstrap.js";
import { get, removeTempDirs, startInProcess, tempDir } from "./helpers/server.js";

// A runner written against the Python client: the generate → run → fix loop, with the client's errors.
const pythonRunner = `
import json, sys
sys.path.insert(0, ${JSON.stringify(path.dirname(BOOTSTRAP))})
from scriptlog_client import ScriptlogClient, ScriptlogError

client = ScriptlogClient(sys.argv[1])
out = {"context": client.context("s-py")}
first = client.run("import os\\nos.makedir('out')\\n", session_id="s-py", user_prompt="make out/", ai_model="m1", timeout=20)
second = client.run("import os\\nos.makedirs('out', exist_ok=True)\\nopen('out/a.txt', 'w').write('a')\\nprint('ok')\\n", after=first.log_id, timeout=20, out_dir="out")
slow = client.run("import time\\ntime.sleep(20)\\n", session_id="s-slow", timeout=0.5)
out["runs"] = [
    {"log_id": r.log_id, "session_id": r.session_id, "status": r.status, "return_code": r.return_code, "timed_out": r.timed_out,
     "error_type": r.error_type, "exception": r.exception is not None, "stdout": r.stdout, "fixed": r.fixed,
     "output_files": client.log(r.log_id)["log"].get("output_files")}
    for r in (first, second, slow)
]
tb = 'Traceback (most recent call last):\\n  File "/tmp/m.py", line 1, in <module>\\n    x\\nNameError: name \\'x\\' is not defined\\n'
out["recorded"] = client.record_attempt(status="failed", log_id="py-manual", code="x", stderr=tb, return_code=1)
try:
    client.record_attempt(status="failed")
except ScriptlogError as err:
    out["error"] = {"status": err.status, "code": err.code}
print(json.dumps(out))
`;

function python(code: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn("python3", ["-c", code, ...args], { stdio: ["ignore", "pipe", "pipe"], cwd: tempDir() });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  return new Promise((resolve) => child.on("close", (c) => resolve({ code: c, stdout, stderr })));
}

describe("clients (real server)", function () {
  this.timeout(60_000);
  let server: RunningServer;
  before(async () => {
    server = await startInProcess(path.join(tempDir(), "events"));
  });
  after(async () => {
    await server.stop();
    removeTempDirs();
  });

  it("python: context, run (failure, fix, timeout) and record_attempt against the server, errors as ScriptlogError", async () => {
    const res = await python(pythonRunner, [server.url]);
    expect(res.code, res.stderr).to.equal(0);
    const out = JSON.parse(res.stdout);
    expect(out.context.text).to.be.a("string");
    expect(out.context.version, "no context published yet").to.equal(null);
    const [first, second, slow] = out.runs;
    expect(first).to.include({
      session_id: "s-py",
      status: "failed",
      return_code: 1,
      error_type: "AttributeError",
      exception: true,
      timed_out: false,
    });
    expect(second).to.include({ session_id: "s-py", status: "success", return_code: 0, stdout: "ok\n" });
    expect(second.fixed).to.deep.equal([first.log_id]);
    expect(second.output_files, "written in the caller's directory, listed under out_dir").to.deep.equal(["out/a.txt"]);
    expect(slow).to.include({ status: "failed", timed_out: true, return_code: -9 });
    expect(out.recorded).to.include({ log_id: "py-manual", error_type: "NameError" });
    expect(out.error).to.deep.equal({ status: 422, code: "validation_failed" });
    const entry = (await get(`${server.url}/api/logs/log/${first.log_id}`)).body.log;
    expect(entry).to.include({ user_prompt: "make out/", ai_model: "m1", failing_line: "os.makedir('out')" });
    expect(entry.exception.exceptions[0]).to.include({ type: "AttributeError" });
  });

  it("typescript: the package's typed client records, reads and reports errors by code", async () => {
    const client = new ScriptlogClient(server.url);
    const body: AttemptRequest = {
      status: "failed",
      log_id: "ts-1",
      code: "import numpy as np\nnp.arange(3).reshape(2, 2)\n",
      return_code: 1,
    };
    const first = await client.recordAttempt(body);
    expect(first).to.include({ log_id: "ts-1", status: "failed", replayed: false });
    expect((await client.recordAttempt(body)).replayed, "a repeat is idempotent").to.equal(true);
    const fix = await client.recordAttempt({
      status: "success",
      code: "print(1)\n",
      previous_attempt_id: "ts-1",
      execution_time_seconds: 0.1,
    });
    expect(fix.fixed).to.deep.equal(["ts-1"]);
    const failures = await client.failures({ limit: 5, unfixed_only: false });
    expect(failures.count).to.be.greaterThan(0);
    expect((await client.context()).text).to.be.a("string");
    const err = await client.recordAttempt({ ...body, code: "changed" }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ScriptlogApiError);
    expect(err).to.include({ status: 409, code: "conflicting_log_id" });
    const down = await new ScriptlogClient("http://127.0.0.1:1").health().catch((e: unknown) => e);
    expect(down).to.be.instanceOf(ScriptlogUnreachableError);
  });

  it("typescript: its types are generated from the server's OpenAPI document and cannot drift", async () => {
    const generated = readFileSync(path.join(REPO_ROOT, "src/client/api.generated.ts"), "utf8");
    expect(generated, "regenerating from src/api/openapi.ts gives the built file").to.equal(await clientTypes());
    expect(generated).to.include("exception?:");
    // These lines compile only while the types follow the schemas (tsc checks them when the suite is built).
    const typed = (): AttemptRequest[] => [
      { status: "success", code: "x", output_files: ["a.png"] },
      // @ts-expect-error: status is "failed" or "success"
      { status: "crashed", code: "x" },
      // @ts-expect-error: a success has no stderr (unknown fields are refused)
      { status: "success", code: "x", stderr: "boom" },
      // @ts-expect-error: an exception report needs its list of exceptions
      { status: "failed", code: "x", exception: { python: "3.11" } },
    ];
    expect(typed()).to.have.length(4);
  });
});
