import { expect } from "chai";
import path from "node:path";
import type { RunningServer } from "../src/cli/serve.js";
import { get, post, removeTempDirs, startInProcess, tempDir } from "./helpers/server.js";

const failure = {
  status: "failed",
  code: "import os\nos.makedir('out')\n",
  stderr:
    "Traceback (most recent call last):\n  File \"/tmp/job/main.py\", line 2, in <module>\n    os.makedir('out')\n" +
    "AttributeError: module 'os' has no attribute 'makedir'. Did you mean: 'makedirs'?\n",
  return_code: 1,
  user_prompt: "save tiles into out/",
  ai_model: "model-a",
  image_filename: "tile.png",
};
const fixed = {
  status: "success",
  code: "import os\nos.makedirs('out', exist_ok=True)\n",
  output_files: ["out/a.png"],
  execution_time_seconds: 0.5,
};

describe("REST API (real server, ephemeral port)", () => {
  let server: RunningServer;
  let url: string;

  beforeEach(async () => {
    server = await startInProcess(path.join(tempDir(), "events"));
    url = server.url;
  });
  afterEach(async () => {
    await server.stop();
    removeTempDirs();
  });

  it("records the seed flow: failure, a retry that fails again, then the fix that resolves the session", async () => {
    const f1 = await post(`${url}/api/logs/attempts`, { ...failure, log_id: "f1" });
    expect(f1.status).to.equal(201);
    expect(f1.body).to.include({
      success: true,
      log_id: "f1",
      status: "failed",
      error_type: "AttributeError",
      error_category: "attribute_error",
    });
    expect(f1.body.fixed).to.deep.equal([]);
    const session = f1.body.session_id;
    expect(session).to.match(/^[0-9a-f-]{36}$/);

    const f2 = await post(`${url}/api/logs/attempts`, {
      status: "failed",
      code: "x = 1 +\n",
      previous_attempt_id: "f1",
      log_id: "f2",
      stderr: '  File "/tmp/job/main.py", line 1\n    x = 1 +\n           ^\nSyntaxError: invalid syntax\n',
      return_code: 1,
    });
    expect(f2.body.session_id, "inherits the session of previous_attempt_id").to.equal(session);
    expect(f2.body.error_category).to.equal("syntax_error");

    const s = await post(`${url}/api/logs/attempts`, { ...fixed, log_id: "s1", previous_attempt_id: "f2" });
    expect(s.status).to.equal(201);
    expect(s.body).to.include({ session_id: session, status: "success", error_type: null, error_category: null });
    expect(s.body.fixed).to.deep.equal(["f1", "f2"]);

    const one = await get(`${url}/api/logs/log/f1`);
    expect(one.body.log).to.include({
      log_id: "f1",
      fixed_by: "s1",
      error_type: "AttributeError",
      error_message: "module 'os' has no attribute 'makedir'",
    });
    expect(one.body.log.code_hash).to.match(/^[0-9a-f]{32}$/);
    expect(one.body.log.tags).to.include("error:attribute_error");

    const sess = await get(`${url}/api/logs/session/${session}`);
    expect(sess.body.session).to.include({ session_id: session, attempt_count: 3, failure_count: 2, success_count: 1, resolved: true });
    expect(sess.body.attempts.map((a: any) => a.log_id)).to.deep.equal(["f1", "f2", "s1"]);
    expect(sess.body.attempts[1].previous_attempt_id).to.equal("f1");

    const summary = (await get(`${url}/api/logs/summary`)).body.summary;
    expect(summary).to.deep.equal({
      total_attempts: 3,
      total_failures: 2,
      total_successes: 1,
      success_rate: 1 / 3,
      recent_success_rate_7d: 1 / 3,
      total_sessions: 1,
      resolved_sessions: 1,
      first_attempt_success_rate: 0,
      avg_attempts_to_success: 3,
      unfixed_failures: 0,
      trend_status: "insufficient_data",
    });
  });

  it("serves every read endpoint in the documented shape", async () => {
    await post(`${url}/api/logs/attempts`, { ...failure, log_id: "a" });
    await post(`${url}/api/logs/attempts`, { ...failure, log_id: "b", timestamp: "2020-01-01T00:00:00Z" });
    await post(`${url}/api/logs/attempts`, { ...fixed, log_id: "c", session_id: "solo" });

    const failures = await get(`${url}/api/logs/failures?limit=50&unfixed_only=false`);
    expect(failures.body.count).to.equal(2);
    expect(
      failures.body.failures.map((f: any) => f.log_id),
      "newest first by timestamp",
    ).to.deep.equal(["a", "b"]);
    for (const key of [
      "log_id",
      "session_id",
      "timestamp",
      "status",
      "code",
      "code_hash",
      "user_prompt",
      "ai_model",
      "image_filename",
      "previous_attempt_id",
      "tags",
      "error_message",
      "error_type",
      "stderr",
      "stdout",
      "return_code",
      "fixed_by",
      "error_category",
    ]) {
      expect(failures.body.failures[0], key).to.have.property(key);
    }
    expect((await get(`${url}/api/logs/failures?limit=1`)).body.count).to.equal(1);

    const successes = await get(`${url}/api/logs/successes`);
    expect(successes.body.successes[0]).to.include({ log_id: "c", session_id: "solo", execution_time_seconds: 0.5 });
    expect(successes.body.successes[0].output_files).to.deep.equal(["out/a.png"]);

    const analysis = (await get(`${url}/api/logs/analysis`)).body.analysis;
    expect(analysis.by_error_type[0]).to.include({ error_type: "AttributeError", count: 2, fixed: 0, fix_rate: 0 });
    expect(analysis.by_error_category[0]).to.include({ error_category: "attribute_error", count: 2 });

    const health = await get(`${url}/health`);
    expect(health).to.deep.equal({ status: 200, body: { status: "ok", seq: 3 } });

    const openapi = (await get(`${url}/api/openapi.json`)).body;
    expect(openapi.openapi).to.equal("3.1.0");
    expect(Object.keys(openapi.paths)).to.include.members(["/api/logs/attempts", "/api/logs/failures", "/api/logs/log/{log_id}"]);
    expect(openapi.components.schemas.FailedAttempt.properties.return_code).to.be.an("object");
  });

  it("lists only unfixed failures when asked", async () => {
    const f = await post(`${url}/api/logs/attempts`, { ...failure, log_id: "f" });
    await post(`${url}/api/logs/attempts`, { ...failure, log_id: "g" });
    await post(`${url}/api/logs/attempts`, { ...fixed, session_id: f.body.session_id });
    const unfixed = await get(`${url}/api/logs/failures?unfixed_only=true`);
    expect(unfixed.body.failures.map((x: any) => x.log_id)).to.deep.equal(["g"]);
  });

  it("answers a repeated log_id with the first result, and a conflicting one with 409", async () => {
    const first = await post(`${url}/api/logs/attempts`, { ...failure, log_id: "same" });
    const again = await post(`${url}/api/logs/attempts`, { ...failure, log_id: "same" });
    expect(again.status).to.equal(201);
    expect(again.body).to.deep.equal(first.body);
    expect(again.headers.get("idempotent-replay")).to.equal("true");
    const other = await post(`${url}/api/logs/attempts`, { ...failure, log_id: "same", code: "different" });
    expect(other.status).to.equal(409);
    expect(other.body.error.code).to.equal("conflicting_log_id");
    expect((await get(`${url}/api/logs/summary`)).body.summary.total_attempts).to.equal(1);
  });

  it("treats concurrent repeats of one log_id as one attempt", async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => post(`${url}/api/logs/attempts`, { ...failure, log_id: "race" })));
    expect(new Set(results.map((r) => r.body.session_id)).size).to.equal(1);
    expect((await get(`${url}/api/logs/summary`)).body.summary.total_attempts).to.equal(1);
  });

  it("fixes each failure once even when successes of one session arrive together", async () => {
    const f = await post(`${url}/api/logs/attempts`, { ...failure });
    const results = await Promise.all([1, 2, 3].map(() => post(`${url}/api/logs/attempts`, { ...fixed, session_id: f.body.session_id })));
    expect(results.flatMap((r) => r.body.fixed)).to.deep.equal([f.body.log_id]);
  });

  it("rejects a previous_attempt_id that is unknown or from another session (422)", async () => {
    const unknown = await post(`${url}/api/logs/attempts`, { ...failure, previous_attempt_id: "nope" });
    expect(unknown.status).to.equal(422);
    expect(unknown.body.error.code).to.equal("unknown_previous_attempt");
    await post(`${url}/api/logs/attempts`, { ...failure, log_id: "p", session_id: "s-1" });
    const mismatch = await post(`${url}/api/logs/attempts`, { ...failure, previous_attempt_id: "p", session_id: "s-2" });
    expect(mismatch.status).to.equal(422);
  });

  it("answers unknown ids with 404 and invalid queries with 400, in the error shape", async () => {
    const missing = await get(`${url}/api/logs/log/nope`);
    expect(missing.status).to.equal(404);
    expect(missing.body).to.deep.include({ success: false });
    expect(missing.body.error).to.include({ code: "not_found" });
    expect((await get(`${url}/api/logs/session/nope`)).status).to.equal(404);
    for (const q of ["limit=0", "limit=1001", "limit=ten", "unfixed_only=yes", "unfixed_only=1", "bogus=1", "limit=1&limit=2"]) {
      const res = await get(`${url}/api/logs/failures?${q}`);
      expect(res.status, q).to.equal(400);
      expect(res.body.error.code, q).to.equal("invalid_query");
      expect(res.body.error.message, q).to.be.a("string").and.not.empty;
    }
  });
});
