import { expect } from "chai";
import fc from "fast-check";
import path from "node:path";
import { analyseFailure } from "../src/analysis/failure.js";
import { readExceptionReport } from "../src/analysis/exceptionReport.js";
import type { ExceptionInfo, ExceptionReport } from "../src/events/types.js";
import type { RunningServer } from "../src/cli/serve.js";
import { get, logBytes, post, removeTempDirs, startInProcess, tempDir } from "./helpers/server.js";

const frame = (file: string, line: number, fn: string, source: string, in_app: boolean) => ({ file, line, function: fn, source, in_app });
const exc = (type: string, message: string, more: Partial<ExceptionInfo> = {}): ExceptionInfo => ({ type, message, frames: [], ...more });

// What `python3 main.py` printed, and what the bootstrap reported, for a script whose json.loads failed inside load().
const code =
  "import json\ndef load(s):\n    try:\n        return json.loads(s)\n    except ValueError as e:\n        raise RuntimeError('bad config') from e\nload('{x')\n";
const report: ExceptionReport = {
  python: "3.11.7",
  exceptions: [
    exc("RuntimeError", "bad config", {
      cause: 1,
      context: 1,
      suppress_context: true,
      frames: [
        frame("/tmp/job/main.py", 7, "<module>", "load('{x')", true),
        frame("/tmp/job/main.py", 6, "load", "raise RuntimeError('bad config') from e", true),
      ],
    }),
    exc("json.decoder.JSONDecodeError", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)", {
      frames: [
        frame("/tmp/job/main.py", 4, "load", "return json.loads(s)", true),
        frame("/usr/lib/python3.11/json/__init__.py", 346, "loads", "return _default_decoder.decode(s)", false),
      ],
    }),
  ],
};

describe("structured exceptions: the bootstrap's report as the source of the failure's facts", () => {
  it("given a report and a stderr that disagree, the report wins; stderr stays the fallback", () => {
    const stderr = 'Traceback (most recent call last):\n  File "/tmp/job/main.py", line 1, in <module>\nValueError: something else\n';
    const got = analyseFailure({ code, stderr, return_code: 1, exception: report });
    expect(got).to.include({ error_type: "RuntimeError", error_message: "bad config", error_category: "runtime_error" });
    expect(got.chain).to.deep.equal([{ error_type: "json.decoder.JSONDecodeError", error_message: report.exceptions[1].message }]);
    expect(got.frames.map((f) => f.line)).to.deep.equal([7, 6]);
    expect(analyseFailure({ code, stderr, return_code: 1 }).error_type, "without a report").to.equal("ValueError");
  });

  it("keeps CPython's hint only when stderr names the same exception", () => {
    const stderr =
      "Traceback (most recent call last):\n  File \"/tmp/m.py\", line 1, in <module>\nNameError: name 'raduis' is not defined. Did you mean: 'radius'?\n";
    const named = { exceptions: [exc("NameError", "name 'raduis' is not defined")] };
    expect(analyseFailure({ code: "raduis", stderr, exception: named }).suggestion).to.equal("'radius'");
    expect(analyseFailure({ code: "raduis", stderr, exception: { exceptions: [exc("KeyError", "'x'")] } }).suggestion).to.equal(null);
  });

  it("prints the chain as CPython would: the cause, else the context unless suppressed, oldest first", () => {
    const chain = readExceptionReport({
      exceptions: [exc("C", "c", { context: 1 }), exc("B", "b", { context: 2, suppress_context: true, cause: null }), exc("A", "a")],
    })!.chain;
    expect(chain.map((e) => e.error_type)).to.deep.equal(["B"]);
    const cyclic = readExceptionReport({ exceptions: [exc("C", "c", { context: 1 }), exc("B", "b", { context: 0 })] })!.chain;
    expect(
      cyclic.map((e) => e.error_type),
      "a cycle ends the walk",
    ).to.deep.equal(["B"]);
  });

  it("an ExceptionGroup's members; a SyntaxError's place as its last frame", () => {
    const group = readExceptionReport({
      exceptions: [
        exc("ExceptionGroup", "tiles (2 sub-exceptions)", { members: [1, 2, 99] }),
        exc("ValueError", "a"),
        exc("KeyError", "'b'"),
      ],
    })!;
    expect(
      group.sub_exceptions.map((e) => e.error_type),
      "an index past the list is skipped",
    ).to.deep.equal(["ValueError", "KeyError"]);
    const syntax = readExceptionReport({
      exceptions: [exc("SyntaxError", "'(' was never closed", { syntax: { file: "/tmp/m.py", line: 2, column: 5, text: "y = (2,\n" } })],
    })!;
    expect(syntax.frames).to.deep.equal([{ file: "/tmp/m.py", line: 2, function: null, source: "y = (2," }]);
  });

  it("is total on any report: links anywhere, cycles, long lists — bounded output, no exception", () => {
    const index = fc.oneof(fc.integer({ min: -2, max: 40 }), fc.constant(null));
    const info = fc.record({
      type: fc.string(),
      message: fc.string(),
      frames: fc.array(fc.record({ file: fc.string(), line: fc.oneof(fc.integer(), fc.constant(null)), function: fc.string() }), {
        maxLength: 300,
      }),
      cause: index,
      context: index,
      suppress_context: fc.boolean(),
      members: fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 50 }),
    });
    fc.assert(
      fc.property(fc.array(info, { minLength: 1, maxLength: 60 }), (exceptions) => {
        const got = readExceptionReport({ exceptions })!;
        expect(got.chain.length).to.be.at.most(32);
        expect(got.sub_exceptions.length).to.be.at.most(32);
        expect(got.frames.length).to.be.at.most(200);
      }),
      { numRuns: 200 },
    );
  });
});

