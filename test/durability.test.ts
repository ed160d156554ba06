import { expect } from "chai";
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, writeFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { replayReadModels } from "../src/service/replay.js";
import { refuseWhileLocked } from "../src/store/lock.js";
import { sessionDrafts, writeSyntheticLog } from "./bench/syntheticLog.js";
import { BIN, get, post, removeTempDirs, spawnServer, startInProcess, tempDir } from "./helpers/server.js";

function attempt(i: number) {
  return i % 3 === 2
    ? { status: "success", code: `print(${i})\n`, session_id: `s${Math.floor(i / 3)}`, log_id: `a${i}` }
    : {
        status: "failed",
        code: `prin(${i})\n`,
        session_id: `s${Math.floor(i / 3)}`,
        log_id: `a${i}`,
        return_code: 1,
        stderr: `Traceback (most recent call last):\n  File "/x/main.py", line 1, in <module>\n    prin(${i})\nNameError: name 'prin' is not defined\n`,
      };
}

async function modelsJson(events: string): Promise<string> {
  const models = await replayReadModels(events);
  return JSON.stringify(models.toJSON());
}

function dailyFile(events: string): string {
  const files = readdirSync(events).filter((f) => f.endsWith(".jsonl"));
  expect(files).to.have.length(1);
  return path.join(events, files[0]);
}

