// SIGTERM stops intake at once: a request that arrives afterwards gets 503 with Connection: close, idle
// keep-alive sockets are closed, in-flight appends finish and are kept, and the process exits within the drain
// time even while a client holds a socket open.
import { expect } from "chai";
import { connect, type Socket } from "node:net";
import path from "node:path";
import { ScriptlogService } from "../src/service/scriptlogService.js";
import { get, logBytes, post, removeTempDirs, serveService, spawnServer, tempDir, type ChildServer, until } from "./helpers/server.js";

/** A raw connection to the server, collecting what it answers and noticing when the server closes it. */
async function rawConnection(url: string) {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  await new Promise((r) => socket.once("connect", r));
  const state = { received: "", closed: false };
  socket.setEncoding("utf8");
  socket.on("data", (c) => (state.received += c));
  socket.on("close", () => (state.closed = true));
  socket.on("error", () => undefined);
  return { socket, state };
}

const attemptBody = JSON.stringify({ status: "failed", code: "x = 1\n", log_id: "in-flight" });
const postHead = (length: number, extra = "") =>
  `POST /api/logs/attempts HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${extra}\r\n`;

async function signalled(server: ChildServer): Promise<void> {
  server.child.kill("SIGTERM");
  await until(() => /SIGTERM: finishing in-flight requests/.test(server.output()));
}

describe("shutting down on SIGTERM", function () {
  this.timeout(60_000);
  afterEach(removeTempDirs);

  it("closes idle keep-alive sockets at once and finishes the in-flight append, answering it with Connection: close", async () => {
    const events = path.join(tempDir(), "events");
    const server = await spawnServer(events);
    const idle = await rawConnection(server.url);
    idle.socket.write("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
    await until(() => idle.state.received.includes('"status":"ok"'));
    // In flight: the server has the request's headers (it said 100 Continue) and the first bytes of its body.
    const inFlight = await rawConnection(server.url);
    inFlight.socket.write(postHead(Buffer.byteLength(attemptBody), "Expect: 100-continue\r\n") + attemptBody.slice(0, 10));
    await until(() => inFlight.state.received.startsWith("HTTP/1.1 100 Continue"));
    await signalled(server);
    await until(() => idle.state.closed);
    inFlight.socket.write(attemptBody.slice(10));
    await until(() => inFlight.state.closed);
    expect(inFlight.state.received)
      .to.match(/\r\n\r\nHTTP\/1\.1 201 /)
      .and.match(/\r\nConnection: close\r\n/i);
    expect(await server.exited).to.equal(0);

    const restarted = await spawnServer(events);
    expect((await get(`${restarted.url}/api/logs/log/in-flight`)).status).to.equal(200);
    restarted.child.kill("SIGTERM");
    await restarted.exited;
  });

  it("refuses every request that arrives while it drains: 503 shutting_down with Connection: close", async () => {
    const events = path.join(tempDir(), "events");
    const service = await ScriptlogService.open(events);
    await service.start();
    let draining = false;
    const { url, close } = await serveService(service, { stopping: () => draining });
    try {
      expect((await post(`${url}/api/logs/attempts`, { status: "failed", code: "x", log_id: "before" })).status).to.equal(201);
      const before = logBytes(events);
      draining = true;
      for (const res of [
        await post(`${url}/api/logs/attempts`, { status: "failed", code: "y", log_id: "after" }),
        await fetch(`${url}/health`),
      ]) {
        expect(res.status).to.equal(503);
        expect(res.headers.get("connection")).to.equal("close");
      }
      expect(logBytes(events)).to.equal(before);
    } finally {
      await close();
      await service.close();
    }
  });

  it("keep-alive clients posting in a loop get at most their in-flight answer after the signal; every 201 is kept", async () => {
    const events = path.join(tempDir(), "events");
    const server = await spawnServer(events);
    const acknowledged: string[] = [];
    const afterSignal = new Map<number, number>();
    let seenSignal = false;
    let stop = false;
    const client = async (c: number) => {
      for (let i = 0; !stop; i++) {
        const log_id = `c${c}-${i}`;
        try {
          const res = await post(`${server.url}/api/logs/attempts`, { status: "failed", code: `x = ${i}`, log_id });
          if (res.status === 201) {
            acknowledged.push(log_id);
            if (seenSignal) afterSignal.set(c, (afterSignal.get(c) ?? 0) + 1);
          } else expect(res.status).to.equal(503);
        } catch {
          return; // refused or closed: the server stopped listening
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, c) => client(c));
    await until(() => acknowledged.length >= 40);
    server.child.kill("SIGTERM");
    await until(() => /SIGTERM/.test(server.output()));
    seenSignal = true;
    expect(await server.exited).to.equal(0);
    stop = true;
    await Promise.all(clients);
    for (const [c, n] of afterSignal) expect(n, `client ${c}: 201s after the signal`).to.be.at.most(1);

    const restarted = await spawnServer(events);
    for (const id of acknowledged) expect((await get(`${restarted.url}/api/logs/log/${id}`)).status, id).to.equal(200);
    restarted.child.kill("SIGTERM");
    await restarted.exited;
  });

  it("exits within the drain time while a client trickles a body it never finishes", async () => {
    const server = await spawnServer(path.join(tempDir(), "events"), { SHUTDOWN_DRAIN_SECONDS: "1" });
    const slow = await rawConnection(server.url);
    slow.socket.write(postHead(1000) + '{"status":');
    const signalledAt = Date.now();
    await signalled(server);
    expect(await server.exited).to.equal(0);
    expect(Date.now() - signalledAt, "bounded by the drain time, not by the client").to.be.below(15_000);
    expect(slow.state.closed || (await until(() => slow.state.closed), true)).to.equal(true);
  });
});
