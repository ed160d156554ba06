import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readConfig, type Config } from "../../src/config.js";
import { startServer, type RunningServer } from "../../src/cli/serve.js";
import { createApp, type AppOptions } from "../../src/api/app.js";
import { AnomalyWatch } from "../../src/service/anomalyWatch.js";
import { EventStream } from "../../src/api/stream.js";
import type { ScriptlogService } from "../../src/service/scriptlogService.js";
import type { AddressInfo } from "node:net";
import { REPO_ROOT } from "./corpus.js";

export const BIN = path.join(REPO_ROOT, "bin/scriptlog.js");

const temps: string[] = [];
const children: ChildProcess[] = [];
export function tempDir(prefix = "scriptlog-test-"): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
/** Kills any server a test left running (say, after a failed assertion) and removes the temp dirs. */
export function removeTempDirs(): void {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

// The highest seq each server answered a write with: reads ask for it (?min_seq=), as a client that reads its
// own writes does, since a write is answered before the read models hold it.
const writtenSeqs = new Map<string, number>();

export async function startInProcess(eventsDir: string, bodyLimit?: number, overrides: Partial<Config> = {}): Promise<RunningServer> {
  const config = readConfig(
    {},
    { eventsDir, projectionsDir: path.join(eventsDir, "..", "projections"), port: 0, ...(bodyLimit ? { bodyLimit } : {}), ...overrides },
  );
  return forgettingWrites(await startServer(config, () => undefined));
}

/** A server just started may listen where an earlier one did: the writes made through that one are not its. */
export function forgettingWrites<T extends { url: string }>(server: T): T {
  writtenSeqs.delete(new URL(server.url).origin);
  return server;
}

export interface ChildServer {
  url: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs `scriptlog serve` in a child process and waits until it listens. */
export function spawnServer(eventsDir: string, env: Record<string, string> = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, [BIN, "serve"], {
    env: { ...process.env, PORT: "0", EVENTS_DIR: eventsDir, PROJECTIONS_DIR: path.join(eventsDir, "..", "projections"), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) resolve(forgettingWrites({ url: m[1], child, output: () => output, exited }));
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    exited.then((code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
}

/** Runs the CLI to completion. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], cwd });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

function rememberWrite(url: string, res: Response): void {
  const seq = Number(res.headers.get("x-scriptlog-seq"));
  const origin = new URL(url).origin;
  if (res.ok && seq > (writtenSeqs.get(origin) ?? 0)) writtenSeqs.set(origin, seq);
}

/** The URL asking for the server's read models to hold every write this process made through it. */
export function readingOwnWrites(url: string): string {
  const parsed = new URL(url);
  const seq = writtenSeqs.get(parsed.origin);
  // /health says how the service is now, whatever the read models hold.
  if (seq === undefined || parsed.pathname === "/health" || parsed.searchParams.has("min_seq")) return url;
  parsed.searchParams.set("min_seq", String(seq));
  return parsed.toString();
}

/**
 * Resolves once the server's read models hold every write this process made through it: a page opened after
 * that shows them (pages are read as they are; a URL with ?min_seq= would not be the page's own).
 */
export async function readModelsCaughtUp(url: string): Promise<void> {
  const origin = new URL(url).origin;
  if (writtenSeqs.has(origin)) await get(`${origin}/api/logs/summary`);
}

export async function post(url: string, body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) {
  const send = () => fetch(url, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
  // A body with a log_id is idempotent (a repeat answers the first result), so one lost connection — a reset on
  // a loaded machine — is retried once instead of failing a test, or a whole file's shared fixture.
  const idempotent = typeof body === "object" && body !== null && "log_id" in body;
  const res = await send().catch((err: unknown) => (idempotent ? send() : Promise.reject(err)));
  rememberWrite(url, res);
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

export async function get(url: string) {
  // A GET changes nothing, so one lost connection (a reset on a loaded machine) is retried once.
  const own = readingOwnWrites(url);
  const res = await fetch(own).catch(() => fetch(own));
  return { status: res.status, body: (await res.json()) as any };
}

/** Every byte of a log directory's daily files, to prove a request left it untouched. */
export function logBytes(dir: string): string {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl"))
    .sort()
    .map((f) => f + "\n" + readFileSync(path.join(dir, f), "latin1"))
    .join("\n");
}

/** The HTTP app over a service opened by the test itself (fault injection, drain state), on an ephemeral port. */
export async function serveService(
  service: ScriptlogService,
  options: Partial<AppOptions> = {},
): Promise<{ url: string; close: () => Promise<void> }> {
  const config = readConfig({});
  const stream = new EventStream(service, config.stream);
  // The anomaly watch is not started here: these tests are about the HTTP layer.
  const watch = new AnomalyWatch(service, config.detection, config.alerts.sweepMs, () => undefined);
  const http = createApp(service, {
    bodyLimit: config.bodyLimit,
    stream,
    detection: config.detection,
    watch,
    alerter: null,
    ...options,
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => http.once("listening", resolve));
  return forgettingWrites({
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: async () => {
      stream.close();
      await new Promise((resolve) => http.close(resolve));
    },
  });
}

/** Waits until a condition holds, however long a loaded machine takes (the test's timeout bounds it). */
export async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
}
