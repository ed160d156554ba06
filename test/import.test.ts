// Import from the original system's committed logs (real data) and from JSON lines.
import { expect } from "chai";
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SEED_LOGS } from "./helpers/corpus.js";
import { get, logBytes, removeTempDirs, runCli, spawnServer, startInProcess, tempDir } from "./helpers/server.js";

const importCli = (events: string, ...args: string[]) => runCli(["import", "--events-dir", events, "--json", ...args]);

describe("scriptlog import --seed-logs", function () {
  this.timeout(60_000);
  after(() => removeTempDirs());

  it("imports every attempt of the original's real logs, re-deriving what the original got wrong, and skips them on a re-run", async () => {
    const events = path.join(tempDir(), "events");
    const first = await importCli(events, "--seed-logs", SEED_LOGS);
    expect(first.code, first.stderr).to.equal(0);
    expect(JSON.parse(first.stdout)).to.deep.include({ attempts: 77, already_present: 0, skipped: [] });
    const bytes = logBytes(events);
    const again = await importCli(events, "--seed-logs", SEED_LOGS);
    expect(JSON.parse(again.stdout)).to.deep.include({ attempts: 0, already_present: 77 });
    expect(logBytes(events), "a re-run appends nothing").to.equal(bytes);

    const server = await startInProcess(events);
    try {
      const { summary } = (await get(`${server.url}/api/logs/summary`)).body;
      expect(summary).to.include({ total_attempts: 77, total_failures: 27, total_successes: 50 });
      const failures = (await get(`${server.url}/api/logs/failures?limit=1000`)).body.failures;
      const successes = (await get(`${server.url}/api/logs/successes?limit=1000`)).body.successes;
      expect(new Set([...failures, ...successes].map((e: any) => e.session_id)).size, "the original's 77 sessions, kept").to.equal(77);
      const nameErrors = failures.filter((f: any) => f.error_type === "NameError");
      expect(nameErrors).to.have.length(12);
      for (const f of nameErrors) {
        expect(f.error_category, "the original filed these under unknown").to.equal("name_error");
        expect(f.origin.derived.error_category).to.equal("unknown");
        expect(f.origin).to.include({ system: "maps-script-helper" });
        expect(f.origin.path).to.match(/^failures\/\d{4}-\d{2}-\d{2}\/[\w-]+\.json$/);
      }
      const { analysis } = (await get(`${server.url}/api/logs/analysis`)).body;
      expect(analysis.by_error_category.find((c: any) => c.error_category === "unknown")).to.equal(undefined);
      expect(analysis.library_issues.map((l: any) => l.library)).to.include("MapsBridge");
    } finally {
      await server.stop();
    }
  });

  it("reports a malformed file with its path, imports the rest and exits non-zero", async () => {
    const dir = tempDir();
    const seed = path.join(dir, "logs");
    cpSync(SEED_LOGS, seed, { recursive: true });
    const day = readdirSync(path.join(seed, "failures"))[0];
    const [broken, wrongStatus] = readdirSync(path.join(seed, "failures", day));
    writeFileSync(path.join(seed, "failures", day, broken), "{ not json");
    const doc = JSON.parse(readFileSync(path.join(seed, "failures", day, wrongStatus), "utf8"));
    writeFileSync(path.join(seed, "failures", day, wrongStatus), JSON.stringify({ ...doc, status: "success" }));
    const res = await importCli(path.join(dir, "events"), "--seed-logs", seed);
    expect(res.code).to.equal(1);
    const report = JSON.parse(res.stdout);
    expect(report.attempts).to.equal(75);
    expect(report.skipped.map((s: any) => s.path).sort()).to.deep.equal(
      [`failures/${day}/${broken}`, `failures/${day}/${wrongStatus}`].sort(),
    );
    expect(res.stderr).to.include(`skipped failures/${day}/${broken}: `);
  });

  it("refuses to write while a server holds the log", async () => {
    const events = path.join(tempDir(), "events");
    const server = await spawnServer(events);
    try {
      const res = await importCli(events, "--seed-logs", SEED_LOGS);
      expect(res.code).to.equal(2);
      expect(res.stderr).to.match(/in use by process \d+/);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });
});

describe("scriptlog import --jsonl", function () {
  this.timeout(60_000);
  after(() => removeTempDirs());

  it("records each line like a POST, links and fixes included, and reports bad lines by number", async () => {
    const dir = tempDir();
    const file = path.join(dir, "attempts.jsonl");
    writeFileSync(
      file,
      [
        JSON.stringify({ status: "failed", log_id: "j1", code: "x = y\n", stderr: "NameError: name 'y' is not defined\n" }),
        JSON.stringify({ status: "success", log_id: "j2", code: "y = 1\nx = y\n", previous_attempt_id: "j1" }),
        JSON.stringify({ status: "maybe", code: "" }),
        "",
      ].join("\n"),
    );
    const res = await importCli(path.join(dir, "events"), "--jsonl", file);
    expect(res.code).to.equal(1);
    expect(JSON.parse(res.stdout)).to.deep.include({ attempts: 2, fixes: 1 });
    expect(res.stderr).to.match(/skipped .*attempts\.jsonl:3: status must be/);
    const again = await importCli(path.join(dir, "events"), "--jsonl", file);
    expect(JSON.parse(again.stdout)).to.deep.include({ attempts: 0, already_present: 2 });
  });
});

describe("scriptlog rebuild --compare", function () {
  this.timeout(60_000);
  after(() => removeTempDirs());

  it("reports what an analyzer change changed — counts before and after, and the attempts — then replaces the snapshots", async () => {
    const dir = tempDir();
    const events = path.join(dir, "events");
    const projections = path.join(dir, "projections");
    await importCli(events, "--seed-logs", SEED_LOGS);
    const first = await runCli(["rebuild", "--events-dir", events, "--projections-dir", projections]);
    expect(first.code, first.stderr).to.equal(0);
    // Make the stored snapshots look as if an older analyzer had filed NameErrors as the original did.
    const attemptsFile = path.join(projections, "attempts.json");
    const attempts = JSON.parse(readFileSync(attemptsFile, "utf8"));
    for (const r of attempts.state) if (r.error_type === "NameError") r.error_category = "unknown";
    writeFileSync(attemptsFile, JSON.stringify(attempts));
    const analysisFile = path.join(projections, "analysis.json");
    const analysis = JSON.parse(readFileSync(analysisFile, "utf8"));
    for (const g of analysis.state.by_error_category) if (g.key === "name_error") g.key = "unknown";
    writeFileSync(analysisFile, JSON.stringify(analysis));

    const res = await runCli(["rebuild", "--events-dir", events, "--projections-dir", projections, "--compare", "--show", "3", "--json"]);
    expect(res.code, res.stderr).to.equal(0);
    const { comparison } = JSON.parse(res.stdout);
    expect(comparison.error_category).to.deep.equal([
      { key: "name_error", before: 0, after: 12 },
      { key: "unknown", before: 12, after: 0 },
    ]);
    expect(comparison.error_type).to.deep.equal([]);
    expect(comparison.attempts_changed).to.equal(12);
    expect(comparison.changed).to.have.length(3);
    expect(comparison.changed[0].fields).to.deep.equal({ error_category: { before: "unknown", after: "name_error" } });
    expect(comparison.rules_before_from_patterns, "snapshots keep their rules").to.equal(false);
    expect(comparison.rules.length).to.be.greaterThan(2);
    for (const r of comparison.rules) expect(r.before, r.id).to.deep.equal(r.after);
    const again = await runCli(["rebuild", "--events-dir", events, "--projections-dir", projections, "--compare", "--json"]);
    expect(JSON.parse(again.stdout).comparison, "the new snapshots replaced the old").to.include({ attempts_changed: 0 });
    const text = await runCli(["rebuild", "--events-dir", events, "--projections-dir", projections, "--compare"]);
    expect(text.stdout).to.match(/^compared the snapshots \(seq \d+\) with a rebuild by the current analyzer/);
    expect(text.stdout).to.include("  AttributeError: module 'MapsBridge' has no attribute 'GetChannels'\n    before: #2,");
  });
});
