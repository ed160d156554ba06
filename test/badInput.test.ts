import { expect } from "chai";
import path from "node:path";
import type { RunningServer } from "../src/cli/serve.js";
import { logBytes, post, removeTempDirs, startInProcess, tempDir } from "./helpers/server.js";

const JSON_TYPE = { "content-type": "application/json" };

describe("bad input is rejected with a clear error and never changes the log", () => {
  let server: RunningServer;
  let events: string;

  before(async () => {
    events = path.join(tempDir(), "events");
    server = await startInProcess(events, 4096);
    await post(`${server.url}/api/logs/attempts`, { status: "failed", code: "x", log_id: "existing" });
  });
  after(async () => {
    await server.stop();
    removeTempDirs();
  });

  const cases: Array<[string, string | object, Record<string, string>, number, string]> = [
    ["malformed JSON", '{"status": "failed", "code": ', JSON_TYPE, 400, "invalid_json"],
    ["a JSON string instead of an object", '"hello"', JSON_TYPE, 400, "invalid_json"],
    ["a JSON array", "[1, 2]", JSON_TYPE, 422, "validation_failed"],
    ["form-encoded body", "status=failed&code=x", { "content-type": "application/x-www-form-urlencoded" }, 415, "unsupported_media_type"],
    ["text/plain body", "hello", { "content-type": "text/plain" }, 415, "unsupported_media_type"],
    ["no content type", "{}", {}, 415, "unsupported_media_type"],
    ["oversized body", { status: "failed", code: "x".repeat(10_000) }, JSON_TYPE, 413, "payload_too_large"],
    ["missing status", { code: "x" }, JSON_TYPE, 422, "validation_failed"],
    ["unknown status", { status: "maybe", code: "x" }, JSON_TYPE, 422, "validation_failed"],
    ["missing code", { status: "failed" }, JSON_TYPE, 422, "validation_failed"],
    ["unknown field", { status: "failed", code: "x", colour: "red" }, JSON_TYPE, 422, "validation_failed"],
    ["a success-only field on a failure", { status: "failed", code: "x", output_files: [] }, JSON_TYPE, 422, "validation_failed"],
    ["a failure-only field on a success", { status: "success", code: "x", stderr: "boom" }, JSON_TYPE, 422, "validation_failed"],
    ["code of the wrong type", { status: "failed", code: 42 }, JSON_TYPE, 422, "validation_failed"],
    ["return_code as a string", { status: "failed", code: "x", return_code: "1" }, JSON_TYPE, 422, "validation_failed"],
    ["timed_out as a string", { status: "failed", code: "x", timed_out: "yes" }, JSON_TYPE, 422, "validation_failed"],
    ["tags not an array", { status: "failed", code: "x", tags: "a,b" }, JSON_TYPE, 422, "validation_failed"],
    ["negative execution time", { status: "success", code: "x", execution_time_seconds: -1 }, JSON_TYPE, 422, "validation_failed"],
    ["a timestamp that is not ISO-8601", { status: "failed", code: "x", timestamp: "yesterday" }, JSON_TYPE, 422, "validation_failed"],
    ["an impossible date", { status: "failed", code: "x", timestamp: "2025-13-45T00:00:00Z" }, JSON_TYPE, 422, "validation_failed"],
    ["a log_id with a slash", { status: "failed", code: "x", log_id: "../etc" }, JSON_TYPE, 422, "validation_failed"],
    [
      "an unknown previous attempt",
      { status: "failed", code: "x", previous_attempt_id: "ghost" },
      JSON_TYPE,
      422,
      "unknown_previous_attempt",
    ],
    ["a log_id reused with another body", { status: "failed", code: "y", log_id: "existing" }, JSON_TYPE, 409, "conflicting_log_id"],
  ];

  for (const [name, body, headers, status, code] of cases) {
    it(`${name} → ${status} ${code}`, async () => {
      const before = logBytes(events);
      const res = await post(`${server.url}/api/logs/attempts`, body, headers);
      expect(res.status).to.equal(status);
      expect(res.body.success).to.equal(false);
      expect(res.body.error.code).to.equal(code);
      expect(res.body.error.message).to.be.a("string").and.not.empty;
      expect(res.body.error.details).to.be.an("object");
      expect(logBytes(events)).to.equal(before);
    });
  }

  it("names each schema problem in details", async () => {
    const res = await post(`${server.url}/api/logs/attempts`, { status: "failed", code: 1, colour: "red" });
    const paths = res.body.error.details.problems.map((p: any) => `${p.path} ${p.message}`);
    expect(paths).to.include("/ unknown field 'colour'");
    expect(paths).to.include("/code must be string");
  });
});
