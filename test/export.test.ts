// Export as JSON lines, CSV and the original's logs/ tree, and the seed-layout round trip.
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { SEED_LOGS } from "./helpers/corpus.js";
import { get, removeTempDirs, runCli, startInProcess, tempDir } from "./helpers/server.js";

async function cli(...args: string[]) {
  const res = await runCli(args);
  expect(res.code, res.stderr).to.equal(0);
  return res;
}

/** What a client can read of a log: the analyses and every entry (without where it was imported from). */
async function readModelsOf(events: string) {
  const server = await startInProcess(events);
  try {
    const read = async (route: string) => (await get(`${server.url}${route}`)).body;
    const entries = [...(await read("/api/logs/failures?limit=1000")).failures, ...(await read("/api/logs/successes?limit=1000")).successes]
      .map(({ origin: _o, ...e }: any) => e)
      .sort((a: any, b: any) => a.log_id.localeCompare(b.log_id));
    return {
      summary: (await read("/api/logs/summary")).summary,
      analysis: (await read("/api/logs/analysis")).analysis,
      patterns: await read("/api/logs/error-patterns"),
      recommendations: await read("/api/logs/recommendations"),
      entries,
    };
  } finally {
    await server.stop();
  }
}

describe("scriptlog export", function () {
  this.timeout(90_000);
  let dir: string;
  let events: string;
  before(async () => {
    dir = tempDir();
    events = path.join(dir, "events");
    await cli("import", "--events-dir", events, "--seed-logs", SEED_LOGS);
  });
  after(() => removeTempDirs());

  it("round-trips through the seed layout: export, import into an empty log, the same read models", async () => {
    const out = path.join(dir, "exported");
    await cli("export", "--events-dir", events, "--format", "seed-layout", "--out", out);
    expect(readdirSync(out).sort()).to.deep.equal(["analysis", "failures", "sessions", "successes"]);
    expect(readdirSync(path.join(out, "sessions"))).to.have.length(77);
    const analysis = JSON.parse(readFileSync(path.join(out, "analysis", "latest_analysis.json"), "utf8"));
    expect(analysis.summary).to.include({ total_attempts: 77 });
    expect(analysis.error_patterns.length).to.be.greaterThan(5);
    const copy = path.join(dir, "round-trip");
    await cli("import", "--events-dir", copy, "--seed-logs", out);
    expect(await readModelsOf(copy)).to.deep.equal(await readModelsOf(events));
  });

  it("writes entries with derived fields as JSON lines, within --since/--until", async () => {
    const all = path.join(dir, "all.jsonl");
    await cli("export", "--events-dir", events, "--format", "jsonl", "--out", all);
    const entries = readFileSync(all, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(entries).to.have.length(77);
    expect(entries.map((e) => e.timestamp)).to.deep.equal(entries.map((e) => e.timestamp).sort());
    expect(entries.find((e) => e.error_type === "NameError")).to.include({ error_category: "name_error" });
    const some = path.join(dir, "some.jsonl");
    const res = await cli(
      "export",
      "--events-dir",
      events,
      "--format",
      "jsonl",
      "--out",
      some,
      "--since",
      "2026-01-01",
      "--until",
      "2026-12-31",
      "--json",
    );
    const count = entries.filter((e) => e.timestamp >= "2026-01-01" && e.timestamp <= "2026-12-31").length;
    expect(JSON.parse(res.stdout)).to.include({ attempts: count });
    expect(readFileSync(some, "utf8").trimEnd().split("\n")).to.have.length(count);
  });

  it("writes RFC 4180 CSV whose fields read back as the JSON export has them", async () => {
    const file = path.join(dir, "all.csv");
    await cli("export", "--events-dir", events, "--format", "csv", "--out", file);
    const text = readFileSync(file, "utf8");
    const rows = parseCsv(text);
    expect(rows[0].slice(0, 4)).to.deep.equal(["log_id", "session_id", "timestamp", "status"]);
    expect(rows).to.have.length(78);
    for (const row of rows) expect(row).to.have.length(rows[0].length);
    // Every field reads back as the JSON export has it, whatever commas, quotes or line breaks it holds.
    const jsonl = readFileSync(path.join(dir, "all.jsonl"), "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    const column = (name: string) => rows[0].indexOf(name);
    for (const [i, row] of rows.slice(1).entries()) {
      expect(row[column("log_id")]).to.equal(jsonl[i].log_id);
      expect(row[column("error_message")]).to.equal(jsonl[i].error_message ?? "");
      expect(row[column("pattern")]).to.equal(jsonl[i].pattern ?? "");
    }
    const bad = await runCli(["export", "--events-dir", events, "--format", "xml", "--out", file]);
    expect(bad.code).to.equal(2);
  });
});

/** A small RFC 4180 reader, to check the writer against. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') ((field += '"'), i++);
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") (row.push(field), (field = ""));
    else if (c === "\r" && text[i + 1] === "\n") (row.push(field), rows.push(row), (row = []), (field = ""), i++);
    else field += c;
  }
  return rows;
}
