// Failure → fix → success sessions made by running real broken and fixed scripts with python3.
import { expect } from "chai";
import path from "node:path";
import type { RunningServer } from "../src/cli/serve.js";
import { messageTemplate } from "../src/analysis/patterns.js";
import { runPython as run } from "./helpers/python.js";
import { get, post, removeTempDirs, startInProcess, tempDir } from "./helpers/server.js";

async function session(url: string, broken: string, fixed: string, prompt: string, ai_model = "model-a") {
  const f = await post(`${url}/api/logs/attempts`, {
    ...run(broken),
    user_prompt: prompt,
    ai_model,
    session_id: `s-${prompt.replace(/\W/g, "-")}`,
  });
  expect(f.body.status, JSON.stringify(f.body)).to.equal("failed");
  const s = await post(`${url}/api/logs/attempts`, { ...run(fixed), user_prompt: prompt, ai_model, previous_attempt_id: f.body.log_id });
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
    await session(url, "x = np.zeros(3)\n", "import numpy as np\nx = np.zeros(3)\n", "zeros", "model-b");
    await session(url, "radius = 2\nprint(3.14 * raduis ** 2)\n", "radius = 2\nprint(3.14 * radius ** 2)\n", "area");
    await session(url, "n = 5\nprint('total: ' + n)\n", "n = 5\nprint('total: ' + str(n))\n", "total");
    await session(url, "import json\njson.loads('{bad')\n", "import json\njson.loads('{}')\n", "json");
    await post(`${url}/api/logs/attempts`, { ...run("import skimagex\n"), ai_model: "model-b", session_id: "sk-1" });
    await post(`${url}/api/logs/attempts`, { ...run("import skimagex\n"), ai_model: "model-b", session_id: "sk-2" });
    await post(`${url}/api/logs/attempts`, { ...run("print('ok')\n"), ai_model: "model-b", session_id: "ok-1" });
  });
  after(async () => {
    await server.stop();
    removeTempDirs();
  });

  it("groups a misspelled module attribute fixed in three sessions into one pattern with fix rate 1", async () => {
    const { error_patterns } = (await get(`${server.url}/api/logs/error-patterns`)).body;
    const makedir = error_patterns.find((p: any) => p.pattern === "AttributeError: module 'os' has no attribute 'makedir'");
    expect(makedir).to.include({
      count: 3,
      sessions: 3,
      fixed: 3,
      fix_rate: 1,
      error_category: "attribute_error",
      suggestion: "'makedirs'",
    });
    expect(makedir.fingerprints, "the failing lines differ only in a string literal, so they share one fingerprint").to.have.length(1);
    expect(error_patterns[0].pattern, "most frequent first").to.equal(makedir.pattern);
    expect(error_patterns.map((p: any) => p.pattern)).to.include.members([
      "NameError: name 'np' is not defined",
      "NameError: name 'raduis' is not defined",
      "TypeError: can only concatenate str (not <STR>) to str",
    ]);
  });

  it("turns verified fixes into rules naming the right call, and recurring unfixed patterns into warnings", async () => {
    const { recommendations } = (await get(`${server.url}/api/logs/recommendations`)).body;
    expect(recommendations[0].rule).to.equal("`os.makedir` does not exist: use `os.makedirs` instead, as the fixes did (3 of 3 fixes).");
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
    expect(res.context).to.include("1. `os.makedir` does not exist: use `os.makedirs`");
    expect(res.context).to.not.include("Traceback");
    expect(res.generated_from_seq).to.be.a("number");
    const bad = await get(`${server.url}/api/logs/ai-context?max_chars=10`);
    expect(bad.status).to.equal(400);
  });

  it("reports patterns, per-type counts and per-model rates in /analysis", async () => {
    const { analysis } = (await get(`${server.url}/api/logs/analysis`)).body;
    expect(analysis.by_error_type[0]).to.include({ error_type: "AttributeError", count: 3, fixed: 3 });
    expect(analysis.by_error_category.find((c: any) => c.error_category === "name_error")).to.include({ count: 2, fixed: 2 });
    expect(analysis.error_patterns.length).to.be.greaterThan(4);
    const byModel = Object.fromEntries(analysis.by_ai_model.map((m: any) => [m.ai_model, m]));
    // model-a: 6 sessions of failure → success; model-b: one such session, two unfixed failures, one first-time success
    expect(byModel["model-a"]).to.include({ attempts: 12, successes: 6, success_rate: 0.5, sessions: 6, first_attempt_success_rate: 0 });
    expect(byModel["model-b"]).to.include({ attempts: 5, successes: 2, success_rate: 0.4, sessions: 4, first_attempt_success_rate: 0.25 });
  });

  it("compares each fix's codes: what it replaced, imported or called, with the smallest diff hunks", async () => {
    const { error_patterns } = (await get(`${server.url}/api/logs/error-patterns`)).body;
    const fixesOf = (pattern: string) => error_patterns.find((p: any) => p.pattern === pattern).fixes.map((f: any) => f.description);
    expect(fixesOf("AttributeError: module 'os' has no attribute 'makedir'")[0]).to.equal(
      "in 3 of 3 fixes of this pattern, `os.makedir` was replaced by `os.makedirs`",
    );
    expect(fixesOf("NameError: name 'np' is not defined")).to.include("in 1 of 1 fixes of this pattern, `import numpy as np` was added");
    expect(fixesOf("NameError: name 'raduis' is not defined")).to.include(
      "in 1 of 1 fixes of this pattern, `raduis` was replaced by `radius`",
    );
    expect(fixesOf("TypeError: can only concatenate str (not <STR>) to str")).to.include(
      "in 1 of 1 fixes of this pattern, a call to `str` was added",
    );

    const makedir = error_patterns[0];
    const entry = (await get(`${server.url}/api/logs/log/${makedir.example_log_ids[0]}`)).body.log;
    expect(entry.fix_strategy.replaced).to.deep.equal([{ from: "os.makedir", to: "os.makedirs" }]);
    expect(entry.fix_strategy.hunks).to.have.length(1);
    expect(entry.fix_strategy.hunks[0]).to.match(/^@@ -2,1 \+2,1 @@\n-os\.makedir\('\w+'\)\n\+os\.makedirs\('\w+', exist_ok=True\)$/);
    expect(entry.fix_strategy).to.include({ lines_added: 1, lines_removed: 1 });
    const { attempts } = (await get(`${server.url}/api/logs/session/${entry.session_id}`)).body;
    expect(attempts[0].fix_strategy, "the session shows it too").to.deep.equal(entry.fix_strategy);
    expect(attempts[1].fix_strategy, "successes have none").to.equal(undefined);
  });

  it("takes libraries from imports, traceback frames and dotted exception types, and reports API misuse", async () => {
    const { error_patterns, library_issues } = (await get(`${server.url}/api/logs/error-patterns`)).body;
    const json = error_patterns.find((p: any) => p.error_type === "json.decoder.JSONDecodeError");
    expect(json.libraries.map((l: any) => l.library)).to.deep.equal(["json"]);
    const entry = (await get(`${server.url}/api/logs/log/${json.example_log_ids[0]}`)).body.log;
    expect(entry.tags).to.include("lib:json");
    const os = library_issues.find((l: any) => l.library === "os");
    expect(os).to.include({ attempts: 6, failures: 3, failure_rate: 0.5, standard_library: true });
    expect(os.api_misuse).to.deep.equal([
      {
        object: "module os",
        attribute: "makedir",
        pattern: "AttributeError: module 'os' has no attribute 'makedir'",
        count: 3,
        fixed: 3,
        replaced_with: [{ attribute: "makedirs", count: 3 }],
      },
    ]);
    const numpy = library_issues.find((l: any) => l.library === "numpy");
    expect(numpy, "only the fix imported numpy, so numpy has no failures").to.equal(undefined);
  });

  it("filters error patterns by category, library and time, with common errors over what is left", async () => {
    const byName = (await get(`${server.url}/api/logs/error-patterns?category=name_error`)).body;
    expect(byName.error_patterns.map((p: any) => p.pattern).sort()).to.deep.equal([
      "NameError: name 'np' is not defined",
      "NameError: name 'raduis' is not defined",
    ]);
    expect(byName.common_errors).to.deep.equal([
      {
        error_type: "NameError",
        error_category: "name_error",
        count: 2,
        fixed: 2,
        patterns: 2,
        example_log_id: byName.error_patterns[0].example_log_ids[0],
        share: 1,
        fix_rate: 1,
      },
    ]);
    const byLibrary = (await get(`${server.url}/api/logs/error-patterns?library=os`)).body;
    expect(byLibrary.error_patterns.map((p: any) => p.pattern)).to.deep.equal(["AttributeError: module 'os' has no attribute 'makedir'"]);
    expect(byLibrary.library_issues.map((l: any) => l.library)).to.deep.equal(["os"]);
    const future = (await get(`${server.url}/api/logs/error-patterns?since=2999-01-01T00:00:00Z`)).body;
    expect(future.error_patterns).to.deep.equal([]);
    const past = (await get(`${server.url}/api/logs/error-patterns?since=2000-01-01`)).body;
    expect(past.error_patterns.map((p: any) => [p.pattern, p.count, p.fixed])).to.deep.equal(
      (await get(`${server.url}/api/logs/error-patterns`)).body.error_patterns.map((p: any) => [p.pattern, p.count, p.fixed]),
    );
    for (const bad of ["category=nonsense", "since=yesterday", "library=os.path", "limit=3"]) {
      const res = await get(`${server.url}/api/logs/error-patterns?${bad}`);
      expect(res.status, bad).to.equal(400);
      expect(res.body.error.code).to.equal("invalid_query");
    }
  });

  it("gives each rule a real wrong → right example of only the changed lines, and a summary", async () => {
    const { recommendations, ai_learning_summary } = (await get(`${server.url}/api/logs/recommendations`)).body;
    expect(recommendations[0]).to.include({ library: "os" });
    expect(recommendations[0].example.wrong).to.match(/^os\.makedir\('\w+'\)$/);
    expect(recommendations[0].example.right).to.match(/^os\.makedirs\('\w+', exist_ok=True\)$/);
    const np = recommendations.find((r: any) => r.pattern === "NameError: name 'np' is not defined");
    expect(np.rule).to.equal("Add `import numpy as np` before using `np`.");
    expect(np.example, "the failing line stayed; the import made it work").to.deep.equal({
      wrong: "x = np.zeros(3)",
      right: "import numpy as np\nx = np.zeros(3)",
    });
    const str = recommendations.find((r: any) => r.pattern.startsWith("TypeError: can only concatenate"));
    expect(str.example).to.deep.equal({ wrong: "print('total: ' + n)", right: "print('total: ' + str(n))" });
    expect(ai_learning_summary, "the one-off slip `raduis` is no rule").to.match(/^4 rules from verified fixes, 1 warning/);
    const json = (await get(`${server.url}/api/logs/ai-context?format=json&max_examples=2`)).body;
    expect(json.format).to.equal("json");
    expect(json.context[0].example.right).to.match(/^os\.makedirs/);
  });
});

describe("message templates", () => {
  it("parameterise what varies and keep the identifiers that are the mistake", () => {
    expect(messageTemplate("module 'os' has no attribute 'makedir'")).to.not.equal(
      messageTemplate("module 'os' has no attribute 'mkdirs'"),
    );
    expect(messageTemplate("name 'np' is not defined")).to.not.equal(messageTemplate("name 'cv2' is not defined"));
    expect(messageTemplate("[Errno 2] No such file or directory: '/tmp/a/b.png'")).to.equal(
      messageTemplate("[Errno 2] No such file or directory: 'c.png'"),
    );
    expect(messageTemplate("cannot reshape array of size 12 into shape (4,3)")).to.equal(
      "cannot reshape array of size <N> into shape <SHAPE>",
    );
    expect(messageTemplate("invalid literal for int() with base 10: '12px'")).to.equal("invalid literal for int() with base <N>: <STR>");
    expect(messageTemplate("job 5f0c6c5e-1111-4000-8000-000000000000 at 0xdeadbeef")).to.equal("job <UUID> at <HEX>");
  });
});
