// Start-up from read-model snapshots: only the events after a matching snapshot are projected; a snapshot of
// another version, another log, or a damaged one is ignored with a message and the whole log is replayed.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { get, post, removeTempDirs, runCli, spawnServer, tempDir } from "./helpers/server.js";

const attempt = (i: number) => ({
  status: i % 3 === 2 ? "success" : "failed",
  code: `import os\nos.makedir('d${i}')\n`,
  stderr: "AttributeError: module 'os' has no attribute 'makedir'\n",
  user_prompt: `p${Math.floor(i / 3)}`,
  ...(i % 3 ? {} : { session_id: `s${i}` }),
});

async function serveAndPost(events: string, from: number, to: number) {
  const server = await spawnServer(events);
  for (let i = from; i < to; i++) {
    const body = attempt(i);
    const res = await post(
      `${server.url}/api/logs/attempts`,
      body.status === "success"
        ? { status: "success", code: "import os\nos.makedirs('d', exist_ok=True)\n", session_id: `s${i - 2}` }
        : body,
    );
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
  }
  const analysis = (await get(`${server.url}/api/logs/analysis`)).body.analysis;
  const summary = (await get(`${server.url}/api/logs/summary`)).body.summary;
  server.child.kill("SIGTERM");
  await server.exited;
  return { output: server.output(), analysis, summary };
}

const snapshotStates = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f !== "meta.json")
      .map((f) => [f, JSON.parse(readFileSync(path.join(dir, f), "utf8")).state]),
  );

describe("snapshots and fast start", function () {
  this.timeout(60_000);
  after(() => removeTempDirs());

  it("loads the snapshot written at shutdown and projects only the tail, ending where a full replay ends", async () => {
    const root = tempDir();
    const events = path.join(root, "events");
    const projections = path.join(root, "projections");
    const first = await serveAndPost(events, 0, 6);
    expect(first.output).to.include("not used: no snapshot");
    expect(JSON.parse(readFileSync(path.join(projections, "meta.json"), "utf8"))).to.include({ seq: 8 });
    const second = await serveAndPost(events, 6, 12);
    expect(second.output).to.include("loaded snapshot at seq 8; projecting the events after it");
    // The snapshot written after the tail equals a rebuild of the whole log.
    const rebuilt = await runCli(["rebuild", "--events-dir", events, "--out", path.join(root, "full")]);
    expect(rebuilt.code, rebuilt.stderr).to.equal(0);
    expect(snapshotStates(projections)).to.deep.equal(snapshotStates(path.join(root, "full")));
    expect(second.summary).to.include({ total_attempts: 12, total_successes: 4 });
  });

  for (const [name, damage, message] of [
    ["a truncated one", (p: string) => truncateSync(path.join(p, "analysis.json"), 100), /not used: analysis\.json was changed/],
    [
      "an edited one that is still valid JSON",
      (p: string) => {
        const snapshot = JSON.parse(readFileSync(path.join(p, "summary.json"), "utf8"));
        writeFileSync(path.join(p, "summary.json"), JSON.stringify({ ...snapshot, state: { ...snapshot.state, attempts: 999 } }));
      },
      /not used: summary\.json was changed after it was written \(its digest does not match\)/,
    ],
    [
      "another analyzer's",
      (p: string) => {
        const meta = JSON.parse(readFileSync(path.join(p, "meta.json"), "utf8"));
        writeFileSync(path.join(p, "meta.json"), JSON.stringify({ ...meta, analyzer_version: 0 }));
      },
      /not used: made by analyzer version 0/,
    ],
    [
      "another projection version",
      (p: string) => {
        // Written as an older version would have: its digest matches.
        const snapshot = JSON.parse(readFileSync(path.join(p, "sessions.json"), "utf8"));
        const text = JSON.stringify({ ...snapshot, version: 1 });
        writeFileSync(path.join(p, "sessions.json"), text);
        const meta = JSON.parse(readFileSync(path.join(p, "meta.json"), "utf8"));
        meta.digests.sessions = createHash("sha256").update(text).digest("hex");
        writeFileSync(path.join(p, "meta.json"), JSON.stringify(meta));
      },
      /not used: damaged or out of step \(sessions snapshot is version 1/,
    ],
  ] as const) {
    it(`ignores ${name} with a message and replays the whole log`, async () => {
      const root = tempDir();
      const events = path.join(root, "events");
      const before = await serveAndPost(events, 0, 6);
      damage(path.join(root, "projections"));
      const after = await serveAndPost(events, 6, 6);
      expect(after.output).to.match(message);
      expect(after.analysis).to.deep.equal(before.analysis);
      expect(after.summary).to.deep.equal(before.summary);
    });
  }

  it("ignores a snapshot of another log", async () => {
    const root = tempDir();
    const events = path.join(root, "events");
    await serveAndPost(events, 0, 6);
    const other = path.join(tempDir(), "events");
    const fresh = await serveAndPost(other, 0, 3);
    const server = await spawnServer(other, { PROJECTIONS_DIR: path.join(root, "projections") });
    try {
      expect(server.output()).to.match(/not used: it ends at seq 8, which this log does not hold/);
      expect((await get(`${server.url}/api/logs/summary`)).body.summary).to.deep.equal(fresh.summary);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });

  it("still refuses to start on a changed line that the snapshot covers, naming file and line", async () => {
    const root = tempDir();
    const events = path.join(root, "events");
    await serveAndPost(events, 0, 6);
    expect(JSON.parse(readFileSync(path.join(root, "projections", "meta.json"), "utf8"))).to.include({ seq: 8 });
    const file = readdirSync(events).find((f) => f.endsWith(".jsonl"))!;
    const lines = readFileSync(path.join(events, file), "utf8").split("\n");
    lines[2] = lines[2].replace("makedir", "makedirs");
    writeFileSync(path.join(events, file), lines.join("\n"));
    const refused = await spawnServer(events).then(
      () => null,
      (err: Error) => err.message,
    );
    expect(refused).to.include(`${file}:3 (seq 3): hash does not match`);
  });
});
