// Rules worth a prompt: given failure → fix sessions made by running real scripts with python3, when the rules
// are asked for, then the mistakes that recur across sessions of different scripts come first with the
// replacement the fixes used, one-off slips are no rule, and examples are the failing statement only.
import { expect } from "chai";
import path from "node:path";
import type { RunningServer } from "../src/cli/serve.js";
import { recommendations, type PatternEvidence } from "../src/analysis/recommendations.js";
import { SEED_LOGS } from "./helpers/corpus.js";
import { runPython } from "./helpers/python.js";
import { get, post, removeTempDirs, runCli, startInProcess, tempDir } from "./helpers/server.js";

const PLACEHOLDER = /<(?:STR|N|PATH|SHAPE|HEX|UUID)>/;
const at = (minutes: number) => new Date(Date.UTC(2026, 10, 20, 9, minutes)).toISOString();

// Three different scripts that read a JSON file with json.loads(path), each fixed with json.load(f).
const jsonScripts = [
  ["cfg.json", "config", "{'tiles': 4}", "config['tiles']"],
  ["zoom.json", "settings", "{'zoom': 12}", "settings['zoom'] + 1"],
  ["meta.json", "meta", "{'name': 'x'}", "meta['name'].upper()"],
].map(([file, name, value, use]) => {
  const head = `import json\nwith open('${file}', 'w') as out:\n    json.dump(${value}, out)\n${name}_path = '${file}'\n`;
  return {
    broken: `${head}${name} = json.loads(${name}_path)\nprint(${use})\n`,
    fixed: `${head}with open(${name}_path) as f:\n    ${name} = json.load(f)\nprint(${use})\n`,
  };
});

// Three numpy scripts that call .append on an array; the last fix also edits an unrelated line.
const numpyScripts = [
  ["values", "np.array([1.0, 2.0])", "3.0", "values.sum()"],
  ["heights", "np.zeros(2)", "5", "heights.max()"],
  ["samples", "np.arange(3)", "9", "samples.mean()"],
].map(([name, init, item, use], i) => ({
  broken: `import numpy as np\n${name} = ${init}\n${name}.append(${item})\nprint(${use})\n`,
  fixed:
    `import numpy as np\n${name} = ${init}\n${name} = np.append(${name}, ${item})\nprint(${use})\n` +
    (i === 2 ? "import sys\nsys.stdout.flush()\n" : ""),
}));

const makedirsScripts = ["out", "tiles"].map((dir) => ({
  broken: `import os\nos.makedirs('${dir}', exists_ok=True)\nprint(sorted(os.listdir('.')))\n`,
  fixed: `import os\nos.makedirs('${dir}', exist_ok=True)\nprint(sorted(os.listdir('.')))\n`,
}));

const clock = (n: number) => `import time\nstart = time.clock()\ntotal = sum(range(${n}))\nprint(total, time.clock() - start)\n`;

