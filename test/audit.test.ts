// Auditors' tools end to end on real files: verify, signed checkpoints, the raw event stream, point-in-time rebuild.
import { expect } from "chai";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { verifyLog } from "../src/cli/verify.js";
import { sealEnvelope } from "../src/events/envelope.js";
import type { Envelope } from "../src/events/types.js";
import { get, post, removeTempDirs, runCli, spawnServer, tempDir } from "./helpers/server.js";

const logFile = (events: string) =>
  path.join(
    events,
    readdirSync(events).find((f) => f.endsWith(".jsonl"))!,
  );

/** A signed log: a server run with a fresh key, checkpointing every 2 events, given `n` failed attempts. */
async function signedLog(n: number) {
  const dir = tempDir();
  const events = path.join(dir, "events");
  const keygen = await runCli(["keygen", "--name", "audit.test", "--out", path.join(dir, "audit"), "--json"]);
  expect(keygen.code, keygen.stderr).to.equal(0);
  const server = await spawnServer(events, { SIGNING_KEY: path.join(dir, "audit.key"), CHECKPOINT_EVERY_EVENTS: "2" });
  for (let i = 0; i < n; i++) {
    const res = await post(`${server.url}/api/logs/attempts`, {
      status: "failed",
      code: `print(${i})\nx = y${i}\n`,
      stderr: `NameError: name 'y${i}' is not defined\n`,
      log_id: `a${i}`,
    });
    expect(res.status).to.equal(201);
  }
  return { dir, events, pubkey: path.join(dir, "audit.pub"), server };
}

async function stop(server: Awaited<ReturnType<typeof spawnServer>>) {
  server.child.kill("SIGTERM");
  await server.exited;
}

describe("verify and signed checkpoints", function () {
  this.timeout(60_000);
  after(() => removeTempDirs());

  it("signs checkpoints while serving, serves the latest, and verify --pubkey passes an untouched log", async () => {
    const { events, pubkey, server } = await signedLog(5);
    // Checkpoints are written after the events they cover are acknowledged: wait for the one at seq 4.
    let latest = await get(`${server.url}/api/logs/checkpoint`);
    while (latest.body.checkpoint?.seq !== 4) {
      await new Promise((r) => setTimeout(r, 20));
      latest = await get(`${server.url}/api/logs/checkpoint`);
    }
    expect(latest.status).to.equal(200);
    expect(latest.body.checkpoint).to.include({ origin: "audit.test", seq: 4 });
    expect(latest.body.note).to.match(/^audit\.test\n4\n[A-Za-z0-9+/]{43}=\ntime \S+\n\n— audit\.test \S+\n$/);
    await stop(server); // shutdown checkpoints the last event too
    expect(readdirSync(path.join(events, "checkpoints"))).to.have.length(3);
    const ok = await runCli(["verify", "--dir", events, "--pubkey", pubkey]);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(/^ok: 5 events, head seq 5 hash [0-9a-f]{64}; 3 checkpoints, signatures valid\n$/);
  });

  it("fails on a flipped byte anywhere in any line, naming file, line and seq", async () => {
    const { events, server } = await signedLog(3);
    await stop(server);
    const file = logFile(events);
    const original = readFileSync(file);
    const lineStarts = [0, ...[...original.entries()].filter(([, b]) => b === 0x0a).map(([i]) => i + 1)].slice(0, -1);
    for (let at = 0; at < original.length; at += 5) {
      if (original[at] === 0x0a) continue;
      const flipped = Buffer.from(original);
      flipped[at] ^= 0x01;
      writeFileSync(file, flipped);
      const report = await verifyLog(events);
      const line = lineStarts.filter((s) => s <= at).length;
      expect(report.ok, `byte ${at}`).to.equal(false);
      expect(report.problem!.line, `byte ${at}`).to.equal(line);
    }
    writeFileSync(file, original);
    expect((await verifyLog(events)).ok).to.equal(true);
    const tampered = Buffer.from(original);
    tampered[lineStarts[1] + 40] ^= 0x01;
    writeFileSync(file, tampered);
    const cli = await runCli(["verify", "--events-dir", events]);
    expect(cli.code).to.equal(3);
    expect(cli.stderr).to.match(new RegExp(`^FAILED: ${path.basename(file).replace(".", "\\.")}:2 `));
  });

  it("catches a deleted line, and a re-chained rewrite of history through the checkpoint signatures", async () => {
    const { events, pubkey, server } = await signedLog(5);
    await stop(server);
    const file = logFile(events);
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");

    writeFileSync(file, [...lines.slice(0, 2), ...lines.slice(3)].join("\n") + "\n");
    const deleted = await verifyLog(events);
    expect(deleted.problem).to.include({ line: 3, seq: 4 });
    expect(deleted.problem!.reason).to.match(/seq 4 where 3 was expected/);

    // Rewrite event 2's code and re-chain every hash after it: the chain alone is consistent again …
    let prev = (JSON.parse(lines[0]) as Envelope).hash;
    const rewritten = [lines[0]];
    for (const line of lines.slice(1)) {
      const { hash: _h, ...envelope } = JSON.parse(line) as Envelope;
      if (envelope.seq === 2) (envelope.data as { code: string }).code = "print('nothing to see')\n";
      const sealed = sealEnvelope({ ...envelope, prev_hash: prev } as Omit<Envelope, "hash">);
      prev = sealed.envelope.hash;
      rewritten.push(sealed.line);
    }
    writeFileSync(file, rewritten.join("\n") + "\n");
    const chainOnly = await verifyLog(path.join(events)); // checkpoints are still checked against the log …
    expect(chainOnly.ok).to.equal(false);
    expect(chainOnly.problem!.reason).to.match(/no longer extends the checkpoint at seq 2/);

    // … and forging the checkpoints to match needs the private key.
    const checkpoints = path.join(events, "checkpoints");
    for (const name of readdirSync(checkpoints)) {
      const note = readFileSync(path.join(checkpoints, name), "utf8");
      const seq = Number(note.split("\n")[1]);
      const hash = (JSON.parse(rewritten[seq - 1]) as Envelope).hash;
      writeFileSync(path.join(checkpoints, name), note.replace(/^(.*\n.*\n).*\n/, `$1${Buffer.from(hash, "hex").toString("base64")}\n`));
    }
    expect((await verifyLog(events)).ok, "without the key, forged checkpoints look consistent").to.equal(true);
    const signed = await runCli(["verify", "--dir", events, "--pubkey", pubkey, "--json"]);
    expect(signed.code).to.equal(3);
    expect(JSON.parse(signed.stdout).problem.reason).to.match(/no valid signature by audit\.test/);
  });
});

