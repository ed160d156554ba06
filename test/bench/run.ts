// `npm run bench`: speed and memory figures, each against a baseline measured in the same run.
// Targets (from the issues) are printed beside the figures; nothing here fails a build.
import autocannon from "autocannon";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_ANALYZER_SETTINGS } from "../../src/projections/attemptFacts.js";
import { rebuild } from "../../src/cli/rebuild.js";
import { replayReadModels } from "../../src/service/replay.js";
import { connect } from "@nats-io/transport-node";
import { ensureStream } from "../../src/store/jetstream/stream.js";
import { startNats, stopAllNats } from "../helpers/nats.js";
import { removeTempDirs } from "../helpers/server.js";
import { failedBody, longSessionDrafts, sessionDrafts, successBody, writeSyntheticLog } from "./syntheticLog.js";
import { PATHOLOGICAL } from "../helpers/pathological.js";
import { Redactor, redactAttempt } from "../../src/analysis/redaction.js";
import { attemptFacts } from "../../src/projections/attemptFacts.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../../..");
const args = new Set(process.argv.slice(2));
const quick = args.has("--quick");
const only = [...args].filter((a) => !a.startsWith("--"));
const want = (name: string) => only.length === 0 || only.includes(name);

function line(label: string, value: string) {
  console.log(`${label.padEnd(48)} ${value}`);
}

async function startChild(
  script: string,
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [script, ...(script.endsWith("scriptlog.js") ? ["serve"] : [])], {
    env: { ...process.env, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1], child, output: () => out });
    });
    child.on("exit", (code) => reject(new Error(`${script} exited ${code}: ${out}`)));
  });
}

async function load(url: string, seconds: number): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  let i = 0;
  const result = await autocannon({
    url: `${url}/api/logs/attempts`,
    method: "POST",
    connections: 64,
    duration: seconds,
    headers: { "content-type": "application/json" },
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(failedBody(i++)) }) }],
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.non2xx + result.errors };
}

/** Lines in the daily files of a log directory. */
function eventsIn(dir: string): number {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl"))
    .reduce((n, f) => n + readFileSync(path.join(dir, f), "utf8").split("\n").length - 1, 0);
}

/**
 * CPU seconds the process's main thread has used (its task in /proc has the process's id): the thread that
 * limits writes, whatever worker threads do beside it.
 */
function mainThreadCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

/** Serves with `script`, loads it, stops it (SIGTERM); returns the load figures and the events it wrote. */
async function loadServer(script: string, events: string, seconds: number, env: Record<string, string> = {}) {
  // Each server its own projections directory: a snapshot left by another run must not be taken for this log's.
  const projections = events ? `${events}-projections` : mkdtempSync(path.join(tmpdir(), "scriptlog-bench-projections-"));
  const server = await startChild(script, { EVENTS_DIR: events, PROJECTIONS_DIR: projections, ...env });
  const cpuBefore = mainThreadCpuSeconds(server.child.pid!);
  const measured = await load(server.url, seconds);
  const requests = measured.rps * seconds;
  const mainThreadMicros = ((mainThreadCpuSeconds(server.child.pid!) - cpuBefore) * 1e6) / Math.max(1, requests);
  server.child.kill("SIGTERM");
  await new Promise((r) => server.child.once("exit", r));
  return { ...measured, mainThreadMicros, events: events ? eventsIn(events) : 0 };
}

