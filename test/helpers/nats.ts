// Real nats-server processes for the JetStream tests: a single node or a cluster, on free loopback ports, each
// with its own store directory; stopped (SIGKILL if need be) by stopNats.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { tempDir } from "./server.js";

export interface NatsNode {
  name: string;
  port: number;
  clusterPort: number;
  storeDir: string;
  child: ChildProcess | null;
  output: string;
}

export interface NatsCluster {
  nodes: NatsNode[];
  /** Every client URL, comma-separated, as NATS_URL takes them. */
  url: string;
  kill(node: NatsNode): Promise<void>;
  start(node: NatsNode): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `size` JetStream-enabled nats-servers (a cluster when more than one); resolves once each is ready. */
export async function startNats(size = 1): Promise<NatsCluster> {
  const root = tempDir("scriptlog-nats-");
  const nodes: NatsNode[] = [];
  for (let i = 0; i < size; i++) {
    nodes.push({
      name: `n${i + 1}`,
      port: await freePort(),
      clusterPort: await freePort(),
      storeDir: path.join(root, `n${i + 1}`),
      child: null,
      output: "",
    });
  }
  const start = (node: NatsNode) => {
    const args = ["-js", "-a", "127.0.0.1", "-p", String(node.port), "-n", node.name, "-sd", node.storeDir];
    if (size > 1) {
      const routes = nodes.filter((n) => n !== node).map((n) => `nats://127.0.0.1:${n.clusterPort}`);
      args.push("--cluster_name", "scriptlog-test", "--cluster", `nats://127.0.0.1:${node.clusterPort}`, "--routes", routes.join(","));
    }
    const child = spawn("nats-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    node.child = child;
    node.output = "";
    return new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        node.output += chunk.toString();
        if (node.output.includes("Server is ready")) resolve();
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.on("error", reject);
      child.on("exit", (code) => {
        running.delete(child);
        reject(new Error(`nats-server ${node.name} exited with ${code}: ${node.output.slice(-2000)}`));
      });
    });
  };
  await Promise.all(nodes.map(start));
  const kill = async (node: NatsNode) => {
    const child = node.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    node.child = null;
  };
  return {
    nodes,
    url: nodes.map((n) => `nats://127.0.0.1:${n.port}`).join(","),
    kill,
    start,
    stop: async () => {
      await Promise.all(nodes.map(kill));
    },
  };
}

/** Kills every nats-server a test left running. */
export function stopAllNats(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}
