// Reads say which seq they reflect, and ?min_seq= lets a client read its own writes through any replica.
import { expect } from "chai";
import path from "node:path";
import { readConfig } from "../src/config.js";
import { startServer, type RunningServer } from "../src/cli/serve.js";
import { get, post, removeTempDirs, tempDir } from "./helpers/server.js";

const attempt = (log_id: string) => ({ status: "success", log_id, code: "print('ok')\n" });

describe("reading your own writes: X-Scriptlog-Seq and ?min_seq=", () => {
  let server: RunningServer;
  before(async () => {
    const root = tempDir();
    const config = readConfig(
      {},
      { eventsDir: path.join(root, "events"), projectionsDir: path.join(root, "projections"), port: 0, minSeqWaitMs: 300 },
    );
    server = await startServer(config, () => undefined);
  });
  after(async () => {
    await server.stop();
    removeTempDirs();
  });

  it("given one attempt, every answer carries the seq its read models reflect", async () => {
    const created = await post(`${server.url}/api/logs/attempts`, attempt("w1"));
    expect(created.headers.get("x-scriptlog-seq")).to.equal("1");
    const res = await fetch(`${server.url}/api/logs/summary`);
    expect(res.headers.get("x-scriptlog-seq")).to.equal("1");
    const missing = await fetch(`${server.url}/api/logs/log/nope`);
    expect(missing.status).to.equal(404);
    expect(missing.headers.get("x-scriptlog-seq")).to.equal("1");
  });

  it("when a read asks for a seq not yet reached, it waits for the write that reaches it", async () => {
    const head = Number((await fetch(`${server.url}/api/logs/summary`)).headers.get("x-scriptlog-seq"));
    const waiting = get(`${server.url}/api/logs/log/w2?min_seq=${head + 1}`);
    await post(`${server.url}/api/logs/attempts`, attempt("w2"));
    const res = await waiting;
    expect(res.status).to.equal(200);
    expect(res.body.log.log_id).to.equal("w2");
  });

  it("when the seq is not reached within the configured wait, it answers 503 not_ready with both seqs", async () => {
    const res = await get(`${server.url}/api/logs/summary?min_seq=999999`);
    expect(res.status).to.equal(503);
    expect(res.body.error.code).to.equal("not_ready");
    expect(res.body.error.details.min_seq).to.equal(999999);
  });

  it("refuses a min_seq that is not one plain decimal integer", async () => {
    for (const bad of ["abc", "1e2", "-1", "+5", "0x10"]) {
      const res = await get(`${server.url}/api/logs/summary?min_seq=${encodeURIComponent(bad)}`);
      expect(res.status, bad).to.equal(400);
      expect(res.body.error.code).to.equal("invalid_query");
    }
  });
});
