// `scriptlog serve`: the HTTP service. Listens at once (health says 503 while the log replays), refuses to
// start on a corrupt log or a log another process writes, and drains in-flight appends on SIGTERM/SIGINT.
import type { AddressInfo } from "node:net";
import { createApp } from "../api/app.js";
import { answerClientErrors } from "../api/errors.js";
import { EventStream } from "../api/stream.js";
import { WebhookAlerter } from "../service/alerter.js";
import { AnomalyWatch } from "../service/anomalyWatch.js";
import type { Config } from "../config.js";
import { ScriptlogService } from "../service/scriptlogService.js";
import { parseSignerKey, type SignerKey } from "../events/checkpoint.js";
import { ScriptlogError } from "../errors.js";
import { readFile } from "node:fs/promises";
import { BlockList, isIP } from "node:net";
import { authenticator } from "../api/auth.js";
import { createMetrics } from "../api/metrics.js";
import { DIRECT_IO } from "../store/eventLog.js";
import { TokenStore } from "../service/tokens.js";

export interface RunningServer {
  url: string;
  service: ScriptlogService;
  stream: EventStream;
  watch: AnomalyWatch;
  alerter: WebhookAlerter | null;
  stop(): Promise<void>;
}

/** Listens, replays the log, and resolves once ready; aborting `signal` during start-up stops what was started. */
export async function startServer(
  config: Config,
  log: (line: string) => void = (l) => console.log(l),
  signal?: AbortSignal,
): Promise<RunningServer> {
  const tokens = new TokenStore(config.security.tokensFile);
  const loopback = isLoopbackHost(config.host);
  if (!loopback && tokens.current().length === 0 && !config.security.insecureNoAuth) {
    throw new ScriptlogError(
      "invalid_argument",
      `refusing to serve ${config.host} with no API token: anyone who reaches it could read and write the log. ` +
        `Create one (scriptlog token create --scope admin --name NAME), listen on 127.0.0.1, or pass --insecure-no-auth (INSECURE_NO_AUTH=on)`,
      { host: config.host },
    );
  }
  const metrics = createMetrics();
  const service = await ScriptlogService.open(config.eventsDir, {
    io: metrics.timedIo(DIRECT_IO),
    redaction: config.redaction,
    onDerived: metrics.derivationSeconds,
    analyzer: config.analyzer,
    loop: config.loop,
    jetstream: config.jetstream ?? undefined,
    snapshots: { dir: config.projectionsDir, onMessage: log },
    checkpoints: config.signingKeyFile ? { key: await signingKey(config.signingKeyFile), policy: checkpointPolicy(config) } : undefined,
    writeProbeMs: config.writeProbeMs,
    onWriteState: log,
    onTornTail: (t) =>
      log(
        `scriptlog: ${t.file}: cut off a torn final line (${t.bytes} bytes at offset ${t.offset}) left by a crash mid-write; ` +
          `it was never acknowledged, and is kept in ${t.quarantine}`,
      ),
  });
  const stream = new EventStream(service, config.stream);
  let stopping: Promise<void> | null = null;
  const webhookUrl = config.alerts.webhookUrl;
  const alerter = webhookUrl ? new WebhookAlerter({ ...config.alerts, webhookUrl }, (sent) => service.recordAlertSent(sent), log) : null;
  const watch = new AnomalyWatch(service, config.detection, config.alerts.sweepMs, (anomaly) => {
    stream.publish([{ id: null, event: "anomaly", data: anomaly }]);
    alerter?.send(anomaly);
  });
  const app = createApp(service, {
    bodyLimit: config.bodyLimit,
    stream,
    detection: config.detection,
    watch,
    alerter,
    stopping: () => stopping !== null,
    minSeqWaitMs: config.minSeqWaitMs,
    auth: authenticator({
      tokens,
      openWithoutTokens: loopback || config.security.insecureNoAuth,
      cookieSecure: config.security.cookieSecure,
      onFailure: metrics.authFailure,
    }),
    corsOrigins: config.security.corsOrigins,
    metrics,
  });
  metrics.watchLag(() => service.log.chainHead.seq - service.queries.seq);
  const counting = service.projected$.subscribe(({ envelope }) => {
    if (!service.ready) return; // replayed events were appended before this process started
    metrics.eventAppended(envelope.type);
    const redactions = (envelope.data as { redactions?: Record<string, number> }).redactions ?? {};
    for (const [rule, count] of Object.entries(redactions)) metrics.redacted(rule, count);
  });
  const server = app.listen(config.port, config.host);
  answerClientErrors(server);
  // Idle keep-alive sockets are closed by the client, never by us: a server closing one just as a client
  // reuses it makes that request fail with ECONNRESET (clients such as undici keep them 4 s).
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  }).catch(async (err) => {
    await service.close();
    throw err;
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  // Shutdown: stop listening, refuse new requests and close idle connections at once; let in-flight requests
  // finish for at most the drain time, then cut whatever connections remain (a client trickling a body, or
  // holding a socket open); then finish the appends already handed to the log and write the snapshot.
  const stop = () =>
    (stopping ??= (async () => {
      watch.stop();
      await alerter?.close(); // what the receiver acknowledges is still recorded
      stream.close(); // open streams would keep the server from closing
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, config.shutdownDrainMs)));
      await Promise.race([closed, deadline]);
      clearTimeout(timer);
      server.closeAllConnections();
      await service.close();
      counting.unsubscribe();
    })());
  try {
    await Promise.race([service.start(), abortion(signal)]);
  } catch (err) {
    await stop();
    throw err;
  }
  watch.start();
  log(`scriptlog listening on ${url} (events: ${config.eventsDir}, seq ${service.queries.seq})`);
  return { url, service, stream, watch, alerter, stop };
}

/** An address only this machine can reach: served without tokens when none exist. */
function isLoopbackHost(host: string): boolean {
  if (host === "localhost") return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 4 ? "ipv4" : "ipv6");
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** Rejects once `signal` is aborted; never settles without one. */
function abortion(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    const abort = () => reject(new ScriptlogError("not_ready", `stopped during start-up by ${String(signal!.reason)}`));
    if (signal?.aborted) abort();
    else signal?.addEventListener("abort", abort, { once: true });
  });
}

async function signingKey(file: string): Promise<SignerKey> {
  try {
    return parseSignerKey(await readFile(file, "utf8"));
  } catch (err) {
    throw new ScriptlogError("invalid_argument", `SIGNING_KEY ${file}: ${(err as Error).message}`, { file });
  }
}

const checkpointPolicy = (config: Config) => ({
  everyEvents: config.checkpointEveryEvents,
  everyMs: Math.max(1, config.checkpointEveryMinutes) * 60_000,
});

export async function serveCommand(config: Config): Promise<void> {
  // Signals are handled from the first moment: a supervisor may stop the service while it replays, or the
  // instant it says it listens.
  let running: RunningServer | null = null;
  const startUp = new AbortController();
  const shutdown = (signal: string) => {
    if (!running) {
      console.log(`scriptlog: ${signal}: stopping during start-up`);
      return startUp.abort(signal);
    }
    console.log(`scriptlog: ${signal}: finishing in-flight requests`);
    running.stop().then(
      () => process.exit(0),
      (err) => {
        console.error("scriptlog: shutdown failed:", err);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
  try {
    running = await startServer(config, undefined, startUp.signal);
  } catch (err) {
    if (!startUp.signal.aborted) throw err;
    process.exit(0);
  }
}
