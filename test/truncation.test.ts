// Nothing acknowledged is ever cut: a log that ends before what its snapshot or its latest checkpoint proves
// it held is refused, untouched; only an unfinished last line after everything known is cut, and kept aside.
import { expect } from "chai";
import { appendFileSync, readdirSync, readFileSync, rmSync, truncateSync } from "node:fs";
import path from "node:path";
import { post, removeTempDirs, runCli, spawnServer, startInProcess, tempDir, type ChildServer } from "./helpers/server.js";

const failure = (i: number) => ({ status: "failed", code: `print(${i})\nx = y${i}\n`, log_id: `a${i}` });

/** A closed log of `n` attempts written by an in-process server, which leaves its snapshot at seq n. */
async function closedLog(n: number) {
  const root = tempDir();
  const events = path.join(root, "events");
  const server = await startInProcess(events);
  for (let i = 0; i < n; i++) expect((await post(`${server.url}/api/logs/attempts`, failure(i))).status).to.equal(201);
  await server.stop();
  const file = path.join(
    events,
    readdirSync(events).find((f) => f.endsWith(".jsonl"))!,
  );
  return { root, events, file, projections: path.join(root, "projections") };
}

/** Cuts a daily file inside its line `line` (1-based), as a bad copy or a disk fault might. */
function cutInsideLine(file: string, line: number): void {
  const text = readFileSync(file, "utf8");
  let offset = 0;
  for (let i = 1; i < line; i++) offset = text.indexOf("\n", offset) + 1;
  truncateSync(file, offset + 30);
}

/** Every file under a directory with its bytes, to prove nothing was touched. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) out[path.join(entry.parentPath, entry.name)] = readFileSync(path.join(entry.parentPath, entry.name), "latin1");
  return out;
}

async function refused(events: string, env: Record<string, string> = {}): Promise<string> {
  return spawnServer(events, env).then(
    (s: ChildServer) => {
      s.child.kill("SIGKILL");
      throw new Error("the server started");
    },
    (err: Error) => err.message,
  );
}

describe("a log cut short is refused, never cut further", function () {
  this.timeout(60_000);
  afterEach(removeTempDirs);

  it("refuses start-up (exit 3) on a file cut inside line 21 of 50 when the snapshot is at seq 50, and leaves every file as it was", async () => {
    const { root, events, file } = await closedLog(50);
    cutInsideLine(file, 21);
    const before = tree(root);
    const message = await refused(events);
    expect(message).to.match(/exited with 3/);
    expect(message).to.include(`${path.basename(file)}:21 (seq 20): the log ends at seq 20, but the snapshot`);
    expect(message).to.include("events 21..50 are missing");
    expect(tree(root)).to.deep.equal(before);
  });

  it("verify fails on the same log, naming what the snapshot proves is missing", async () => {
    const { events, file, projections } = await closedLog(30);
    cutInsideLine(file, 11);
    const verified = await runCli(["verify", "--events-dir", events, "--projections-dir", projections]);
    expect(verified.code, verified.stdout).to.equal(3);
    expect(verified.stderr).to.match(/FAILED: .*:11 \(seq 10\): the log ends at seq 10, but the snapshot .* events 11\.\.30 are missing/);
  });

  it("refuses a log that ends before its latest signed checkpoint, even with no snapshot", async () => {
    const root = tempDir();
    const events = path.join(root, "events");
    const keygen = await runCli(["keygen", "--out", path.join(root, "k")]);
    expect(keygen.code, keygen.stderr).to.equal(0);
    const server = await spawnServer(events, { SIGNING_KEY: path.join(root, "k.key"), CHECKPOINT_EVERY_EVENTS: "5" });
    for (let i = 0; i < 12; i++) expect((await post(`${server.url}/api/logs/attempts`, failure(i))).status).to.equal(201);
    server.child.kill("SIGTERM");
    expect(await server.exited).to.equal(0);
    rmSync(path.join(root, "projections"), { recursive: true });
    const file = path.join(
      events,
      readdirSync(events).find((f) => f.endsWith(".jsonl"))!,
    );
    cutInsideLine(file, 8);
    const before = tree(root);
    const message = await refused(events);
    expect(message).to.match(/the log ends at seq 7, but the checkpoint checkpoints\/0+12\.note \(seq 12\)/);
    expect(tree(root)).to.deep.equal(before);
  });

  it("refuses a log whose last daily file is gone (no torn line at all)", async () => {
    const { events, file } = await closedLog(3);
    rmSync(file);
    expect(await refused(events)).to.match(/the log ends at seq 0, but the snapshot .* events 1\.\.3 are missing/);
  });

  it("cuts an unfinished last line after everything known, keeping its bytes in a quarantine file beside the log", async () => {
    const { events, file } = await closedLog(3);
    const intact = readFileSync(file);
    const torn = '{"data":{"code":"print(1)","log_id":"torn"';
    appendFileSync(file, torn); // after seq 3, where the snapshot ends
    const server = await spawnServer(events);
    try {
      const quarantined = readdirSync(events).filter((f) => f.startsWith(`${path.basename(file)}.torn-${intact.length}-`));
      expect(quarantined).to.have.length(1);
      expect(readFileSync(path.join(events, quarantined[0]), "utf8")).to.equal(torn);
      expect(readFileSync(file).equals(intact)).to.equal(true);
      expect(server.output()).to.include(`kept in ${quarantined[0]}`);
      expect((await post(`${server.url}/api/logs/attempts`, failure(3))).status).to.equal(201);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });

  it("still uses a snapshot of another log as no evidence: it replays this one", async () => {
    const a = await closedLog(6);
    const b = await closedLog(2);
    const server = await spawnServer(b.events, { PROJECTIONS_DIR: a.projections });
    try {
      expect(server.output()).to.match(/not used: it ends at seq 6, which this log does not hold/);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });
});
