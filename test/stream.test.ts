import { expect } from "chai";
import net from "node:net";
import path from "node:path";
import type { RunningServer } from "../src/cli/serve.js";
import { get, post, removeTempDirs, startInProcess, tempDir } from "./helpers/server.js";
import { openStream, type SseClient } from "./helpers/sse.js";

const failure = (logId: string, extra: object = {}) => ({
  status: "failed",
  log_id: logId,
  code: "import numpy\narr = np.zeros(3)\n",
  stderr:
    "Traceback (most recent call last):\n  File \"/tmp/job/main.py\", line 2, in <module>\n    arr = np.zeros(3)\nNameError: name 'np' is not defined\n",
  return_code: 1,
  ...extra,
});
const success = (logId: string, extra: object = {}) => ({
  status: "success",
  log_id: logId,
  code: "import numpy as np\narr = np.zeros(3)\n",
  ...extra,
});

const attemptIds = (client: SseClient) => client.messages.filter((m) => m.event === "attempt").map((m) => m.data.log_id);

describe("live stream: GET /api/logs/stream (Server-Sent Events)", () => {
  let server: RunningServer;
  let url: string;
  const clients: SseClient[] = [];
  const connect = async (headers: Record<string, string> = {}, query = "") => {
    const client = await openStream(`${url}/api/logs/stream${query}`, headers);
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    const stream = { heartbeatMs: 50, clientBufferBytes: 256 * 1024 };
    server = await startInProcess(path.join(tempDir(), "events"), undefined, { stream });
    url = server.url;
  });
  afterEach(async () => {
    // The server ends the streams: a client that aborts leaves its HTTP client a spare connection to wait for.
    await server.stop();
    clients.splice(0).forEach((c) => c.close());
    removeTempDirs();
  });

  it("delivers appended attempts and their fixes in log order, each with its seq as id", async () => {
    await post(`${url}/api/logs/attempts`, failure("before"));
    const client = await connect();
    expect(client.status).to.equal(200);
    // Concurrent writes: the stream follows the log's order, whatever order the requests finish in.
    const ids = Array.from({ length: 12 }, (_, i) => `a${i}`);
    await Promise.all(ids.map((id) => post(`${url}/api/logs/attempts`, failure(id))));
    await post(`${url}/api/logs/attempts`, failure("s-fail", { session_id: "s1" }));
    await post(`${url}/api/logs/attempts`, success("s-fix", { session_id: "s1" }));
    await client.until((c) => c.messages.some((m) => m.event === "fix"), "the fix");

    const attempts = client.messages.filter((m) => m.event === "attempt");
    expect(
      attempts.map((m) => m.data.log_id),
      "only what was appended after connecting",
    ).to.not.include("before");
    expect(attempts.map((m) => m.data.log_id).sort()).to.deep.equal([...ids, "s-fail", "s-fix"].sort());
    // (The 12 failures are a new pattern, so an anomaly message, without an id, may be among them.)
    const seqs = client.messages.filter((m) => m.event !== "anomaly").map((m) => Number(m.id));
    expect(seqs, "ids are seqs, increasing").to.deep.equal([...seqs].sort((a, b) => a - b));
    expect(new Set(attempts.map((m) => m.id)).size).to.equal(attempts.length);
    expect(attempts[0].data).to.include({ status: "failed", error_type: "NameError", error_category: "name_error" });
    expect(attempts[0].data.pattern).to.equal("NameError: name 'np' is not defined");
    const fix = client.messages.find((m) => m.event === "fix")!;
    expect(fix.data).to.include({ failure_log_id: "s-fail", success_log_id: "s-fix", session_id: "s1", inferred: false });
    expect(Number(fix.id)).to.be.greaterThan(Number(attempts.at(-1)!.id));
  });

  it("resumes after Last-Event-ID: what was missed from the log, then live, nothing twice", async () => {
    const first = await connect();
    for (const id of ["r1", "r2", "r3"]) await post(`${url}/api/logs/attempts`, failure(id));
    await first.until((c) => attemptIds(c).length === 3, "three attempts");
    const lastSeen = first.lastEventId!;
    first.close();

    // Missed while disconnected, including a fix (its own FixRecorded event).
    await post(`${url}/api/logs/attempts`, failure("m1", { session_id: "sm" }));
    await post(`${url}/api/logs/attempts`, success("m2", { session_id: "sm" }));
    const resumed = await connect({ "Last-Event-ID": lastSeen });
    await resumed.until((c) => c.messages.some((m) => m.event === "fix"), "the missed fix");
    await post(`${url}/api/logs/attempts`, failure("live1"));
    await resumed.until((c) => attemptIds(c).includes("live1"), "the live attempt");

    expect(attemptIds(resumed)).to.deep.equal(["m1", "m2", "live1"]);
    const logged = resumed.messages.filter((m) => m.event !== "anomaly");
    expect(logged.map((m) => m.event)).to.deep.equal(["attempt", "attempt", "fix", "attempt"]);
    const seqs = logged.map((m) => Number(m.id));
    expect(seqs[0]).to.equal(Number(lastSeen) + 1);
    expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));

    // ?after= does the same for a client that keeps its own position.
    const fromStart = await connect({}, "?after=0");
    await fromStart.until((c) => attemptIds(c).includes("live1"), "the whole log");
    expect(attemptIds(fromStart)).to.deep.equal(["r1", "r2", "r3", "m1", "m2", "live1"]);
  });

  it("sends heartbeats while idle", async () => {
    const client = await connect();
    await client.until((c) => c.comments.filter((t) => t.startsWith("heartbeat")).length >= 2, "two heartbeats");
  });

  it("refuses a Last-Event-ID that is not a seq of this log, with a clear error", async () => {
    const bad = await fetch(`${url}/api/logs/stream`, { headers: { "Last-Event-ID": "abc" } });
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as any).error.code).to.equal("invalid_argument");
    const beyond = await fetch(`${url}/api/logs/stream`, { headers: { "Last-Event-ID": "99" } });
    expect(beyond.status).to.equal(400);
    expect((await get(`${url}/api/logs/stream?after=-1`)).body.error.code).to.equal("invalid_query");
  });

  it("drops a client that stops reading once its buffer passes the limit, and keeps serving the others", async () => {
    const reader = await connect();
    // A raw connection that sends its request and then never reads.
    const stalled = net.connect(Number(new URL(url).port), "127.0.0.1");
    await new Promise((resolve) => stalled.once("connect", resolve));
    stalled.write(`GET /api/logs/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
    stalled.pause();
    await new Promise<void>((resolve) => {
      const poll = () => (server.stream.clientCount === 2 ? resolve() : setImmediate(poll));
      poll();
    });
    const big = "x".repeat(64 * 1024);
    // Anomaly messages are published straight to the clients: push until the stalled one is dropped, the
    // reading one taking each before the next.
    for (let i = 0; i < 2000 && server.stream.dropped === 0; i++) {
      server.stream.publish([{ id: null, event: "anomaly", data: { i, big } }]);
      await reader.until((c) => c.messages.at(-1)?.data.i === i, `anomaly ${i}`);
    }
    expect(server.stream.dropped).to.equal(1);
    expect(server.stream.clientCount).to.equal(1);
    stalled.destroy();
    await post(`${url}/api/logs/attempts`, failure("after-drop"));
    await reader.until((c) => attemptIds(c).includes("after-drop"), "the reader still served");
  });
});
