// The log on a real NATS JetStream: the same service over a stream, mirrored into daily files on each process.
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { readConfig } from "../src/config.js";
import { startServer, type RunningServer } from "../src/cli/serve.js";
import { get, post, removeTempDirs, runCli, spawnServer, tempDir, type ChildServer } from "./helpers/server.js";
import { startNats, stopAllNats, type NatsCluster } from "./helpers/nats.js";
import { postUntilAcknowledged } from "./helpers/retryingClient.js";
import { hash } from "node:crypto";
import { canonicalJson } from "../src/events/envelope.js";
import { JetStreamLog } from "../src/store/jetstream/jetStreamLog.js";

function startOnStream(nats: NatsCluster, stream: string, replicas = 1): Promise<RunningServer> {
  const root = tempDir();
  const config = readConfig(
    {},
    {
      eventsDir: path.join(root, "mirror"),
      projectionsDir: path.join(root, "projections"),
      port: 0,
      jetstream: { url: nats.url, stream, replicas },
    },
  );
  return startServer(config, () => undefined);
}

function dailyFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl"))
    .sort())
    files[f] = readFileSync(path.join(dir, f), "utf8");
  return files;
}

const failure = (log_id: string) => ({
  status: "failed",
  log_id,
  code: "import os\nos.makedir('out')\n",
  stderr:
    "Traceback (most recent call last):\n  File \"/tmp/main.py\", line 2, in <module>\n    os.makedir('out')\nAttributeError: module 'os' has no attribute 'makedir'\n",
  return_code: 1,
});

function jetstreamEnv(nats: NatsCluster, stream: string, replicas = 1): Record<string, string> {
  return { EVENT_STORE: "jetstream", NATS_URL: nats.url, NATS_STREAM: stream, NATS_REPLICAS: String(replicas) };
}