describe("rules worth a prompt (real python3 sessions)", function () {
  this.timeout(120_000);
  let server: RunningServer;
  let url: string;
  let minute = 0;
  const attempt = async (session: string, code: string, extra: Record<string, unknown> = {}) => {
    const res = await post(`${url}/api/logs/attempts`, { ...runPython(code), session_id: session, timestamp: at(minute++), ...extra });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body;
  };
  const fixedSession = async (session: string, broken: string, fixed: string, extra: Record<string, unknown> = {}) => {
    expect((await attempt(session, broken, extra)).status).to.equal("failed");
    expect((await attempt(session, fixed, extra)).status).to.equal("success");
  };

  before(async () => {
    server = await startInProcess(path.join(tempDir(), "events"));
    url = server.url;
    for (const [i, s] of jsonScripts.entries()) await fixedSession(`json-${i}`, s.broken, s.fixed);
    for (const [i, s] of numpyScripts.entries()) await fixedSession(`numpy-${i}`, s.broken, s.fixed, { ai_model: "model-np" });
    for (const [i, s] of makedirsScripts.entries()) await fixedSession(`dirs-${i}`, s.broken, s.fixed);
    // One session that retried the same mistake four times before the fix.
    for (const n of [10, 100, 1000, 5000]) expect((await attempt("clock", clock(n))).status).to.equal("failed");
    expect((await attempt("clock", clock(10).replaceAll("time.clock()", "time.perf_counter()"))).status).to.equal("success");
    // One-off slips of names the scripts define themselves.
    await fixedSession(
      "slip-1",
      "total = 0\nfor v in [1, 2]:\n    total += v\nprint(totl)\n",
      "total = 0\nfor v in [1, 2]:\n    total += v\nprint(total)\n",
    );
    await fixedSession("slip-2", "result = [1, 2]\nprint(len(reslt))\n", "result = [1, 2]\nprint(len(result))\n");
    await attempt("slip-3", "image_name = 'a.png'\nprint(imagename)\n");
    await attempt("slip-3", "image_name = 'b.png'\nprint(imagename)\n");
    // A session whose last attempts failed after a success: not resolved.
    await attempt("late-failure", "print('ok')\n");
    await attempt("late-failure", "import json\njson.loads('{')\n");
  });
  after(async () => {
    await server.stop();
    removeTempDirs();
  });

  const rules = async (query = "") => (await get(`${url}/api/logs/recommendations${query}`)).body.recommendations as any[];

  it("puts mistakes recurring across sessions of different scripts first, with the replacement the fixes used", async () => {
    const list = await rules();
    const top = Object.fromEntries(list.slice(0, 2).map((r) => [r.pattern, r]));
    const json = top["json.decoder.JSONDecodeError: Expecting value: line <N> column <N> (char <N>)"];
    const numpy = top["AttributeError: 'numpy.ndarray' object has no attribute 'append'"];
    expect(json, JSON.stringify(list.map((r) => r.id))).to.not.equal(undefined);
    expect(json.rule).to.match(
      /^Use `json\.load` instead of `json\.loads` \(3 of 3 fixes\): it failed with "json\.decoder\.JSONDecodeError: Expecting value: line 1 column 1 \(char 0\)"\.$/,
    );
    expect(json.evidence).to.include({ failures: 3, sessions: 3, fixed: 3, fixed_sessions: 3 });
    expect(json.example.wrong).to.match(/^meta = json\.loads\(meta_path\)$/);
    expect(json.example.right).to.equal("with open(meta_path) as f:\n    meta = json.load(f)");
    expect(numpy.rule).to.equal("numpy.ndarray objects have no `.append`: use `np.append` instead, as the fixes did (3 of 3 fixes).");
    expect(numpy.library).to.equal("numpy");
    expect(list[2].rule).to.equal("`os.makedirs()` takes no `exists_ok=` argument: pass `exist_ok=` instead (2 of 2 fixes).");
  });

  it("keeps a fix's unrelated edits out of the example and out of the fix aggregates", async () => {
    const numpy = (await rules()).find((r) => r.pattern.includes("numpy.ndarray"));
    expect(numpy.example).to.deep.equal({ wrong: "samples.append(9)", right: "samples = np.append(samples, 9)" });
    const { error_patterns } = (await get(`${url}/api/logs/error-patterns?library=numpy`)).body;
    const descriptions = error_patterns[0].fixes.map((f: any) => f.description);
    expect(descriptions.join("\n")).to.not.match(/sys/);
    expect(descriptions).to.include("in 1 of 3 fixes of this pattern, `samples.append` was replaced by `np.append`");
  });

  it("ranks a mistake retried four times in one session below one seen in two sessions", async () => {
    const list = await rules();
    const dirs = list.findIndex((r) => r.pattern.includes("exists_ok"));
    const clockRule = list.findIndex((r) => r.pattern === "AttributeError: module 'time' has no attribute 'clock'");
    expect(list[clockRule].evidence).to.include({ failures: 4, sessions: 1, fixed: 4 });
    expect(list[clockRule].rule).to.equal("`time.clock` does not exist: use `time.perf_counter` instead, as the fixes did (4 of 4 fixes).");
    expect(dirs).to.be.lessThan(clockRule);
  });

  it("makes no rule of one-off slips of a script's own names, and no placeholders anywhere in the prompt", async () => {
    const list = await rules();
    for (const name of ["totl", "reslt", "imagename"]) expect(list.map((r) => r.pattern).join("\n")).to.not.include(`'${name}'`);
    expect(list.map((r) => r.lesson)).to.not.include("slips");
    const { context } = (await get(`${url}/api/logs/ai-context?max_rules=20&max_chars=20000`)).body;
    expect(context).to.not.match(PLACEHOLDER);
    for (const r of list) expect(r.rule).to.not.match(PLACEHOLDER);
  });

  it("filters the AI context by library, category and ai_model, caps it with max_rules (max_examples too), and says so", async () => {
    const ctx = async (query: string) => (await get(`${url}/api/logs/ai-context?${query}`)).body;
    const numpy = await ctx("library=numpy&format=json");
    expect(numpy.filters).to.deep.equal({ library: "numpy" });
    expect(numpy.rules.map((r: any) => r.pattern)).to.deep.equal(["AttributeError: 'numpy.ndarray' object has no attribute 'append'"]);
    const attribute = await ctx("category=attribute_error");
    expect(attribute.rules.map((r: any) => r.category)).to.deep.equal(["attribute_error", "attribute_error"]);
    const model = await ctx("ai_model=model-np");
    expect(model.filters).to.deep.equal({ ai_model: "model-np" });
    expect(model.rules.map((r: any) => r.evidence.sessions)).to.deep.equal([3]);
    expect((await ctx("max_rules=1")).rules).to.have.length(1);
    expect((await ctx("max_examples=2")).max_rules).to.equal(2);
    const bad = await get(`${url}/api/logs/ai-context?max_rules=1&max_examples=2`);
    expect(bad.status).to.equal(400);
    expect((await get(`${url}/api/logs/ai-context?category=nonsense`)).status).to.equal(400);
  });

  it("calls a session resolved only when its last attempt succeeded or every failure was fixed", async () => {
    const session = async (id: string) => (await get(`${url}/api/logs/session/${id}`)).body.session;
    expect(await session("late-failure")).to.include({ resolved: false, unfixed_failures: 1 });
    expect(await session("slip-3")).to.include({ resolved: false });
    expect(await session("clock")).to.include({ resolved: true, unfixed_failures: 0 });
    const { summary } = (await get(`${url}/api/logs/summary`)).body;
    expect(summary).to.include({ total_sessions: 13, resolved_sessions: 11 });
  });
});

