import { expect } from "chai";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { RunningServer } from "../src/cli/serve.js";
import { REPO_ROOT } from "./helpers/corpus.js";
import { get, removeTempDirs, startInProcess, tempDir } from "./helpers/server.js";

/** A node process, run without blocking this one (the server under test lives here). */
function node(args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
}

// The package as a user gets it: packed, unpacked into a project's node_modules, run from there.
describe("the installed package: scriptlog run finds its bootstrap, and the client imports by name", function () {
  this.timeout(60_000);
  let server: RunningServer;
  let project: string;
  let files: string[];

  before(async () => {
    const root = tempDir();
    server = await startInProcess(path.join(root, "events"));
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", root], { cwd: REPO_ROOT, encoding: "utf8" }),
    );
    files = packed[0].files.map((f: { path: string }) => f.path);
    project = path.join(root, "project");
    const installed = path.join(project, "node_modules", "scriptlog");
    mkdirSync(installed, { recursive: true });
    execFileSync("tar", ["-xzf", path.join(root, packed[0].filename), "-C", installed, "--strip-components=1"]);
    // Its dependencies, as npm would have installed them beside it.
    symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(installed, "node_modules"));
  });
  after(async () => {
    await server.stop();
    removeTempDirs();
  });

  it("ships the CLI, the compiled code with its type declarations and the Python client, and no tests", () => {
    for (const f of [
      "bin/scriptlog.js",
      "dist/src/cli/run.js",
      "dist/src/client/index.js",
      "dist/src/client/index.d.ts",
      "dist/src/client/api.generated.d.ts",
      "clients/python/scriptlog_client.py",
      "src/web/console.css",
    ])
      expect(files, f).to.include(f);
    expect(files.filter((f) => f.startsWith("dist/test/") || f.startsWith("test/") || f.startsWith("events/"))).to.deep.equal([]);
  });

  it("runs a failing script under the bootstrap from node_modules and records its exception", async () => {
    writeFileSync(path.join(project, "main.py"), "def f():\n    return {}['k']\nf()\n");
    const bin = path.join(project, "node_modules", "scriptlog", "bin", "scriptlog.js");
    const res = await node(
      [bin, "run", "--server", server.url, "--log-id", "pkg-1", "--spool", path.join(project, "spool.jsonl"), "--", "python3", "main.py"],
      project,
    );
    expect(res.status, res.stderr).to.equal(1);
    const log = (await get(`${server.url}/api/logs/log/pkg-1`)).body.log;
    expect(log.exception.exceptions[0]).to.include({ type: "KeyError", message: "'k'" });
  });

  it('imports { ScriptlogClient } from "scriptlog" in a project', async () => {
    const res = await node(
      [
        "--input-type=module",
        "-e",
        `import { ScriptlogClient } from "scriptlog"; const h = await new ScriptlogClient(${JSON.stringify(server.url)}).health(); console.log(h.status);`,
      ],
      project,
    );
    expect(res.stdout, res.stderr).to.equal("ok\n");
  });
});
