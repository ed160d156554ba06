// Sessions the client did not link, inferred from prompt/image, time and code similarity; and logs
// written before attempts recorded who chose the session (version 1, upcast on read).
import { expect } from "chai";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { RunningServer } from "../src/cli/serve.js";
import { GENESIS_HASH, sealEnvelope } from "../src/events/envelope.js";
import type { Envelope } from "../src/events/types.js";
import { runPython } from "./helpers/python.js";
import { get, post, removeTempDirs, runCli, startInProcess, tempDir } from "./helpers/server.js";

const BROKEN = "import os\nfor name in ['a', 'b']:\n    print(name)\nos.makedir('out')\nprint('done')\n";
const FIXED = "import os\nfor name in ['a', 'b']:\n    print(name)\nos.makedirs('out', exist_ok=True)\nprint('done')\n";
const OTHER = "import json\nprint(json.dumps({'x': 1}))\n";
const at = (minutes: number) => new Date(Date.UTC(2026, 10, 20, 10, minutes)).toISOString();

describe("inferred sessions", function () {
  this.timeout(30_000);
  let server: RunningServer;
  const ids: Record<string, string> = {};
  const attempt = async (name: string, code: string, extra: Record<string, unknown>) => {
    const res = await post(`${server.url}/api/logs/attempts`, { ...runPython(code), ...extra });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    ids[name] = res.body.log_id;
    return res.body;
  };

  before(async () => {
    server = await startInProcess(path.join(tempDir(), "events"));
    // A retry chain the client never linked: same prompt, close in time, similar code.
    await attempt("fail1", BROKEN, { user_prompt: "make the out dir", timestamp: at(0) });
    await attempt("fail2", BROKEN.replace("'b'", "'c'"), { user_prompt: "make the out dir", timestamp: at(5) });
    await attempt("fix", FIXED, { user_prompt: "make the out dir", timestamp: at(9) });
    // Same prompt but other code; same code but too late; same code but linked by the client itself.
    await attempt("other", OTHER, { user_prompt: "make the out dir", timestamp: at(10) });
    await attempt("late", BROKEN, { user_prompt: "make the out dir", timestamp: at(100) });
    await attempt("client", BROKEN, { user_prompt: "make the out dir", timestamp: at(101), session_id: "client-session" });
    await attempt("image1", BROKEN, { image_filename: "tile-7.png", timestamp: at(200) });
    await attempt("image2", FIXED, { image_filename: "tile-7.png", timestamp: at(203) });
  });
  after(async () => {
    await server.stop();
    removeTempDirs();
  });

  it("joins unlinked retries into one session, marked inferred, and lets the success fix the failures before it", async () => {
    const first = (await get(`${server.url}/api/logs/log/${ids.fail1}`)).body.log;
    const { session, attempts } = (await get(`${server.url}/api/logs/session/${first.session_id}`)).body;
    expect(session).to.include({ attempt_count: 3, failure_count: 2, success_count: 1, resolved: true, inferred: true });
    expect(attempts.map((a: any) => a.log_id)).to.deep.equal([ids.fail1, ids.fail2, ids.fix]);
    expect(attempts[0].inferred).to.deep.equal({ session_id: null, previous_attempt_id: null, fixed_by: ids.fix });
    expect(attempts[1].inferred).to.deep.equal({ session_id: first.session_id, previous_attempt_id: ids.fail1, fixed_by: ids.fix });
    expect(attempts[2].inferred).to.deep.equal({ session_id: first.session_id, previous_attempt_id: ids.fail2, fixed_by: null });
    // The client's own fields stay as it sent them (none).
    expect(attempts.map((a: any) => a.previous_attempt_id)).to.deep.equal([null, null, null]);
    expect(attempts.slice(0, 2).map((a: any) => a.fixed_by)).to.deep.equal([null, null]);
    expect(attempts[1].fix_strategy.replaced).to.deep.equal([{ from: "os.makedir", to: "os.makedirs" }]);
    // The session an inferred attempt was first given still finds it.
    const own = (await get(`${server.url}/api/logs/session/${attempts[2].session_id}`)).body;
    expect(own.session.session_id).to.equal(first.session_id);
  });

  it("counts inferred fixes in summaries and patterns", async () => {
    const { summary } = (await get(`${server.url}/api/logs/summary`)).body;
    // failures: fail1, fail2, late, client, image1; fixed by inference: fail1, fail2, image1
    expect(summary).to.include({ total_failures: 5, unfixed_failures: 2 });
    const { error_patterns } = (await get(`${server.url}/api/logs/error-patterns`)).body;
    expect(error_patterns[0]).to.include({ count: 5, fixed: 3 });
    const unfixed = (await get(`${server.url}/api/logs/failures?unfixed_only=true`)).body.failures.map((f: any) => f.log_id);
    expect(unfixed.sort()).to.deep.equal([ids.late, ids.client].sort());
  });

  it("leaves dissimilar code, attempts outside the window and client-linked attempts alone", async () => {
    for (const name of ["other", "late", "client"]) {
      const entry = (await get(`${server.url}/api/logs/log/${ids[name]}`)).body.log;
      expect(entry.inferred, name).to.equal(null);
    }
    const image2 = (await get(`${server.url}/api/logs/log/${ids.image2}`)).body.log;
    expect(image2.inferred.previous_attempt_id, "the same image_filename links too").to.equal(ids.image1);
  });
});

describe("a log written with version 1 attempt events", function () {
  this.timeout(30_000);
  after(() => removeTempDirs());

  it("is upcast on read: it replays and verifies unchanged, and its attempts are never joined by inference", async () => {
    const dir = tempDir();
    const events = path.join(dir, "events");
    mkdirSync(events, { recursive: true });
    let prev = GENESIS_HASH;
    const lines = [BROKEN, FIXED].map((code, i) => {
      const status = i === 0 ? "AttemptFailed" : "AttemptSucceeded";
      const extra = i === 0 ? { stderr: "AttributeError: module 'os' has no attribute 'makedir'\n", return_code: 1 } : {};
      const unsealed = {
        seq: i + 1,
        id: `00000000-0000-4000-8000-00000000000${i}`,
        type: status,
        version: 1,
        recorded_at: at(i),
        data: { log_id: `v1-${i}`, session_id: `v1-session-${i}`, timestamp: at(i), code, user_prompt: "same prompt", ...extra },
        prev_hash: prev,
      } as unknown as Omit<Envelope, "hash">;
      const sealed = sealEnvelope(unsealed);
      prev = sealed.envelope.hash;
      return sealed.line;
    });
    writeFileSync(path.join(events, "2026-11-20.jsonl"), lines.join("\n") + "\n");
    const rebuilt = await runCli(["rebuild", "--json", "--events-dir", events, "--projections-dir", path.join(dir, "projections")]);
    expect(rebuilt.code, rebuilt.stderr).to.equal(0);
    const server = await startInProcess(events);
    try {
      const entry = (await get(`${server.url}/api/logs/log/v1-1`)).body.log;
      expect(entry.inferred, "v1 does not say the service chose the session, so inference keeps out").to.equal(null);
      expect((await get(`${server.url}/api/logs/summary`)).body.summary).to.include({ total_sessions: 2, unfixed_failures: 1 });
    } finally {
      await server.stop();
    }
  });
});