describe("rules from the original system's real logs", function () {
  this.timeout(60_000);
  let server: RunningServer;
  before(async () => {
    const events = path.join(tempDir(), "events");
    const imported = await runCli(["import", "--seed-logs", SEED_LOGS, "--events-dir", events]);
    expect(imported.code, imported.stderr).to.equal(0);
    server = await startInProcess(events);
  });
  after(async () => {
    await server.stop();
    removeTempDirs();
  });

  it("puts the three API facts first and makes no rule of a slip", async () => {
    const { rules, context } = (await get(`${server.url}/api/logs/ai-context?max_rules=20&max_chars=20000`)).body;
    expect(rules.slice(0, 3).map((r: any) => r.pattern)).to.deep.equal([
      "TypeError: AppendNotes() got an unexpected keyword argument 'targetLayerGuid'",
      "AttributeError: module 'MapsBridge' has no attribute 'GetChannels'",
      "AttributeError: module 'matplotlib.cm' has no attribute 'get_cmap'",
    ]);
    expect(rules[0].example.right).to.include("targetLayerGroupName=");
    expect(rules[1].example).to.deep.equal({ wrong: "existing_channels = MapsBridge.GetChannels(outputTileSet.Guid)", right: "" });
    expect(rules[2].rule).to.include("`plt.get_cmap`");
    for (const slip of ["tileInfoq", "request", "rgb_array", "image_channel_name"])
      expect(rules.flatMap((r: any) => r.patterns).join("\n")).to.not.include(`'${slip}'`);
    expect(context).to.not.match(PLACEHOLDER);
    expect(context).to.include("Never put `#` inside an f-string");
  });
});

describe("the slips aggregate", () => {
  const slip = (name: string, session: string): PatternEvidence => ({
    pattern: `NameError: name '${name}' is not defined`,
    error_type: "NameError",
    error_category: "name_error",
    template: `name '${name}' is not defined`,
    message: `name '${name}' is not defined`,
    failures: 2,
    fixed: 1,
    sessions: [session],
    fixed_sessions: [session],
    recency: 1,
    last_seen: `2026-11-20T10:0${session.length % 10}:00Z`,
    slip: true,
    suggestion: null,
    failing_line: `print(${name})`,
    library: null,
    fixes: [],
    example: null,
    removal: null,
    alternatives: [],
  });

  it("is one rule, ranked by its own sessions, only once slips were seen in five sessions", () => {
    const four = ["a1", "b22", "c333", "d4444"].map((s, i) => slip(`nm${i}`, s));
    expect(recommendations(four)).to.deep.equal([]);
    const rules = recommendations([...four, slip("nm9", "e5")]);
    expect(rules).to.have.length(1);
    expect(rules[0]).to.include({ id: "slips", lesson: "slips" });
    expect(rules[0].evidence).to.include({ failures: 10, sessions: 5, fixed: 5 });
    expect(rules[0].rule).to.match(
      /^Check that every name you use is defined in the script and spelled as defined: 10 slips seen in 5 sessions, e\.g\. /,
    );
  });
});
