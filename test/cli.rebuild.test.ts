import { expect } from "chai";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { post, removeTempDirs, runCli, startInProcess, tempDir } from "./helpers/server.js";

describe("scriptlog rebuild", () => {
  afterEach(removeTempDirs);

  it("replays the log into snapshots equal to the live read models, twice byte-identically, quietly in a pipe", async () => {
    const root = tempDir();
    const events = path.join(root, "events");
    const server = await startInProcess(events);
    for (let i = 0; i < 12; i++) {
      await post(`${server.url}/api/logs/attempts`, {
        status: i % 4 === 3 ? "success" : "failed",
        code: `v${i}`,
        session_id: `s${i >> 2}`,
        stderr: "ValueError: bad\n",
        return_code: 1 - Math.floor((i % 4) / 3),
      });
    }
    // Writes are answered before the read models hold them.
    await server.service.projectedUntil(server.service.log.chainHead.seq, 60_000);
    const live = server.service.models.toJSON();
    await server.stop();

    const outs = [path.join(root, "p1"), path.join(root, "p2")];
    for (const out of outs) {
      const run = await runCli(["rebuild", "--events-dir", events, "--projections-dir", out, "--json"]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stderr, "no progress bar in a pipe").to.equal("");
      const report = JSON.parse(run.stdout);
      expect(report).to.include({ events: live.attempts.seq, seq: live.attempts.seq });
      expect(report.events_per_second).to.be.greaterThan(0);
    }
    const names = readdirSync(outs[0]).sort();
    expect(names).to.deep.equal([
      "alerts.json",
      "analysis.json",
      "anomalies.json",
      "attempts.json",
      "contexts.json",
      "decider.json",
      "failures.json",
      "inference.json",
      "meta.json",
      "sessions.json",
      "successes.json",
      "summary.json",
      "trends.json",
    ]);
    expect(readFileSync(path.join(outs[0], "meta.json")).equals(readFileSync(path.join(outs[1], "meta.json")))).to.equal(true);
    // The write side's state, as the server left it at shutdown.
    const liveDecider = readFileSync(path.join(root, "projections", "decider.json"));
    expect(readFileSync(path.join(outs[0], "decider.json")).equals(liveDecider), "decider.json").to.equal(true);
    for (const name of names.filter((n) => n !== "meta.json" && n !== "decider.json")) {
      const a = readFileSync(path.join(outs[0], name));
      expect(a.equals(readFileSync(path.join(outs[1], name))), name).to.equal(true);
      const snapshot = JSON.parse(a.toString());
      const projection = name.replace(".json", "") as keyof typeof live;
      expect(snapshot.state, name).to.deep.equal(JSON.parse(JSON.stringify(live[projection].state)));
    }
  });

  it("has --help for every command", async () => {
    for (const args of [["--help"], ["serve", "--help"], ["rebuild", "--help"]]) {
      const run = await runCli(args);
      expect(run.code).to.equal(0);
      expect(run.stdout).to.match(/Usage: scriptlog/);
    }
  });

  it("exits non-zero, naming the place, on a corrupt log", async () => {
    const events = path.join(tempDir(), "events");
    const server = await startInProcess(events);
    await post(`${server.url}/api/logs/attempts`, { status: "failed", code: "x" });
    await server.stop();
    const file = readdirSync(events).find((f) => f.endsWith(".jsonl"))!;
    const { writeFileSync } = await import("node:fs");
    writeFileSync(path.join(events, file), "not json\n");
    const run = await runCli(["rebuild", "--events-dir", events, "--projections-dir", path.join(events, "..", "p")]);
    expect(run.code).to.equal(3);
    expect(run.stderr).to.include(`${file}:1`);
  });
});