describe("POST /api/logs/attempts with an exception report (real server)", () => {
  let server: RunningServer;
  let dir: string;
  beforeEach(async () => {
    dir = path.join(tempDir(), "events");
    server = await startInProcess(dir);
  });
  afterEach(async () => {
    await server.stop();
    removeTempDirs();
  });

  it("derives the error, its frames and the failing line from the report, and serves the report in the entry", async () => {
    const res = await post(`${server.url}/api/logs/attempts`, {
      status: "failed",
      log_id: "r1",
      code,
      return_code: 1,
      stderr: "",
      exception: report,
      execution_time_seconds: 0.05,
    });
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ error_type: "RuntimeError", error_category: "runtime_error" });
    const { body } = await get(`${server.url}/api/logs/log/r1`);
    expect(body.log).to.deep.include({
      error_message: "bad config",
      failing_line: "raise RuntimeError('bad config') from e",
      execution_time_seconds: 0.05,
    });
    expect(body.log.exception).to.deep.equal(report);
  });

  it("refuses a report outside its schema (422, the log unchanged)", async () => {
    await post(`${server.url}/api/logs/attempts`, { status: "failed", code, stderr: "x" });
    const before = logBytes(dir);
    const tooManyFrames = { exceptions: [exc("E", "m", { frames: Array.from({ length: 201 }, () => frame("a.py", 1, "f", "x", true)) })] };
    for (const exception of [
      { exceptions: [] },
      { exceptions: [{ type: "E" }] },
      { exceptions: [exc("E", "m", { cause: 40 })] },
      tooManyFrames,
      { ...report, extra: 1 },
    ]) {
      const res = await post(`${server.url}/api/logs/attempts`, { status: "failed", code, exception });
      expect(res.status, JSON.stringify(exception).slice(0, 80)).to.equal(422);
      expect(res.body.error.code).to.equal("validation_failed");
    }
    const success = await post(`${server.url}/api/logs/attempts`, { status: "success", code, exception: report });
    expect(success.status, "a success has no exception").to.equal(422);
    expect(logBytes(dir)).to.equal(before);
  });
});
