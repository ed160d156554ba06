// After a failed write or fsync the service acknowledges nothing until a probe succeeds, then resumes by
// itself; after a failed projection it stops taking writes, so a retry is never appended twice. /health says
// which, and why.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ScriptlogService } from "../src/service/scriptlogService.js";
import { DIRECT_IO, type LogIo } from "../src/store/eventLog.js";
import { get, post, removeTempDirs, serveService, spawnServer, tempDir, until } from "./helpers/server.js";

/** How many stored lines record an attempt with this log_id. */
function linesWith(events: string, logId: string): number {
  return readdirSync(events)
    .filter((f) => f.endsWith(".jsonl"))
    .flatMap((f) => readFileSync(path.join(events, f), "utf8").split("\n"))
    .filter((l) => l.includes(`"log_id":"${logId}"`) && /"type":"Attempt(Failed|Succeeded)"/.test(l)).length;
}

const dailyFile = (events: string) =>
  path.join(
    events,
    readdirSync(events).find((f) => f.endsWith(".jsonl"))!,
  );

/** A service on real files whose writes and fsyncs can be made to fail, served over HTTP in this process. */
async function faultyServer(io: LogIo) {
  const events = path.join(tempDir(), "events");
  const service = await ScriptlogService.open(events, { io, writeProbeMs: 20 });
  await service.start();
  const http = await serveService(service);
  const url = http.url;
  return {
    events,
    url,
    service,
    stop: async () => {
      await http.close();
      await service.close();
    },
  };
}

describe("write faults and failed projections", function () {
  this.timeout(60_000);
  afterEach(removeTempDirs);

  it("after a failed fsync: refuses writes (503, /health degraded), cuts what it never acknowledged, and resumes by itself", async () => {
    let failing = false;
    const io: LogIo = {
      ...DIRECT_IO,
      datasync: async (handle) => {
        if (failing) throw Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" });
        await DIRECT_IO.datasync(handle);
      },
    };
    const server = await faultyServer(io);
    try {
      expect((await post(`${server.url}/api/logs/attempts`, { status: "failed", code: "a", log_id: "a" })).status).to.equal(201);
      const file = dailyFile(server.events);
      const acknowledged = statSync(file).size;
      failing = true;
      const refused = await post(`${server.url}/api/logs/attempts`, { status: "failed", code: "b", log_id: "b" });
      expect(refused.status).to.equal(503);
      expect(refused.body.error.code).to.equal("log_unavailable");
      const health = await get(`${server.url}/health`);
      expect(health.status).to.equal(503);
      expect(health.body).to.include({ status: "degraded" });
      expect(health.body.reason).to.match(/writes refused: EIO/);
      expect(statSync(file).size, "the unacknowledged line was cut").to.equal(acknowledged);
      const kept = readdirSync(server.events).filter((f) => f.includes(".torn-"));
      expect(kept).to.have.length(1);
      expect(readFileSync(path.join(server.events, kept[0]), "utf8")).to.include('"log_id":"b"');
      expect((await post(`${server.url}/api/logs/attempts`, { status: "failed", code: "b", log_id: "b" })).status).to.equal(503);

      failing = false;
      await until(async () => (await get(`${server.url}/health`)).status === 200);
      const retried = await post(`${server.url}/api/logs/attempts`, { status: "failed", code: "b", log_id: "b" });
      expect(retried.status).to.equal(201);
      expect(retried.headers.get("idempotent-replay")).to.equal(null);
      expect(linesWith(server.events, "b")).to.equal(1);
    } finally {
      await server.stop();
    }
    const reopened = await ScriptlogService.open(server.events, {});
    await reopened.start();
    expect(reopened.models.seq).to.equal(2);
    await reopened.close();
  });

  it("after a failed projection: the durable write is acknowledged, then no more are taken, and a retry is not appended again", async () => {
    const server = await faultyServer(DIRECT_IO);
    try {
      const models = server.service.models;
      const apply = models.apply.bind(models);
      models.apply = (event) => {
        if ((event.envelope.data as { log_id?: string }).log_id === "poison") throw new Error("projection failed on purpose");
        return apply(event);
      };
      // Acknowledged once in the log and the write side's state: the read models follow, and here they fail.
      const first = await post(`${server.url}/api/logs/attempts`, { status: "failed", code: "p", log_id: "poison" });
      expect(first.status).to.equal(201);
      await until(async () => (await get(`${server.url}/health`)).status === 503);
      const health = await get(`${server.url}/health`);
      expect(health.body.reason).to.match(/read models stopped following the log: projection failed on purpose/);
      const before = readFileSync(dailyFile(server.events));
      const retry = await post(`${server.url}/api/logs/attempts`, { status: "failed", code: "p", log_id: "poison" });
      expect(retry.status).to.equal(503);
      const other = await post(`${server.url}/api/logs/attempts`, { status: "failed", code: "q", log_id: "other" });
      expect(other.status).to.equal(503);
      expect(readFileSync(dailyFile(server.events)).equals(before)).to.equal(true);
      expect(linesWith(server.events, "poison")).to.equal(1);
    } finally {
      await server.stop();
    }
  });

  describe("on a real full filesystem (a small tmpfs; needs root)", () => {
    let mount: string | null = null;
    before(function () {
      // Not a tempDir(): those are removed after each test, and this one stays mounted until the end.
      const dir = mkdtempSync(path.join(tmpdir(), "scriptlog-tmpfs-"));
      try {
        execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "ignore" });
        mount = dir;
      } catch {
        rmSync(dir, { recursive: true });
        this.skip();
      }
    });
    after(() => {
      if (!mount) return;
      execFileSync("umount", ["-l", mount]);
      rmSync(mount, { recursive: true });
    });

    it("a full disk refuses writes, /health says why, and once space is back writes resume without a restart", async () => {
      const events = path.join(mount!, "events");
      const server = await spawnServer(events, { WRITE_PROBE_MS: "20", PROJECTIONS_DIR: path.join(tempDir(), "projections") });
      try {
        const body = (id: string) => ({ status: "failed", code: `x = '${"y".repeat(8000)}'\n`, log_id: id });
        expect((await post(`${server.url}/api/logs/attempts`, body("first"))).status).to.equal(201);
        const acknowledged = statSync(dailyFile(events)).size;
        // Fill the filesystem.
        const filler = path.join(mount!, "filler");
        const fd = openSync(filler, "w");
        try {
          for (;;) writeSync(fd, Buffer.alloc(64 * 1024));
        } catch (err) {
          expect((err as NodeJS.ErrnoException).code).to.equal("ENOSPC");
        } finally {
          closeSync(fd);
        }
        const refused = await post(`${server.url}/api/logs/attempts`, body("second"));
        expect(refused.status).to.equal(503);
        const health = await get(`${server.url}/health`);
        expect(health.status).to.equal(503);
        expect(health.body.status).to.equal("degraded");
        expect(health.body.reason).to.match(/ENOSPC/);
        expect(statSync(dailyFile(events)).size).to.be.at.least(acknowledged);

        rmSync(filler);
        await until(async () => (await get(`${server.url}/health`)).status === 200);
        expect(server.output())
          .to.match(/writes stopped: .*ENOSPC/)
          .and.match(/writes resumed at seq 1/);
        expect((await post(`${server.url}/api/logs/attempts`, body("second"))).status).to.equal(201);
        expect(linesWith(events, "second")).to.equal(1);
        expect(existsSync(path.join(events, ".write-probe"))).to.equal(false);
      } finally {
        server.child.kill("SIGTERM");
        await server.exited;
      }
    });
  });
});