describe("durability and replay", function () {
  // Several child servers per test: generous for a loaded machine; the tests wait for conditions, not time.
  this.timeout(90_000);
  afterEach(removeTempDirs);

  it("rebuilds byte-identical read models after a restart", async () => {
    const events = path.join(tempDir(), "events");
    let server = await startInProcess(events);
    for (let i = 0; i < 30; i++) await post(`${server.url}/api/logs/attempts`, attempt(i));
    const liveSummary = (await get(`${server.url}/api/logs/summary`)).body; // once the read models hold the writes
    const live = JSON.stringify(server.service.models.toJSON());
    await server.stop();
    server = await startInProcess(events);
    expect(JSON.stringify(server.service.models.toJSON())).to.equal(live);
    expect((await get(`${server.url}/api/logs/summary`)).body).to.deep.equal(liveSummary);
    await server.stop();
    expect(await modelsJson(events)).to.equal(live);
  });

  it("loses no acknowledged attempt when the server is SIGKILLed while clients post", async function () {
    this.timeout(60_000);
    const events = path.join(tempDir(), "events");
    const server = await spawnServer(events);
    const acknowledged: string[] = [];
    let stop = false;
    // Killed once enough writes are acknowledged, however slowly a loaded machine gets there.
    let enough!: () => void;
    const enoughAcknowledged = new Promise<void>((resolve) => (enough = resolve));
    const client = async (c: number) => {
      for (let i = 0; !stop; i++) {
        const id = `c${c}-${i}`;
        try {
          const res = await post(`${server.url}/api/logs/attempts`, { status: "failed", code: `x = ${i}`, log_id: id });
          if (res.status === 201) acknowledged.push(id);
          if (acknowledged.length >= 40) enough();
        } catch {
          return; // connection refused or reset: the server is gone
        }
      }
    };
    const clients = Array.from({ length: 16 }, (_, c) => client(c));
    await enoughAcknowledged;
    server.child.kill("SIGKILL");
    await server.exited;
    stop = true;
    await Promise.all(clients);
    expect(acknowledged.length).to.be.at.least(40);

    const restarted = await spawnServer(events);
    for (const id of acknowledged) {
      const res = await get(`${restarted.url}/api/logs/log/${id}`);
      expect(res.status, id).to.equal(200);
    }
    restarted.child.kill("SIGTERM");
    expect(await restarted.exited).to.equal(0);
  });

  it("cuts off a torn final line left by a crash mid-write, and says so", async () => {
    const events = path.join(tempDir(), "events");
    let server = await startInProcess(events);
    for (let i = 0; i < 3; i++) await post(`${server.url}/api/logs/attempts`, attempt(i));
    const seq = server.service.log.chainHead.seq;
    await server.stop();
    const file = dailyFile(events);
    const intact = readFileSync(file);
    appendFileSync(file, '{"data":{"code":"print(1)","log_id":"torn"');
    const child = await spawnServer(events);
    expect(child.output()).to.match(/torn final line/);
    expect(readFileSync(file).equals(intact)).to.equal(true);
    expect((await get(`${child.url}/health`)).body).to.deep.equal({ status: "ok", seq });
    const next = await post(`${child.url}/api/logs/attempts`, attempt(3));
    expect(next.status).to.equal(201);
    child.child.kill("SIGTERM");
    expect(await child.exited).to.equal(0);
    server = await startInProcess(events);
    expect(server.service.models.seq).to.equal(seq + 1);
    await server.stop();
  });

  /** A log of four attempts, written and closed; returns its directory, its one daily file and that file's lines. */
  async function closedLog(): Promise<{ events: string; file: string; lines: string[] }> {
    const events = path.join(tempDir(), "events");
    const server = await startInProcess(events);
    for (let i = 0; i < 4; i++) await post(`${server.url}/api/logs/attempts`, attempt(i));
    await server.stop();
    const file = dailyFile(events);
    return { events, file, lines: readFileSync(file, "utf8").split("\n") };
  }

  async function refusedWith(events: string): Promise<string> {
    try {
      await spawnServer(events);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error("the server started on a corrupt log");
  }

  it("refuses to start on a corrupt middle line, naming file and line", async () => {
    const { events, file, lines } = await closedLog();
    lines[1] = lines[1].slice(0, 40) + "#" + lines[1].slice(41);
    writeFileSync(file, lines.join("\n"));
    const message = await refusedWith(events);
    expect(message).to.include(`${path.basename(file)}:2`);
    expect(message).to.match(/exited with 3/);
  });

  it("refuses to start when a line's content no longer matches its hash", async () => {
    const { events, file, lines } = await closedLog();
    expect(lines[2]).to.include('"log_id":"a2"');
    lines[2] = lines[2].replace('"log_id":"a2"', '"log_id":"a9"');
    writeFileSync(file, lines.join("\n"));
    const message = await refusedWith(events);
    expect(message).to.include(`${path.basename(file)}:3 (seq 3): hash does not match`);
  });

  it("refuses a second writer on the same log, and takes over a stale lock", async () => {
    const events = path.join(tempDir(), "events");
    const first = await spawnServer(events);
    const message = await refusedWith(events);
    expect(message).to.match(/in use by process \d+/);
    first.child.kill("SIGKILL");
    await first.exited;
    const second = await spawnServer(events);
    expect((await get(`${second.url}/health`)).status).to.equal(200);
    second.child.kill("SIGTERM");
    expect(await second.exited).to.equal(0);
  });
});

describe("stopping on SIGTERM at any moment", function () {
  this.timeout(180_000); // each test replays a 20,000-event log in a child: slow on a loaded machine
  afterEach(removeTempDirs);

  /** Runs `scriptlog serve` on a log of 20,000 attempts, sends SIGTERM once its output matches `when`. */
  async function signalWhen(when: RegExp): Promise<{ code: number | null; output: string; dir: string }> {
    const dir = tempDir();
    await writeSyntheticLog(path.join(dir, "events"), sessionDrafts(20_000, 200));
    const child = spawn(process.execPath, [BIN, "serve"], {
      env: { ...process.env, PORT: "0", EVENTS_DIR: path.join(dir, "events"), PROJECTIONS_DIR: path.join(dir, "projections") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let signalled = false;
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (!signalled && when.test(output)) {
        signalled = true;
        child.kill("SIGTERM");
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    return { code, output, dir };
  }

  it("while replaying: stops at once, exits 0 and releases the lock", async () => {
    const { code, output, dir } = await signalWhen(/replaying the whole log/);
    expect(output)
      .to.match(/stopping during start-up/)
      .and.not.match(/listening on/);
    expect(code).to.equal(0);
    await refuseWhileLocked(path.join(dir, "events"), "check"); // nobody holds the lock
  });

  it("the instant it says it listens: shuts down cleanly and leaves its snapshot", async () => {
    const { code, output, dir } = await signalWhen(/listening on/);
    expect(output).to.match(/SIGTERM: finishing in-flight requests/);
    expect(code).to.equal(0);
    expect(existsSync(path.join(dir, "projections", "meta.json"))).to.equal(true);
  });
});