describe("the raw event stream and point-in-time rebuild", function () {
  this.timeout(60_000);
  after(() => removeTempDirs());

  it("streams stored lines byte for byte after a seq, as NDJSON", async () => {
    const { events, server } = await signedLog(4);
    try {
      const lines = readFileSync(logFile(events), "utf8").trimEnd().split("\n");
      const res = await fetch(`${server.url}/api/logs/events?after=1&limit=2`);
      expect(res.headers.get("content-type")).to.match(/^application\/x-ndjson/);
      expect(await res.text()).to.equal(lines.slice(1, 3).join("\n") + "\n");
      expect(await (await fetch(`${server.url}/api/logs/events?after=4`)).text()).to.equal("");
      expect((await get(`${server.url}/api/logs/events?after=-1`)).status).to.equal(400);
    } finally {
      await stop(server);
    }
  });

  it("rebuild --until gives the read models of the log cut at that point, by seq or by time", async () => {
    const { dir, events, server } = await signedLog(6);
    await stop(server);
    const lines = readFileSync(logFile(events), "utf8").trimEnd().split("\n");
    const cut = path.join(dir, "cut");
    mkdirSync(cut);
    writeFileSync(path.join(cut, path.basename(logFile(events))), lines.slice(0, 4).join("\n") + "\n");
    const snapshots = (out: string) => Object.fromEntries(readdirSync(out).map((f) => [f, readFileSync(path.join(out, f), "utf8")]));

    for (const [args, out] of [
      [["--until", "4"], "until-seq"],
      [["--until", (JSON.parse(lines[3]) as Envelope).recorded_at], "until-time"],
    ] as const) {
      const res = await runCli(["rebuild", "--events-dir", events, "--out", path.join(dir, out), ...args, "--json"]);
      expect(res.code, res.stderr).to.equal(0);
      expect(JSON.parse(res.stdout)).to.include({ events: 4, seq: 4 });
    }
    const whole = await runCli(["rebuild", "--events-dir", cut, "--out", path.join(dir, "whole"), "--json"]);
    expect(whole.code, whole.stderr).to.equal(0);
    expect(snapshots(path.join(dir, "until-seq"))).to.deep.equal(snapshots(path.join(dir, "whole")));
    expect(snapshots(path.join(dir, "until-time"))).to.deep.equal(snapshots(path.join(dir, "whole")));
    const bad = await runCli(["rebuild", "--events-dir", events, "--out", path.join(dir, "x"), "--until", "yesterday"]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/--until must be a seq or an ISO-8601 time/);
  });
});
