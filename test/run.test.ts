import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import type { RunningServer } from "../src/cli/serve.js";
import { pythonScriptIndex } from "../src/cli/runCapture.js";
import { get, removeTempDirs, runCli, startInProcess, tempDir } from "./helpers/server.js";

const failing = [
  "import json",
  "print('loading config')",
  "def load(s):",
  "    try:",
  "        return json.loads(s)",
  "    except ValueError as e:",
  "        raise RuntimeError('bad config') from e",
  "load('{x')",
  "",
].join("\n");
const fixed =
  "import json, os\nos.makedirs('out/tiles', exist_ok=True)\nopen('out/tiles/a.txt', 'w').write(json.dumps({}))\nprint('done')\n";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("scriptlog run", function () {
  this.timeout(60_000);
  let server: RunningServer;
  let work: string;
  let env: Record<string, string>;

  before(async () => {
    const root = tempDir();
    server = await startInProcess(path.join(root, "events"));
    work = path.join(root, "work");
    mkdirSync(work);
    env = { SCRIPTLOG_URL: server.url, SCRIPTLOG_SPOOL: path.join(root, "spool.jsonl") };
  });
  after(async () => {
    await server.stop();
    removeTempDirs();
  });

  const run = (args: string[], extraEnv: Record<string, string> = {}) => runCli(["run", ...args], { ...env, ...extraEnv }, work);

  it("given a Python failure: passes its output through, records it with the exception from the bootstrap, exits with its code", async () => {
    writeFileSync(path.join(work, "main.py"), failing);
    const res = await run(["--log-id", "try-1", "--prompt", "read the config", "--model", "m1", "--", "python3", "main.py"]);
    expect(res.code).to.equal(1);
    expect(res.stdout).to.equal("loading config\n");
    const plain = spawnSync("python3", ["main.py"], { cwd: work, encoding: "utf8" });
    expect(res.stderr.startsWith(plain.stderr), "the traceback exactly as python3 alone prints it").to.equal(true);
    expect(res.stderr).to.match(/\nscriptlog: log_id=try-1 session_id=\S+ status=failed error_type=RuntimeError\n$/);
    const { body } = await get(`${server.url}/api/logs/log/try-1`);
    expect(body.log).to.include({
      status: "failed",
      error_type: "RuntimeError",
      error_message: "bad config",
      return_code: 1,
      timed_out: false,
    });
    expect(body.log).to.include({ user_prompt: "read the config", ai_model: "m1", code: failing, stdout: "loading config\n" });
    expect(body.log.stderr).to.equal(res.stderr.slice(0, res.stderr.indexOf("scriptlog: ")));
    expect(body.log.exception.exceptions.map((e: any) => e.type)).to.deep.equal(["RuntimeError", "json.decoder.JSONDecodeError"]);
    expect(body.log.failing_line).to.equal("raise RuntimeError('bad config') from e");
    expect(body.log.execution_time_seconds).to.be.greaterThan(0);
  });

  it("when retried with --after: the same session; a success lists the files it wrote under --out and fixes the failure", async () => {
    writeFileSync(path.join(work, "main.py"), fixed);
    const res = await run(["--after", "try-1", "--log-id", "try-2", "--out", "out", "--json", "--", "python3", "main.py"]);
    expect(res.code).to.equal(0);
    const summary = JSON.parse(res.stdout.split("\n").filter(Boolean).pop()!);
    expect(summary).to.include({ log_id: "try-2", returnCode: 0, timedOut: false, recorded: true });
    const { body } = await get(`${server.url}/api/logs/log/try-2`);
    expect(body.log.output_files).to.deep.equal([path.join("out", "tiles", "a.txt")]);
    expect(body.log.previous_attempt_id).to.equal("try-1");
    const first = await get(`${server.url}/api/logs/log/try-1`);
    expect(first.body.log.fixed_by).to.equal("try-2");
    expect(body.log.session_id).to.equal(first.body.log.session_id);
  });

  it("on timeout: kills the script's whole process group, records timed_out, exits 124", async () => {
    const pidFile = path.join(work, "child.pid");
    writeFileSync(
      path.join(work, "slow.py"),
      `import subprocess, time\np = subprocess.Popen(['sleep', '30'])\nopen(${JSON.stringify(pidFile)}, 'w').write(str(p.pid))\ntime.sleep(30)\n`,
    );
    const res = await run(["--timeout", "1", "--log-id", "slow-1", "--", "python3", "slow.py"]);
    expect(res.code).to.equal(124);
    const { body } = await get(`${server.url}/api/logs/log/slow-1`);
    expect(body.log).to.include({ timed_out: true, return_code: -9, error_category: "timeout" });
    // Gone, or a zombie waiting for a reaper: either way no longer running.
    let state = "gone";
    try {
      state = /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${readFileSync(pidFile, "utf8")}/stat`, "utf8"))?.[1] ?? "?";
    } catch {
      // no such process
    }
    expect(["gone", "Z"], "the script's child was killed with it").to.include(state);
  });

  it("records a signal as a negative return code and exits as a shell would (128+N); runs commands that are not Python as they are", async () => {
    writeFileSync(path.join(work, "crash.py"), "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n");
    const crash = await run(["--log-id", "crash-1", "--", "python3", "crash.py"]);
    expect(crash.code).to.equal(139);
    expect((await get(`${server.url}/api/logs/log/crash-1`)).body.log).to.include({ return_code: -11, error_category: "crash" });
    const shell = await run(["--log-id", "sh-1", "--", "sh", "-c", "echo oops >&2; exit 3"]);
    expect(shell.code).to.equal(3);
    expect((await get(`${server.url}/api/logs/log/sh-1`)).body.log).to.include({
      code: "sh -c echo oops >&2; exit 3",
      return_code: 3,
      stderr: "oops\n",
    });
  });

  it("while the server is unreachable: spools the attempt; --flush sends it later, and the next run sends what is spooled first", async () => {
    const down = { SCRIPTLOG_URL: `http://127.0.0.1:${await freePort()}` };
    writeFileSync(path.join(work, "main.py"), failing);
    const offline = await run(["--log-id", "off-1", "--", "python3", "main.py"], down);
    expect(offline.code, "still the script's exit code").to.equal(1);
    expect(offline.stderr).to.match(/log_id=off-1 spooled to .*spool\.jsonl/);
    const offline2 = await run(["--log-id", "off-2", "--after", "off-1", "--", "python3", "main.py"], down);
    expect(offline2.code).to.equal(1);
    expect(readFileSync(env.SCRIPTLOG_SPOOL, "utf8").trim().split("\n")).to.have.length(2);

    const stillDown = await run(["--flush"], down);
    expect(stillDown.code).to.equal(1);
    expect(stillDown.stderr).to.include("2 attempt(s) still spooled");

    const flushed = await run(["--flush", "--json"]);
    expect(flushed.code, flushed.stderr).to.equal(0);
    expect(JSON.parse(flushed.stdout)).to.deep.include({ sent: ["off-1", "off-2"], remaining: 0 });
    expect(existsSync(env.SCRIPTLOG_SPOOL)).to.equal(false);
    const retry = (await get(`${server.url}/api/logs/log/off-2`)).body.log;
    expect(retry.previous_attempt_id).to.equal("off-1");

    const offline3 = await run(["--log-id", "off-3", "--", "python3", "main.py"], down);
    expect(offline3.stderr).to.include("spooled");
    writeFileSync(path.join(work, "main.py"), fixed);
    const next = await run(["--after", "off-3", "--log-id", "on-4", "--", "python3", "main.py"]);
    expect(next.code).to.equal(0);
    expect(next.stderr).to.include("sent spooled log_id=off-3");
    expect((await get(`${server.url}/api/logs/log/off-3`)).body.log.fixed_by).to.equal("on-4");
  });

  it("keeps an attempt the server refuses for good beside the spool, and still exits with the script's code", async () => {
    writeFileSync(path.join(work, "ok.py"), "print('fine')\n");
    // No context was ever published under this version, so the server cannot accept the attempt (422).
    const res = await run(["--log-id", "refused-1", "--context-version", "no-such-version", "--", "python3", "ok.py"]);
    expect(res.code).to.equal(0);
    expect(res.stderr).to.match(/the server refused the attempt: 422 .*kept in .*spool\.jsonl\.rejected/);
    const [kept] = readFileSync(`${env.SCRIPTLOG_SPOOL}.rejected`, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(kept.error.status).to.equal(422);
    expect(kept.body).to.include({ log_id: "refused-1", status: "success", context_version: "no-such-version" });
  });

  it("finds the script in a python command line (options before it), and nothing to bootstrap in -c or -m", () => {
    expect(pythonScriptIndex(["python3", "main.py", "-x"])).to.equal(1);
    expect(pythonScriptIndex(["/usr/bin/python3.11", "-u", "-X", "dev", "-Wignore", "main.py"])).to.equal(5);
    expect(pythonScriptIndex(["python", "-uB", "--", "main.py"])).to.equal(3);
    expect(pythonScriptIndex(["python3", "-c", "print(1)"])).to.equal(null);
    expect(pythonScriptIndex(["python3", "-m", "http.server"])).to.equal(null);
    expect(pythonScriptIndex(["node", "main.js"])).to.equal(null);
  });
});
