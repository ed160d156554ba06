// One writer per log directory, held exactly as long as its process lives: a kill -9 frees it at once, even
// while the dead process is an unreaped zombie; removing the directory under a server stops its writes.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { BIN, get, post, removeTempDirs, spawnServer, tempDir, until } from "./helpers/server.js";

/** The state letter of a process in /proc (R, S, Z…), or null once it is gone. */
function processState(pid: number): string | null {
  try {
    return /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, "utf8"))![1];
  } catch {
    return null;
  }
}

describe("the writer lock", function () {
  this.timeout(60_000);
  afterEach(removeTempDirs);

  it("lets a server start right after kill -9 of the last one, while the dead one is still an unreaped zombie", async () => {
    const root = tempDir();
    const events = path.join(root, "events");
    // The server's parent execs `sleep`, which never reaps a child: once killed, the server stays a zombie.
    const parent = spawn("sh", ["-c", `"${process.execPath}" "${BIN}" serve & echo "pid $!"; exec sleep 120`], {
      env: { ...process.env, PORT: "0", EVENTS_DIR: events, PROJECTIONS_DIR: path.join(root, "projections") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let output = "";
      parent.stdout.on("data", (c) => (output += c));
      parent.stderr.on("data", (c) => (output += c));
      await until(() => /listening on/.test(output));
      const pid = Number(/pid (\d+)/.exec(output)![1]);
      process.kill(pid, "SIGKILL");
      await until(() => processState(pid) === "Z");
      const restarted = await spawnServer(events);
      expect((await get(`${restarted.url}/health`)).status).to.equal(200);
      expect(processState(pid), "the old one is still a zombie").to.equal("Z");
      restarted.child.kill("SIGTERM");
      expect(await restarted.exited).to.equal(0);
    } finally {
      parent.kill("SIGKILL");
    }
  });

  it("stops acknowledging once its events directory is removed, and a second server still cannot start on that path", async () => {
    const root = tempDir();
    const events = path.join(root, "events");
    const server = await spawnServer(events);
    try {
      expect((await post(`${server.url}/api/logs/attempts`, { status: "failed", code: "x", log_id: "before" })).status).to.equal(201);
      rmSync(events, { recursive: true });
      const after = await post(`${server.url}/api/logs/attempts`, { status: "failed", code: "y", log_id: "after" });
      expect(after.status, JSON.stringify(after.body)).to.equal(503);
      expect(after.body.error.code).to.equal("log_unavailable");
      expect(after.body.error.message).to.match(/log directory .* was removed/);
      expect((await get(`${server.url}/health`)).status).to.equal(503);
      const second = await spawnServer(events).then(
        (s) => (s.child.kill("SIGKILL"), "started"),
        (err: Error) => err.message,
      );
      expect(second)
        .to.match(/exited with 2/)
        .and.match(new RegExp(`in use by process ${server.child.pid}`));
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });
});
