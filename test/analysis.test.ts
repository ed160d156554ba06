// Failure → fix → success sessions made by running real broken and fixed scripts with python3.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RunningServer } from "../src/cli/serve.js";
import { messageTemplate } from "../src/analysis/patterns.js";
import { get, post, removeTempDirs, startInProcess, tempDir } from "./helpers/server.js";

function run(code: string) {
  const dir = mkdtempSync(path.join(tmpdir(), "scriptlog-run-"));
  try {
    writeFileSync(path.join(dir, "main.py"), code);
    const p = spawnSync("python3", ["main.py"], { cwd: dir, encoding: "utf8", timeout: 20_000 });
    return p.status === 0
      ? { status: "success", code, stdout: p.stdout, output_files: [] }
      : { status: "failed", code, stderr: p.stderr, stdout: p.stdout, return_code: p.status ?? 1 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function session(url: string, broken: string, fixed: string, prompt: string) {
  const f = await post(`${url}/api/logs/attempts`, { ...run(broken), user_prompt: prompt });
  expect(f.body.status, JSON.stringify(f.body)).to.equal("failed");
  const s = await post(`${url}/api/logs/attempts`, { ...run(fixed), user_prompt: prompt, previous_attempt_id: f.body.log_id });
  expect(s.body.status).to.equal("success");
  expect(s.body.fixed).to.deep.equal([f.body.log_id]);
  return f.body;
}

describe("analysis from real failure → fix → success sessions", function () {
  this.timeout(60_000);
  let server: RunningServer;
  before(async () => {
    server = await startInProcess(path.join(tempDir(), "events"));
    const url = server.url;
    for (const dir of ["out", "tiles", "result"]) {
      await session(url, `import os\nos.makedir('${dir}')\n`, `import os\nos.makedirs('${dir}', exist_ok=True)\n`, `save into ${dir}`);
    }
    await session(url, "x = np.zeros(3)\n", "import numpy as np\nx = [0] * 3\n", "zeros");
    await session(url, "radius = 2\nprint(3.14 * raduis ** 2)\n", "radius = 2\nprint(3.14 * radius ** 2)\n", "area");
    await session(url, "n = 5\nprint('total: ' + n)\n", "n = 5\nprint('total: ' + str(n))\n", "total");
    await session(url, "import json\njson.loads('{bad')\n", "import json\njson.loads('{}')\n", "json");
    await post(`${url}/api/logs/attempts`, run("import skimagex\n"));
    await post(`${url}/api/logs/attempts`, run("import skimagex\n"));
  });
  after(async () => {
    await server.stop();
    removeTempDirs();
  });

  it("groups a misspelled module attribute fixed in three sessions into one pattern with fix rate 1", async () => {
    const { error_patterns } = (await get(`${server.url}/api/logs/error-patterns`)).body;
    const makedir = error_patterns.find((p: any) => p.pattern === "AttributeError: module 'os' has no attribute 'makedir'");
    expect(makedir).to.include({ count: 3, sessions: 3, fixed: 3, fix_rate: 1, error_category: "attribute_error", suggestion: "'makedirs'" });
    expect(makedir.fingerprints, "the failing lines differ only in a string literal, so they share one fingerprint").to.have.length(1);
    expect(error_patterns[0].pattern, "most frequent first").to.equal(makedir.pattern);
    expect(error_patterns.map((p: any) => p.pattern)).to.include.members([
      "NameError: name 'np' is not defined", "NameError: name 'raduis' is not defined", "TypeError: can only concatenate str (not <STR>) to str",
    ]);
  });

  it("turns verified fixes into rules naming the right call, and recurring unfixed patterns into warnings", async () => {
    const { recommendations } = (await get(`${server.url}/api/logs/recommendations`)).body;
    expect(recommendations[0].rule).to.equal("Call `os.makedirs`, not `os.makedir`: `os.makedir` does not exist.");
    expect(recommendations[0].evidence).to.include({ failures: 3, fixed: 3, fix_rate: 1 });
    expect(recommendations[0].example.wrong).to.match(/^os\.makedir\(/);
    const warning = recommendations.find((r: any) => r.pattern === "ModuleNotFoundError: No module named 'skimagex'");
    expect(warning).to.include({ kind: "warning", rule: "Do not import `skimagex`: it is not installed where scripts run." });
    for (const r of recommendations) expect(r.evidence.failures).to.be.greaterThan(0);
  });

  it("writes an AI context within its budget, most important rule first, without stderr dumps", async () => {
    const res = (await get(`${server.url}/api/logs/ai-context?max_examples=3&max_chars=800`)).body;
    expect(res.context.length).to.be.at.most(800);
    expect(res.rules).to.have.length.at.most(3);
    expect(res.context).to.include("1. Call `os.makedirs`");
    expect(res.context).to.not.include("Traceback");
    expect(res.generated_from_seq).to.be.a("number");
    const bad = await get(`${server.url}/api/logs/ai-context?max_chars=10`);
    expect(bad.status).to.equal(400);
  });

  it("reports patterns and per-type counts in /analysis", async () => {
    const { analysis } = (await get(`${server.url}/api/logs/analysis`)).body;
    expect(analysis.by_error_type[0]).to.include({ error_type: "AttributeError", count: 3, fixed: 3 });
    expect(analysis.by_error_category.find((c: any) => c.error_category === "name_error")).to.include({ count: 2, fixed: 2 });
    expect(analysis.error_patterns.length).to.be.greaterThan(4);
  });
});

describe("message templates", () => {
  it("parameterise what varies and keep the identifiers that are the mistake", () => {
    expect(messageTemplate("module 'os' has no attribute 'makedir'")).to.not.equal(messageTemplate("module 'os' has no attribute 'mkdirs'"));
    expect(messageTemplate("name 'np' is not defined")).to.not.equal(messageTemplate("name 'cv2' is not defined"));
    expect(messageTemplate("[Errno 2] No such file or directory: '/tmp/a/b.png'")).to.equal(messageTemplate("[Errno 2] No such file or directory: 'c.png'"));
    expect(messageTemplate("cannot reshape array of size 12 into shape (4,3)")).to.equal("cannot reshape array of size <N> into shape <SHAPE>");
    expect(messageTemplate("invalid literal for int() with base 10: '12px'")).to.equal("invalid literal for int() with base <N>: <STR>");
    expect(messageTemplate("job 5f0c6c5e-1111-4000-8000-000000000000 at 0xdeadbeef")).to.equal("job <UUID> at <HEX>");
  });
});
