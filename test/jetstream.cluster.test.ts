// A 3-node nats-server cluster with the log on a stream of 3 replicas: the stream leader is killed with SIGKILL
// while 16 clients post through two API processes; nothing acknowledged is lost, retries land once, and writes
// resume once a new leader is elected.
import { expect } from "chai";
import path from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { readConfig } from "../src/config.js";
import { startServer, type RunningServer } from "../src/cli/serve.js";
import { ensureStream } from "../src/store/jetstream/stream.js";
import { get, removeTempDirs, runCli, tempDir } from "./helpers/server.js";
import { startNats, stopAllNats, type NatsCluster } from "./helpers/nats.js";
import { postUntilAcknowledged } from "./helpers/retryingClient.js";

const STREAM = "FAILOVER";

const attempt = (log_id: string) => ({ status: "failed", log_id, code: "x = y\n", stderr: "NameError: name 'y' is not defined\n" });

const started: RunningServer[] = [];

async function serverOn(nats: NatsCluster, mirror: string): Promise<RunningServer> {
  const config = readConfig(
    {},
    {
      eventsDir: mirror,
      projectionsDir: path.join(mirror, "..", "projections"),
      port: 0,
      jetstream: { url: nats.url, stream: STREAM, replicas: 3 },
    },
  );
  const server = await startServer(config, () => undefined);
  started.push(server);
  return server;
}

describe("JetStream cluster: 3 nodes, a stream of 3 replicas", function () {
  this.timeout(180_000);
  let nats: NatsCluster;
  before(async () => {
    nats = await startNats(3);
    // The cluster elects its meta leader after the nodes meet: create the stream once it can.
    const nc = await connect({ servers: nats.url.split(",") });
    try {
      for (let tries = 0; ; tries++) {
        try {
          await ensureStream(nc, { url: nats.url, stream: STREAM, replicas: 3 });
          break;
        } catch (err) {
          if (tries > 300) throw err;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    } finally {
      await nc.close();
    }
  });
  after(async () => {
    // Stopped even when the test failed: a server left running would keep mocha, and CI, waiting for good.
    await Promise.all(started.map((server) => server.stop().catch(() => undefined)));
    await nats?.stop();
    stopAllNats();
    removeTempDirs();
  });

  it("loses nothing acknowledged when the stream leader is killed mid-load, and a restarted API process catches up", async () => {
    const mirrorB = path.join(tempDir(), "mirror");
    const a = await serverOn(nats, path.join(tempDir(), "mirror"));
    let b = await serverOn(nats, mirrorB);
    const urls = [a.url, b.url];
    const acknowledged = new Set<string>();
    let killed: Promise<string> | null = null;
    const killLeader = async () => {
      const nc = await connect({ servers: nats.url.split(",") });
      const leader = (await (await jetstreamManager(nc)).streams.info(STREAM)).cluster!.leader!;
      await nc.close();
      await nats.kill(nats.nodes.find((n) => n.name === leader)!);
      return leader;
    };
    await Promise.all(
      Array.from({ length: 16 }, async (_, client) => {
        for (let i = 0; i < 12; i++) {
          const log_id = `c${client}-${i}`;
          await postUntilAcknowledged(urls, attempt(log_id), client + i);
          acknowledged.add(log_id);
          // Kill the leader once the load is well under way, while the other clients keep posting.
          if (acknowledged.size === 48) killed = killLeader();
        }
      }),
    );
    expect(killed, "the leader was killed mid-load").to.not.equal(null);
    const leader = await killed!;
    expect(acknowledged.size).to.equal(16 * 12);

    // Retried requests landed once: the log holds exactly the acknowledged attempts.
    const head = Math.max(a.service.log.chainHead.seq, b.service.log.chainHead.seq);
    for (const server of [a, b]) {
      const summary = await get(`${server.url}/api/logs/summary?min_seq=${head}`);
      expect(summary.body.summary.total_attempts, server.url).to.equal(16 * 12);
    }
    for (const log_id of acknowledged) expect((await get(`${a.url}/api/logs/log/${log_id}`)).status, log_id).to.equal(200);

    // B stops, A goes on writing, B comes back on its mirror and catches up from the stream.
    await b.stop();
    for (let i = 0; i < 5; i++) await postUntilAcknowledged([a.url], attempt(`after-${i}`));
    b = await serverOn(nats, mirrorB);
    const caughtUp = await get(`${b.url}/api/logs/summary?min_seq=${a.service.log.chainHead.seq}`);
    expect(caughtUp.body.summary.total_attempts).to.equal(16 * 12 + 5);

    // One chain, checked end to end from a fresh copy of the stream (through the surviving nodes).
    const survivors = nats.nodes.filter((n) => n.name !== leader).map((n) => `nats://127.0.0.1:${n.port}`);
    const audit = path.join(tempDir(), "audit");
    const env = { EVENT_STORE: "jetstream", NATS_URL: survivors.join(","), NATS_STREAM: STREAM };
    const mirrored = await runCli(["mirror", "--to", audit, "--json"], env);
    expect(mirrored.code, mirrored.stderr).to.equal(0);
    const verified = await runCli(["verify", "--dir", audit]);
    expect(verified.code, verified.stdout + verified.stderr).to.equal(0);
    await a.stop();
    await b.stop();
  });
});