async function benchWrites() {
  console.log("\n== writes: POST /api/logs/attempts, ~2 KB bodies, 64 connections ==");
  const seconds = quick ? 3 : 8;
  const dir = mkdtempSync(path.join(tmpdir(), "scriptlog-bench-"));
  try {
    const bare = await loadServer(path.join(HERE, "bareKoa.js"), "", seconds);
    const durable = await loadServer(path.join(HERE, "durableAppend.js"), path.join(dir, "append-only"), seconds);
    const ours = await loadServer(path.join(ROOT, "bin/scriptlog.js"), path.join(dir, "events"), seconds);
    const show = (label: string, r: typeof ours) =>
      line(
        label,
        `${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms, main thread ${r.mainThreadMicros.toFixed(0)} µs/req, ${r.errors} errors` +
          (r.events ? `, ${r.events} events fsync'd` : ""),
      );
    show("bare Koa + koa-body (answers only)", bare);
    show("Koa + durable append only (no service)", durable);
    show("scriptlog (validate, decide, append, fsync; project after)", ours);
    line("ratio: durable append only / bare Koa", `${(durable.rps / bare.rps).toFixed(2)}`);
    line("ratio: scriptlog / bare Koa (aim >= 0.40)", `${(ours.rps / bare.rps).toFixed(2)}`);
    line("main-thread CPU per write / durable append's (aim <= 1.3)", `${(ours.mainThreadMicros / durable.mainThreadMicros).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchRebuild() {
  const attempts = quick ? 30_000 : 150_000;
  console.log(`\n== rebuild: ${attempts} attempts (~2 KB each) ==`);
  const dir = mkdtempSync(path.join(tmpdir(), "scriptlog-bench-"));
  try {
    const events = await writeSyntheticLog(path.join(dir, "events"), sessionDrafts(attempts, 1200));
    const files = readdirSync(path.join(dir, "events")).filter((f) => f.endsWith(".jsonl"));
    let t = process.hrtime.bigint();
    let parsed = 0;
    for (const f of files) {
      for (const l of readFileSync(path.join(dir, "events", f), "utf8").split("\n"))
        if (l) {
          JSON.parse(l);
          parsed++;
        }
    }
    const plainSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    t = process.hrtime.bigint();
    await replayReadModels(path.join(dir, "events"), { analyzer: false });
    const coreSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    t = process.hrtime.bigint();
    const report = await rebuild(path.join(dir, "events"), path.join(dir, "projections"), DEFAULT_ANALYZER_SETTINGS);
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    line("plain read + JSON.parse", `${Math.round(parsed / plainSeconds)} events/s`);
    line("core-only replay (verify, parse tracebacks, project)", `${Math.round(events / coreSeconds)} events/s`);
    line(
      "scriptlog rebuild (+ analyzer, snapshots)",
      `${Math.round(events / seconds)} events/s (${report.events} events, ${seconds.toFixed(1)} s)`,
    );
    line("ratio to plain read + parse", `${(plainSeconds / seconds).toFixed(2)}`);
    line("ratio to core-only (the analyzer's cost)", `${(coreSeconds / seconds).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchMemory() {
  const attempts = quick ? 100_000 : 1_000_000;
  console.log(`\n== memory: heap after replaying ${attempts} attempts ==`);
  const dir = mkdtempSync(path.join(tmpdir(), "scriptlog-bench-"));
  try {
    await writeSyntheticLog(path.join(dir, "events"), sessionDrafts(attempts, 120));
    const child = spawn(process.execPath, ["--expose-gc", path.join(HERE, "replayHeap.js"), path.join(dir, "events")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    await new Promise((r) => child.on("exit", r));
    const { baseline, heap, withWriteState, events, seconds } = JSON.parse(out);
    const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
    line("heap before replay (baseline)", mb(baseline));
    line("heap after replay into the read models, after GC", `${mb(heap)} (${events} events in ${seconds.toFixed(1)} s)`);
    line("... and the write side's state, as a server (aim < 600 MB)", `${mb(withWriteState)} (write state ${mb(withWriteState - heap)})`);
    line("bytes per attempt", `${((withWriteState - baseline) / attempts).toFixed(0)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function latency(url: string, seconds: number, connections = 8) {
  const result = await autocannon({ url, connections, duration: seconds });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.non2xx + result.errors };
}

async function benchAnalysis() {
  const attempts = quick ? 20_000 : 100_000;
  console.log(`\n== analysis reads over ${attempts} attempts, 8 connections ==`);
  const dir = mkdtempSync(path.join(tmpdir(), "scriptlog-bench-"));
  try {
    await writeSyntheticLog(path.join(dir, "events"), sessionDrafts(attempts, 1200));
    const server = await startChild(path.join(ROOT, "bin/scriptlog.js"), { EVENTS_DIR: path.join(dir, "events") });
    try {
      const seconds = quick ? 2 : 5;
      const show = (label: string, r: Awaited<ReturnType<typeof latency>>) =>
        line(label, `p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.rps.toFixed(0)} req/s, ${r.errors} errors`);
      const baseline = await latency(`${server.url}/health`, seconds);
      show("GET /health (baseline)", baseline);
      for (const route of [
        "/api/logs/analysis",
        "/api/logs/ai-context?max_examples=10",
        "/api/logs/error-patterns",
        "/api/logs/recommendations",
      ]) {
        const r = await latency(`${server.url}${route}`, seconds);
        show(`GET ${route}`, r);
      }
    } finally {
      server.child.kill("SIGTERM");
      await new Promise((r) => server.child.once("exit", r));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchReads() {
  const attempts = quick ? 3_000 : 10_000;
  console.log(`\n== entries: GET /api/logs/failures?limit=1000 over ${attempts} attempts with ~150-line scripts ==`);
  const dir = mkdtempSync(path.join(tmpdir(), "scriptlog-bench-"));
  try {
    await writeSyntheticLog(path.join(dir, "events"), sessionDrafts(attempts, 6_000));
    const server = await startChild(path.join(ROOT, "bin/scriptlog.js"), {
      EVENTS_DIR: path.join(dir, "events"),
      PROJECTIONS_DIR: path.join(dir, "projections"),
    });
    try {
      const seconds = quick ? 3 : 8;
      const baseline = await latency(`${server.url}/health`, seconds, 1);
      line("GET /health, 1 connection (baseline)", `p50 ${baseline.p50} ms, p99 ${baseline.p99} ms`);
      const reads = await latency(`${server.url}/api/logs/failures?limit=1000`, seconds, 1);
      line("GET /api/logs/failures?limit=1000, 1 connection", `p50 ${reads.p50} ms, p99 ${reads.p99} ms (aim: p50 <= 50 ms)`);
      const writesAlone = await load(server.url, seconds);
      const [writesDuring] = await Promise.all([
        load(server.url, seconds),
        latency(`${server.url}/api/logs/failures?limit=1000`, seconds, 1),
      ]);
      line("POST alone, 64 connections", `${writesAlone.rps.toFixed(0)} req/s, p99 ${writesAlone.p99} ms`);
      line("POST while the failures page is read", `${writesDuring.rps.toFixed(0)} req/s, p99 ${writesDuring.p99} ms`);
      line("ratio: writes during reads / alone", `${(writesDuring.rps / writesAlone.rps).toFixed(2)}`);
    } finally {
      server.child.kill("SIGTERM");
      await new Promise((r) => server.child.once("exit", r));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** Two context versions (the generated one, and it with a line added), an experiment between them, and its sessions. */
async function learningLoopData(url: string, sessions: number): Promise<void> {
  const first = await postJson(`${url}/api/contexts`, { note: "bench" });
  const text = `${first.body.context.text.replace(/\n$/, "")}\n- Check every path before writing to it.\n`;
  await postJson(`${url}/api/contexts`, { text, make_current: false });
  const variants = [
    { name: "control", context_version: "ctx-1" },
    { name: "candidate", context_version: "ctx-2" },
  ];
  await postJson(`${url}/api/experiments`, { id: "bench", variants, min_sessions_per_variant: 50 });
  for (let i = 0; i < sessions; i++) {
    const variant = variants[i % 2];
    const tag = { session_id: `loop-${i}`, context_version: variant.context_version, experiment: "bench", variant: variant.name };
    if (i % 3 === 0) await postJson(`${url}/api/logs/attempts`, { ...failedBody(i), ...tag, log_id: `loop-${i}-f` });
    await postJson(`${url}/api/logs/attempts`, { ...successBody(i), ...tag, log_id: `loop-${i}-ok` });
  }
}

/** Mean CPU time of `run` over `bodies`, in microseconds, after a warm-up round. */
async function perAttempt(bodies: unknown[], run: (body: never) => unknown): Promise<number> {
  for (const b of bodies.slice(0, 50)) await run(b as never);
  const start = performance.now();
  for (const b of bodies) await run(b as never);
  return ((performance.now() - start) * 1000) / bodies.length;
}

async function benchRedaction() {
  const n = quick ? 500 : 2000;
  console.log(`\n== redaction before append, per attempt (${n} synthetic failures of ~1.5 KB) ==`);
  const redactor = new Redactor();
  const bodies = Array.from({ length: n }, (_, i) => ({
    ...failedBody(i),
    log_id: `r${i}`,
    session_id: "s",
    timestamp: new Date(0).toISOString(),
    session_assigned: false,
  }));
  // The baseline: what the attempt path already spends per attempt on the same bodies (deriving its facts on a worker).
  const derive = await perAttempt(bodies, (b) => attemptFacts("AttemptFailed", b));
  line("derive an attempt's facts (baseline)", `${derive.toFixed(0)} µs`);
  const redact = await perAttempt(bodies, (b) => redactAttempt(redactor, b));
  line("redact an attempt (secretlint + own rules)", `${redact.toFixed(0)} µs (${(redact / derive).toFixed(2)}× the baseline)`);
  const leaky = bodies.map((b, i) => ({
    ...b,
    stderr: `${b.stderr}requests: https://admin:hunter${i}@db.example.com\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.${i}abcdefgh\n`,
  }));
  line("redact an attempt with two secrets", `${(await perAttempt(leaky, (b) => redactAttempt(redactor, b))).toFixed(0)} µs`);
  const megabyte = [{ ...bodies[0], stdout: "INFO processed tile 1234 in 0.52 s, 3 objects found\n".repeat(20_000) }];
  const big = await perAttempt(megabyte, (b) => redactAttempt(redactor, b));
  line("redact an attempt with 1 MB of stdout", `${(big / 1000).toFixed(0)} ms (in 32 KiB pieces, the event loop runs between them)`);
}

async function benchConsole() {
  const attempts = quick ? 20_000 : 100_000;
  console.log(`\n== console: the page of a 20-attempt session among ${attempts} attempts, one request at a time ==`);
  const dir = mkdtempSync(path.join(tmpdir(), "scriptlog-bench-"));
  try {
    const events = path.join(dir, "events");
    await writeSyntheticLog(
      events,
      (function* () {
        yield* sessionDrafts(attempts, 1200);
        yield* longSessionDrafts("long", 19, 1200);
      })(),
    );
    const server = await startChild(path.join(ROOT, "bin/scriptlog.js"), {
      EVENTS_DIR: events,
      PROJECTIONS_DIR: path.join(dir, "projections"),
    });
    try {
      await learningLoopData(server.url, 200);
      const seconds = quick ? 2 : 5;
      const show = (label: string, r: Awaited<ReturnType<typeof latency>>) =>
        line(label, `p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.rps.toFixed(0)} req/s, ${r.errors} errors`);
      // One connection: how long one reader waits for the page, not how many pages the server can queue.
      for (const [label, route] of [
        ["GET /health (baseline)", "/health"],
        ["GET /api/logs/session/long (its JSON, baseline)", "/api/logs/session/long"],
        ["GET /sessions/long (aim: well under 100 ms)", "/sessions/long"],
        ["GET /sessions/long?diff=split (side by side)", "/sessions/long?diff=split"],
        ["GET / (overview)", "/"],
        ["GET /patterns", "/patterns"],
        ["GET /sessions (the list, baseline)", "/sessions"],
        ["GET /sessions?context=ctx-2", "/sessions?context=ctx-2"],
        ["GET /api/contexts/ctx-2 (its JSON, baseline)", "/api/contexts/ctx-2"],
        ["GET /context (2 versions, their diff, rule effects)", "/context"],
        ["GET /api/experiments/bench (its JSON, baseline)", "/api/experiments/bench"],
        ["GET /experiments/bench", "/experiments/bench"],
      ]) {
        show(label, await latency(`${server.url}${route}`, seconds, 1));
      }
    } finally {
      server.child.kill("SIGTERM");
      await new Promise((r) => server.child.once("exit", r));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Milliseconds from spawning `scriptlog serve` until it listens with the whole log replayed. */
async function timedStart(events: string): Promise<{ ms: number; stop: () => Promise<void>; snapshotLine: string }> {
  const started = process.hrtime.bigint();
  const server = await startChild(path.join(ROOT, "bin/scriptlog.js"), {
    EVENTS_DIR: events,
    PROJECTIONS_DIR: path.join(events, "..", "projections"),
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  // What the server said about the snapshot, so a fallback to a full replay cannot pass unnoticed.
  const snapshotLine = /^scriptlog: (?:loaded )?snapshot.*$/m.exec(server.output())?.[0] ?? "(no snapshot message)";
  const stop = async () => {
    server.child.kill("SIGTERM");
    const code = await new Promise((r) => server.child.once("exit", r));
    if (code !== 0) console.log(`server exited with ${code} on shutdown: ${server.output().slice(-500)}`);
  };
  return { ms, stop, snapshotLine };
}

async function benchStartup() {
  // 600,000 attempts make 1,000,000 events; --startup-attempts=N for another size.
  const sized = [...args].find((a) => a.startsWith("--startup-attempts="));
  const attempts = sized ? Number(sized.split("=")[1]) : quick ? 30_000 : 600_000;
  console.log(`\n== start-up: ${attempts} attempts, from a snapshot against a full replay ==`);
  const dir = mkdtempSync(path.join(tmpdir(), "scriptlog-bench-"));
  try {
    const events = await writeSyntheticLog(path.join(dir, "events"), sessionDrafts(attempts, 1200));
    const full = await timedStart(path.join(dir, "events"));
    await full.stop(); // writes the snapshot
    const fromSnapshot = await timedStart(path.join(dir, "events"));
    await fromSnapshot.stop();
    line(`full replay (${events} events)`, `${(full.ms / 1000).toFixed(2)} s  [${full.snapshotLine}]`);
    line(
      "from the snapshot (every line checked in the hash chain)",
      `${(fromSnapshot.ms / 1000).toFixed(2)} s  [${fromSnapshot.snapshotLine}]`,
    );
    line("speed-up (target >= 10x)", `${(full.ms / fromSnapshot.ms).toFixed(1)}x`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Milliseconds for one POST of `body`, answered 201 (the best of `tries`, each under its own log_id). */
async function timedPost(url: string, body: Record<string, unknown>, tries: number, id: () => string): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < tries; i++) {
    const json = JSON.stringify({ ...body, log_id: id() });
    const started = process.hrtime.bigint();
    const res = await fetch(`${url}/api/logs/attempts`, { method: "POST", headers: { "content-type": "application/json" }, body: json });
    await res.arrayBuffer();
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e6);
    if (res.status !== 201) throw new Error(`POST answered ${res.status}`);
  }
  return best;
}

async function benchPathological() {
  const tries = quick ? 2 : 5;
  const scales = [1, 2, 4, 8];
  console.log(`\n== pathological inputs: one POST's time (best of ${tries}) at 1×, 2×, 4×, 8× the size ==`);
  const dir = mkdtempSync(path.join(tmpdir(), "scriptlog-bench-"));
  let n = 0;
  const id = () => `bench-${n++}`;
  try {
    const server = await startChild(path.join(ROOT, "bin/scriptlog.js"), { EVENTS_DIR: path.join(dir, "events") });
    try {
      const baseline = await timedPost(server.url, failedBody(0) as unknown as Record<string, unknown>, tries * 4, id);
      line("a ~2 KB failure (baseline)", `${baseline.toFixed(1)} ms`);
      const ratios: number[] = [];
      for (const c of PATHOLOGICAL) {
        const times: number[] = [];
        for (const k of scales) times.push(await timedPost(server.url, c.body(k), tries, id));
        // growth per doubling: 2 is linear, 4 quadratic
        const perDoubling = Math.pow(times[3] / times[0], 1 / 3);
        ratios.push(perDoubling);
        const kb = Math.round(JSON.stringify(c.body(8)).length / 1024);
        line(c.name, `${times.map((t) => t.toFixed(0)).join(" / ")} ms (8× = ${kb} KB), ×${perDoubling.toFixed(2)} per doubling`);
      }
      line("worst growth per doubling (2 = linear, 4 = quadratic)", `×${Math.max(...ratios).toFixed(2)}`);
    } finally {
      server.child.kill("SIGTERM");
      await new Promise((r) => server.child.once("exit", r));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchTrends() {
  const attempts = quick ? 100_000 : 1_000_000;
  const days = 60;
  console.log(`\n== trends and anomalies over ${attempts} attempts spread over ${days} days, 8 connections ==`);
  const dir = mkdtempSync(path.join(tmpdir(), "scriptlog-bench-"));
  try {
    const stepMs = Math.floor((days * 86_400_000) / attempts);
    await writeSyntheticLog(path.join(dir, "events"), sessionDrafts(attempts, 200, stepMs));
    const started = process.hrtime.bigint();
    // Its snapshot (written at shutdown) goes into the temporary directory too, not into ./projections.
    const server = await startChild(path.join(ROOT, "bin/scriptlog.js"), {
      EVENTS_DIR: path.join(dir, "events"),
      PROJECTIONS_DIR: path.join(dir, "projections"),
    });
    line("replay until ready", `${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`);
    try {
      const seconds = quick ? 2 : 5;
      const show = (label: string, r: Awaited<ReturnType<typeof latency>>) =>
        line(label, `p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.rps.toFixed(0)} req/s, ${r.errors} errors`);
      show("GET /health (baseline)", await latency(`${server.url}/health`, seconds));
      // The end of the generated history, so every request judges the same moment.
      const end = new Date(Date.UTC(2026, 0, 1) + attempts * stepMs).toISOString();
      for (const route of [
        "/api/logs/trends",
        "/api/logs/trends?bucket=week&by=ai_model",
        `/api/logs/anomalies?at=${end}`,
        "/api/logs/summary",
      ]) {
        show(`GET ${route.replace(end, "END")}`, await latency(`${server.url}${route}`, seconds));
      }
    } finally {
      server.child.kill("SIGTERM");
      await new Promise((r) => server.child.once("exit", r));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchJetStream() {
  console.log("\n== writes on NATS JetStream: the same load on the file store, a 1-replica stream, a 3-replica stream on 3 nodes ==");
  const seconds = quick ? 3 : 8;
  const dir = mkdtempSync(path.join(tmpdir(), "scriptlog-bench-"));
  const single = await startNats(1);
  const cluster = await startNats(3);
  try {
    await clusterReady(cluster.url);
    const bin = path.join(ROOT, "bin/scriptlog.js");
    const files = await loadServer(bin, path.join(dir, "files"), seconds);
    const env = (url: string, stream: string, replicas: number) => ({
      EVENT_STORE: "jetstream",
      NATS_URL: url,
      NATS_STREAM: stream,
      NATS_REPLICAS: String(replicas),
    });
    const r1 = await loadServer(bin, path.join(dir, "r1"), seconds, env(single.url, "BENCH_R1", 1));
    const r3 = await loadServer(bin, path.join(dir, "r3"), seconds, env(cluster.url, "BENCH_R3", 3));
    const show = (label: string, r: typeof files) =>
      line(label, `${r.rps.toFixed(0)} req/s, ack p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.errors} errors, ${r.events} events`);
    show("file store (fsync'd group commit)", files);
    show("JetStream, 1 replica", r1);
    show("JetStream, 3 replicas on 3 nodes", r3);
    line("ratio: JetStream R1 / file store", `${(r1.rps / files.rps).toFixed(2)}`);
    line("ratio: JetStream R3 / file store", `${(r3.rps / files.rps).toFixed(2)}`);
  } finally {
    await single.stop();
    await cluster.stop();
    stopAllNats();
    removeTempDirs();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A new cluster takes a moment to elect its meta leader: wait until it can create a stream. */
async function clusterReady(url: string): Promise<void> {
  const nc = await connect({ servers: url.split(",") });
  try {
    for (let tries = 0; ; tries++) {
      try {
        await ensureStream(nc, { url, stream: "BENCH_R3", replicas: 3 });
        return;
      } catch (err) {
        if (tries > 300) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    await nc.close();
  }
}

if (want("pathological")) await benchPathological();
if (want("writes")) await benchWrites();
if (want("jetstream")) await benchJetStream();
if (want("startup")) await benchStartup();
if (want("analysis")) await benchAnalysis();
if (want("reads")) await benchReads();
if (want("rebuild")) await benchRebuild();
if (want("memory")) await benchMemory();
if (want("console")) await benchConsole();
if (want("redaction")) await benchRedaction();
if (want("trends")) await benchTrends();