describe("the event log on NATS JetStream (one node)", function () {
  this.timeout(120_000);
  let nats: NatsCluster;
  before(async () => {
    nats = await startNats(1);
  });
  after(async () => {
    await nats?.stop();
    stopAllNats();
    removeTempDirs();
  });

  it("records, links and fixes attempts; a new process catches up from the stream into a byte-identical mirror", async () => {
    const first = await startOnStream(nats, "CONTRACT");
    try {
      const f = await post(`${first.url}/api/logs/attempts`, failure("js-f1"));
      expect(f.status, JSON.stringify(f.body)).to.equal(201);
      const s = await post(`${first.url}/api/logs/attempts`, {
        status: "success",
        log_id: "js-s1",
        previous_attempt_id: "js-f1",
        code: "import os\nos.makedirs('out', exist_ok=True)\n",
      });
      expect(s.body.fixed).to.deep.equal(["js-f1"]);
      const again = await post(`${first.url}/api/logs/attempts`, failure("js-f1"));
      expect(again.status).to.equal(201);
      expect(again.headers.get("idempotent-replay")).to.equal("true");
      expect((await get(`${first.url}/api/logs/log/js-f1`)).body.log.fixed_by).to.equal("js-s1");
    } finally {
      await first.stop();
    }
    const second = await startOnStream(nats, "CONTRACT");
    try {
      const summary = (await get(`${second.url}/api/logs/summary`)).body.summary;
      expect(summary.total_attempts).to.equal(2);
      expect((await get(`${second.url}/api/logs/log/js-f1`)).body.log.fixed_by).to.equal("js-s1");
      const mirrorA = dailyFiles(first.service.log.dir);
      expect(Object.keys(mirrorA)).to.have.length.greaterThan(0);
      expect(dailyFiles(second.service.log.dir)).to.deep.equal(mirrorA);
      expect(second.service.log.chainHead.seq).to.equal(4);
    } finally {
      await second.stop();
    }
  });

  it("two API processes append concurrently into one gapless chain that verify accepts, and each serves every attempt", async () => {
    const env = jetstreamEnv(nats, "SHARED");
    const servers: ChildServer[] = [];
    servers.push(await spawnServer(path.join(tempDir(), "mirror"), env));
    servers.push(await spawnServer(path.join(tempDir(), "mirror"), env));
    const acknowledged = new Set<string>();
    await Promise.all(
      Array.from({ length: 8 }, async (_, client) => {
        for (let i = 0; i < 10; i++) {
          await postUntilAcknowledged(
            servers.map((s) => s.url),
            failure(`c${client}-a${i}`),
            client + i,
          );
          acknowledged.add(`c${client}-a${i}`);
        }
      }),
    );
    expect(acknowledged.size).to.equal(80);
    // The same log_id through the other process is the same attempt, not a second one.
    const repeat = await post(`${servers[1].url}/api/logs/attempts`, failure("c0-a0"));
    expect(repeat.headers.get("idempotent-replay")).to.equal("true");
    // Each replica reads the other's writes once its read models reach the stream's head (?min_seq waits for it).
    for (const server of servers) {
      const totals = await get(`${server.url}/api/logs/summary?min_seq=80`);
      expect(totals.status, JSON.stringify(totals.body)).to.equal(200);
      expect(totals.body.summary.total_attempts).to.equal(80);
    }
    const mirrorDir = path.join(tempDir(), "audit");
    const mirrored = await runCli(["mirror", "--to", mirrorDir, "--json"], env);
    expect(mirrored.code, mirrored.stderr).to.equal(0);
    expect(JSON.parse(mirrored.stdout).head_seq).to.equal(80);
    const verified = await runCli(["verify", "--dir", mirrorDir]);
    expect(verified.code, verified.stdout + verified.stderr).to.equal(0);
    const verifiedOnStream = await runCli(["verify", "--events-dir", path.join(tempDir(), "cli-mirror")], env);
    expect(verifiedOnStream.code, verifiedOnStream.stdout + verifiedOnStream.stderr).to.equal(0);
    expect(verifiedOnStream.stdout).to.match(/ok/);
    for (const server of servers) {
      server.child.kill("SIGTERM");
      expect(await server.exited).to.equal(0);
    }
    // Each process's mirror is the stream byte for byte, as is the audit copy.
    const serverMirrors = servers.map((s) => /events: (\S+),/.exec(s.output())![1]);
    expect(dailyFiles(serverMirrors[0])).to.deep.equal(dailyFiles(mirrorDir));
    expect(dailyFiles(serverMirrors[1])).to.deep.equal(dailyFiles(mirrorDir));
  });

  it("two API processes publish context versions concurrently: one chain of versions, every command kept", async () => {
    const env = jetstreamEnv(nats, "CONTEXTS");
    const servers = [await spawnServer(path.join(tempDir(), "mirror"), env), await spawnServer(path.join(tempDir(), "mirror"), env)];
    try {
      const texts = Array.from({ length: 12 }, (_, i) => `Rule ${i}: create the output directory before writing to it.`);
      // Both processes decide against the catalog as they have projected it; the one whose append loses the race
      // catches up and decides again.
      const published = await Promise.all(texts.map((text, i) => post(`${servers[i % 2].url}/api/contexts`, { text })));
      for (const res of published) expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(new Set(published.map((r) => r.body.context.version)).size).to.equal(12);
      for (const server of servers) {
        const list = await get(`${server.url}/api/contexts?min_seq=12`);
        expect(list.status, JSON.stringify(list.body)).to.equal(200);
        const byVersion = new Map(list.body.contexts.map((c: any) => [c.version, c]));
        expect([...byVersion.values()].map((c: any) => c.text)).to.have.members(texts);
        // Each version's parent is the one before it: every decision saw the one before, whichever process made it.
        for (let n = 1; n <= 12; n++) expect((byVersion.get(`ctx-${n}`) as any)?.parent_version).to.equal(n === 1 ? null : `ctx-${n - 1}`);
        expect(list.body.current).to.equal("ctx-12");
      }
      const verified = await runCli(["verify", "--json", "--events-dir", path.join(tempDir(), "cli-mirror")], env);
      expect(verified.code, verified.stdout + verified.stderr).to.equal(0);
      expect(JSON.parse(verified.stdout)).to.include({ ok: true, events: 12 });
    } finally {
      for (const server of servers) {
        server.child.kill("SIGTERM");
        await server.exited;
      }
    }
  });

  it("a request published in part (its writer died after the attempt, before the fix) leaves a valid chain and a whole attempt without its fix", async () => {
    const stream = "PARTIAL";
    const first = await startOnStream(nats, stream);
    const fixing = {
      status: "success",
      log_id: "p-s1",
      previous_attempt_id: "p-f1",
      code: "import os\nos.makedirs('out', exist_ok=True)\n",
    };
    let session: string;
    try {
      session = (await post(`${first.url}/api/logs/attempts`, failure("p-f1"))).body.session_id;
    } finally {
      await first.stop();
    }
    // What a writer leaves when it dies between the messages of one request: the attempt, not the
    // AttemptLinked and FixRecorded that the same request would have published after it.
    const writer = await JetStreamLog.open(path.join(tempDir(), "writer"), { url: nats.url, stream, replicas: 1 });
    try {
      const following = writer.events$().subscribe();
      await writer.replayed;
      await writer.append([
        {
          type: "AttemptSucceeded",
          data: {
            log_id: "p-s1",
            session_id: session,
            timestamp: new Date().toISOString(),
            code: fixing.code,
            request_hash: hash("sha256", canonicalJson(fixing), "hex"),
            session_assigned: false,
          },
        },
      ]);
      following.unsubscribe();
    } finally {
      await writer.close();
    }

    const env = jetstreamEnv(nats, stream);
    const verified = await runCli(["verify", "--json", "--events-dir", path.join(tempDir(), "cli-mirror")], env);
    expect(JSON.parse(verified.stdout)).to.include({ ok: true, events: 2 });
    const second = await startOnStream(nats, stream);
    try {
      expect((await get(`${second.url}/api/logs/log/p-s1`)).body.log).to.include({ session_id: session, status: "success" });
      expect((await get(`${second.url}/api/logs/log/p-f1`)).body.log.fixed_by).to.equal(null);
      // The client's retry (same log_id, same body) is answered as a repeat: it does not publish the rest.
      const retry = await post(`${second.url}/api/logs/attempts`, fixing);
      expect(retry.status).to.equal(201);
      expect(retry.headers.get("idempotent-replay")).to.equal("true");
      expect(retry.body.fixed).to.deep.equal([]);
      expect((await get(`${second.url}/api/logs/summary`)).body.summary.total_attempts).to.equal(2);
      // The next success in the session records the fix the lost messages held.
      const next = await post(`${second.url}/api/logs/attempts`, { ...fixing, log_id: "p-s2", previous_attempt_id: "p-s1" });
      expect(next.body.fixed).to.deep.equal(["p-f1"]);
    } finally {
      await second.stop();
    }
  });
});
