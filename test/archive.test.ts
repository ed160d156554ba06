// Retention: whole daily files moved out, compressed; the live log still verifies from the boundary, the
// archive verifies on its own, and read models cover the retained days.
import { expect } from "chai";
import { readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { ScriptlogService } from "../src/service/scriptlogService.js";
import { get, post, removeTempDirs, runCli, spawnServer, tempDir } from "./helpers/server.js";

/** A log over three days: a failure on day 1 fixed on day 3, and one attempt a day besides. */
async function threeDayLog(events: string) {
  let day = "2026-11-01";
  const service = await ScriptlogService.open(events, { now: () => new Date(`${day}T12:00:00Z`) });
  await service.start();
  const record = (body: Record<string, unknown>) => service.recordAttempt(body as never);
  await record({
    status: "failed",
    log_id: "d1-fail",
    session_id: "s1",
    code: "x = y\n",
    stderr: "NameError: name 'y' is not defined\n",
    timestamp: `${day}T12:00:00Z`,
  });
  await record({ status: "success", log_id: "d1-ok", code: "print(1)\n", timestamp: `${day}T12:01:00Z` });
  day = "2026-11-02";
  await record({ status: "success", log_id: "d2-ok", code: "print(2)\n", timestamp: `${day}T12:00:00Z` });
  day = "2026-11-03";
  await record({
    status: "success",
    log_id: "d3-fix",
    code: "y = 1\nx = y\n",
    previous_attempt_id: "d1-fail",
    timestamp: `${day}T12:00:00Z`,
  });
  await record({
    status: "failed",
    log_id: "d3-fail",
    code: "1/0\n",
    stderr: "ZeroDivisionError: division by zero\n",
    timestamp: `${day}T12:01:00Z`,
  });
  await service.close();
}

describe("scriptlog archive", function () {
  this.timeout(120_000); // several CLI runs per test: generous for a loaded machine
  after(() => removeTempDirs());

  it("moves old days out compressed; both parts verify; read models cover the retained days", async () => {
    const dir = tempDir();
    const events = path.join(dir, "events");
    const archive = path.join(dir, "archive");
    await threeDayLog(events);
    expect(readdirSync(events).filter((f) => f.endsWith(".jsonl"))).to.deep.equal([
      "2026-11-01.jsonl",
      "2026-11-02.jsonl",
      "2026-11-03.jsonl",
    ]);
    const day1 = readFileSync(path.join(events, "2026-11-01.jsonl"));

    const res = await runCli(["archive", "--events-dir", events, "--before", "2026-11-03", "--to", archive, "--json"]);
    expect(res.code, res.stderr).to.equal(0);
    const report = JSON.parse(res.stdout);
    expect(report.files).to.deep.equal(["2026-11-01.jsonl", "2026-11-02.jsonl"]);
    expect(readdirSync(events).filter((f) => f.endsWith(".jsonl"))).to.deep.equal(["2026-11-03.jsonl"]);
    expect(readdirSync(archive).sort()).to.deep.equal(["2026-11-01.jsonl.gz", "2026-11-02.jsonl.gz", "archive.json"]);
    expect(
      gunzipSync(readFileSync(path.join(archive, "2026-11-01.jsonl.gz"))).equals(day1),
      "the archive holds the lines byte for byte",
    ).to.equal(true);
    const boundary = JSON.parse(readFileSync(path.join(events, "archived.json"), "utf8"));
    expect(boundary).to.include({ seq: report.boundary.seq, hash: report.boundary.hash, before: "2026-11-03" });

    for (const target of [events, archive]) {
      const verified = await runCli(["verify", "--dir", target, "--json"]);
      expect(verified.code, `${target}: ${verified.stdout}`).to.equal(0);
    }
    const server = await spawnServer(events);
    try {
      const { summary } = (await get(`${server.url}/api/logs/summary`)).body;
      expect(summary, "retained days only").to.include({ total_attempts: 2, total_failures: 1, total_successes: 1 });
      const res2 = await post(`${server.url}/api/logs/attempts`, { status: "success", code: "print(4)\n" });
      expect(res2.status, "appends continue the chain from the boundary").to.equal(201);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
    expect((await runCli(["verify", "--dir", events])).code).to.equal(0);
    expect((await runCli(["archive", "--events-dir", events, "--before", "2026-11-03", "--to", archive, "--json"])).stdout).to.include(
      '"files":[]',
    );
  });

  it("after every daily file is archived: verify names the boundary, serve is ready with zero figures, and writes continue", async () => {
    const dir = tempDir();
    const events = path.join(dir, "events");
    await threeDayLog(events);
    const archived = await runCli([
      "archive",
      "--events-dir",
      events,
      "--before",
      "2026-11-04",
      "--to",
      path.join(dir, "archive"),
      "--json",
    ]);
    expect(archived.code, archived.stderr).to.equal(0);
    const boundary = JSON.parse(archived.stdout).boundary;
    expect(readdirSync(events).filter((f) => f.endsWith(".jsonl"))).to.deep.equal([]);

    const verified = await runCli(["verify", "--dir", events]);
    expect(verified.code, verified.stderr).to.equal(0);
    expect(verified.stdout).to.include(
      `ok: 0 events after the archive boundary at seq ${boundary.seq}, head seq ${boundary.seq} hash ${boundary.hash}`,
    );

    const server = await spawnServer(events);
    try {
      const health = await get(`${server.url}/health`);
      expect(health.status).to.equal(200);
      expect(health.body).to.deep.equal({ status: "ok", seq: 0 });
      expect((await get(`${server.url}/api/logs/summary`)).body.summary).to.include({ total_attempts: 0, total_failures: 0 });
      expect((await post(`${server.url}/api/logs/attempts`, { status: "failed", code: "x", log_id: "after" })).status).to.equal(201);
      expect((await get(`${server.url}/health`)).body).to.deep.equal({ status: "ok", seq: boundary.seq + 1 });
      expect((await get(`${server.url}/api/logs/summary`)).body.summary).to.include({ total_attempts: 1, total_failures: 1 });
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
    // Today's file, being written, is never archived, whatever --before says.
    const again = await runCli(["archive", "--events-dir", events, "--before", "2999-01-01", "--to", path.join(dir, "archive"), "--json"]);
    expect(JSON.parse(again.stdout).files).to.deep.equal([]);
    const after = await runCli(["verify", "--dir", events]);
    expect(after.stdout).to.include(`ok: 1 events after the archive boundary at seq ${boundary.seq}, head seq ${boundary.seq + 1}`);
  });

  it("catches a changed byte in an archived file, and refuses to run beside a server", async () => {
    const dir = tempDir();
    const events = path.join(dir, "events");
    const archive = path.join(dir, "archive");
    await threeDayLog(events);
    expect((await runCli(["archive", "--events-dir", events, "--before", "2026-11-02", "--to", archive])).code).to.equal(0);
    const gz = path.join(archive, "2026-11-01.jsonl.gz");
    const text = gunzipSync(readFileSync(gz)).toString().replace("d1-ok", "d1-OK");
    writeFileSync(gz, gzipSync(text));
    const broken = await runCli(["verify", "--dir", archive]);
    expect(broken.code).to.equal(3);
    expect(broken.stderr).to.match(/^FAILED: 2026-11-01\.jsonl\.gz:2 \(seq 2\): hash does not match/);

    const server = await spawnServer(events);
    try {
      const refused = await runCli(["archive", "--events-dir", events, "--before", "2026-11-03", "--to", archive]);
      expect(refused.code).to.equal(2);
      expect(existsSync(path.join(events, "2026-11-02.jsonl"))).to.equal(true);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });
});
