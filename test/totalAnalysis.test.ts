// Derivation is total and linear (issue 11, defects 1 and 2): any attempt within the body limit is analysed
// without throwing, within the analyzer's budget, and then stored and served by every endpoint, across a
// restart and a rebuild.
import { expect } from "chai";
import fc from "fast-check";
import path from "node:path";
import { MAX_CODE_CHARS, MAX_FRAMES, MAX_MESSAGE_CHARS } from "../src/analysis/limits.js";
import type { RunningServer } from "../src/cli/serve.js";
import type { AttemptFailedData, AttemptSucceededData } from "../src/events/types.js";
import { deriveFailure, deriveSuccess } from "../src/projections/attemptFacts.js";
import { DerivationPool } from "../src/service/derivationPool.js";
import { PATHOLOGICAL } from "./helpers/pathological.js";
import { get, post, removeTempDirs, runCli, startInProcess, tempDir } from "./helpers/server.js";

const base = { log_id: "a", session_id: "s", timestamp: "2026-11-25T10:00:00.000Z", request_hash: "h", session_assigned: false };
const failure = (fields: Record<string, unknown>) => ({ ...base, ...fields, status: undefined }) as unknown as AttemptFailedData;
const success = (code: string) => ({ ...base, code }) as unknown as AttemptSucceededData;

// Fragments that open, nest and leave open everything the tokenizer and the summary track.
const CODE_PIECES = [
  "if a:",
  "else:",
  "lambda ",
  "lambda x: ",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  'f"',
  "f'",
  '"',
  "'",
  '"""',
  "{a:",
  "!r",
  "}",
  ":",
  "=",
  ",",
  ";",
  "\\",
  "\n",
  "\n    ",
  " ",
  "for x in ",
  "import os",
  "from a import (b,",
  "class E(ValueError):",
  "def f(",
  "->",
  "@d",
  "match x:",
  "case 1:",
  "x.y.z(",
  "#",
  ":=",
  "*",
  "**",
  "async ",
  "with a as b:",
  "except* E as e:",
  "del a[0], b",
  "x: int = 1",
  "\r",
  "é",
  "𝔵",
];
const STDERR_PIECES = [
  "Traceback (most recent call last):\n",
  '  File "/tmp/main.py", line 3, in f\n',
  '  File "x", line 1 in g\n',
  "    f()\n",
  "    ^^^^\n",
  "ValueError: bad 'x'\n",
  "NameError: name 'np' is not defined. Did you mean: 'n'?\n",
  "  + Exception Group Traceback (most recent call last):\n",
  "  +-+---------------- 1 ----------------\n",
  "    | ",
  "    +------------------------------------\n",
  "+----",
  "---",
  " 2 ",
  "Fatal Python error: Segmentation fault\n",
  "\nThe above exception was the direct cause of the following exception:\n\n",
  "[Previous line repeated 996 more times]\n",
  "\\'",
  "'",
  '"',
  "(1, ",
  "0x1f ",
  "/a/b/c.py ",
  "\x1b[31m",
  "\r\n",
  "\r",
  " ",
];
const pieces = (list: string[]) => fc.array(fc.constantFrom(...list), { maxLength: 300 }).map((p) => p.join(""));
const anyText = fc.oneof(pieces(CODE_PIECES), pieces(STDERR_PIECES), fc.string({ unit: "binary", maxLength: 400 }));

