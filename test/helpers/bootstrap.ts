// Runs python3 on a script, plainly or under scriptlog's bootstrap, and collects what came out.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { constants } from "node:os";
import path from "node:path";
import { REPO_ROOT } from "./corpus.js";

export const BOOTSTRAP = path.join(REPO_ROOT, "clients/python/scriptlog_client.py");

export interface PythonRun {
  stdout: string;
  stderr: string;
  /** The exit code, or the negative signal number (as Python's subprocess reports it). */
  returnCode: number;
  /** What the bootstrap wrote; null when it wrote nothing (or ran plainly). */
  report: any;
}

export function runPython(
  script: string,
  opts: { cwd: string; bootstrap: boolean; args?: string[]; timeoutMs?: number },
): Promise<PythonRun> {
  const reportFile = path.join(opts.cwd, `.exception-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  const argv = opts.bootstrap ? [BOOTSTRAP, "--bootstrap", script, ...(opts.args ?? [])] : [script, ...(opts.args ?? [])];
  const env = { ...process.env, ...(opts.bootstrap ? { SCRIPTLOG_EXCEPTION_FILE: reportFile } : {}) };
  const child = spawn("python3", argv, { cwd: opts.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  // Only a backstop against a script that hangs, well past any test's own timeout: a loaded machine can take
  // many seconds just to start python3, and a kill inside that window failed tests that were right.
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 300_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      let report = null;
      if (existsSync(reportFile)) {
        report = JSON.parse(readFileSync(reportFile, "utf8"));
        rmSync(reportFile);
      }
      resolve({ stdout, stderr, returnCode: code ?? -signalNumber(signal), report });
    });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? constants.signals[signal] : 0;
}

/** Runs fn over items, at most `width` at a time (python3 processes are heavy on a small, shared machine). */
export async function inPool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  };
  await Promise.all(Array.from({ length: width }, worker));
}