describe("derivation is total and linear", () => {
  for (const c of PATHOLOGICAL) {
    it(`derives facts from ${c.name} (8× its defect's size) without throwing`, () => {
      const body = c.body(8);
      const derived = deriveFailure(failure(body));
      expect(derived.analysis_error).to.equal(null);
      expect(derived.pattern).to.be.a("string");
      expect(derived.frames.length).to.be.at.most(MAX_FRAMES);
      expect(deriveSuccess(success(String(body.code))).analysis_error).to.equal(null);
    });
  }

  it("reads the code and stderr only within its budget, and says what it left unread", () => {
    const longCode = "import numpy\n" + "x = 1\n".repeat(MAX_CODE_CHARS / 4) + "import pandas\n";
    const frames = Array.from({ length: 1000 }, (_, i) => `  File "/tmp/main.py", line ${i}, in f\n    f()\n`).join("");
    const stderr =
      "noise\n".repeat(20_000) + "Traceback (most recent call last):\n" + frames + "RecursionError: maximum recursion depth exceeded\n";
    const derived = deriveFailure(failure({ code: longCode, stderr }));
    expect(derived.libraries).to.deep.equal(["numpy"]); // pandas lies beyond the budget
    expect(derived.error_type).to.equal("RecursionError");
    expect(derived.frames).to.have.length(MAX_FRAMES);
    expect(derived.frames[MAX_FRAMES - 1].line).to.equal(999);
    expect(derived.frames_omitted).to.equal(1000 - MAX_FRAMES);
    expect(derived.analysis_partial).to.deep.equal([
      `code: the first 262144 of ${longCode.length} characters were read`,
      `stderr: the last 65536 of ${stderr.length} characters were read`,
      "frames: the innermost 200 were kept, 800 outer ones left out",
    ]);
    expect(deriveFailure(failure({ code: "x", stderr: "boom" })).analysis_partial).to.deep.equal([]);
  });

  it("a derivation that throws yields facts marked analysis_error, keeping what the client said", () => {
    const crash = () => {
      throw new RangeError("Maximum call stack size exceeded");
    };
    const derived = deriveFailure(failure({ code: "x", error_type: "ValueError", error_message: "bad" }), crash);
    expect(derived.analysis_error).to.equal("RangeError: Maximum call stack size exceeded");
    expect(derived).to.include({ error_type: "ValueError", error_message: "bad", error_category: "unknown" });
    expect(derived.pattern).to.equal("ValueError: ");
    expect(deriveSuccess(success("x"), crash).analysis_error).to.equal("RangeError: Maximum call stack size exceeded");
  });

  it("never throws on generated code and stderr, and its output stays bounded", function () {
    this.timeout(60_000);
    fc.assert(
      fc.property(anyText, anyText, fc.option(anyText), (code, stderr, message) => {
        const derived = deriveFailure(failure({ code, stderr, return_code: 1, ...(message === null ? {} : { error_message: message }) }));
        expect(derived.analysis_error).to.equal(null);
        expect(derived.frames.length).to.be.at.most(MAX_FRAMES);
        expect(derived.pattern.length).to.be.at.most((derived.error_type ?? "(no exception)").length + 2 + 3 * MAX_MESSAGE_CHARS);
        expect(deriveSuccess(success(code)).analysis_error).to.equal(null);
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});

describe("a dead derivation worker", () => {
  it("is replaced: the requests it held are derived by the projection, later ones by the new worker", async () => {
    const pool = new DerivationPool(1);
    try {
      const prepared: unknown[] = [];
      const models = { prepareFacts: (data: unknown) => void prepared.push(data) };
      const slots = (pool as unknown as { slots: Array<{ worker: { terminate(): Promise<number> } }> }).slots;
      const dying = slots[0].worker;
      const held = pool.prepare(models, "AttemptSucceeded", success("x = 1"));
      await dying.terminate();
      await held; // resolves (the projection derives these facts itself)
      expect(slots[0].worker).not.to.equal(dying);
      const later = success("y = 2");
      await pool.prepare(models, "AttemptSucceeded", later);
      expect(prepared).to.include(later);
    } finally {
      await pool.close();
    }
  });
});

describe("pathological attempts are stored and served by every endpoint, across restart and rebuild", function () {
  this.timeout(120_000);
  let server: RunningServer;
  let events: string;
  const ids = PATHOLOGICAL.map((_, i) => `p${i}`);

  const readEverything = async (url: string) => {
    const entries = await Promise.all(ids.map((id) => get(`${url}/api/logs/log/${id}`)));
    for (const [i, res] of entries.entries()) expect(res.status, PATHOLOGICAL[i].name).to.equal(200);
    const lists = await Promise.all(
      [
        "failures?limit=1000",
        "successes",
        "summary",
        "analysis",
        "error-patterns",
        "recommendations",
        "ai-context",
        "session/pathological",
      ].map((p) => get(`${url}/api/logs/${p}`)),
    );
    for (const res of lists) expect(res.status).to.equal(200);
    return { entries: entries.map((e) => e.body.log), lists: lists.map((l) => l.body) };
  };

  before(async () => {
    events = path.join(tempDir(), "events");
    server = await startInProcess(events);
  });
  after(async () => {
    await server?.stop();
    removeTempDirs();
  });

  it("answers 201 to each, and every endpoint serves them", async () => {
    for (const [i, c] of PATHOLOGICAL.entries()) {
      const res = await post(`${server.url}/api/logs/attempts`, { ...c.body(1), log_id: ids[i], session_id: "pathological" });
      expect(res.status, c.name).to.equal(201);
    }
    // a fix between two huge, wholly different scripts: the diff and the name pairing stay within budget
    const names = (prefix: string) => Array.from({ length: 20_000 }, (_, i) => `${prefix}${i} = 1`).join("\n");
    expect(
      (await post(`${server.url}/api/logs/attempts`, { status: "failed", code: names("a"), log_id: "big-failure", session_id: "big" }))
        .status,
    ).to.equal(201);
    const fixed = await post(`${server.url}/api/logs/attempts`, {
      status: "success",
      code: names("b"),
      previous_attempt_id: "big-failure",
    });
    expect(fixed.status).to.equal(201);
    expect(fixed.body.fixed).to.deep.equal(["big-failure"]);
    const { entries, lists } = await readEverything(server.url);
    expect(entries.map((e) => e.analysis_error)).to.satisfy((errors: unknown[]) => errors.every((e) => e === null));
    expect(lists[0].count).to.equal(PATHOLOGICAL.length + 1);
    expect((await get(`${server.url}/health`)).status).to.equal(200);
  });

  it("serves the same after a restart, and a rebuild replays them", async () => {
    const before = await readEverything(server.url);
    await server.stop();
    server = await startInProcess(events);
    expect(await readEverything(server.url)).to.deep.equal(before);
    await server.stop();
    const rebuilt = await runCli(["rebuild", "--events-dir", events, "--out", path.join(events, "..", "rebuilt"), "--json"]);
    expect(rebuilt.code, rebuilt.stderr).to.equal(0);
    expect(JSON.parse(rebuilt.stdout).events).to.be.greaterThan(PATHOLOGICAL.length);
    server = await startInProcess(events);
  });
});
