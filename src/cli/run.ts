// `scriptlog run [options] -- COMMAND [ARGS…]`: runs a script as the user's terminal would see it, records the
// attempt (with its exception captured at the source when it is Python) and exits with the script's own
// exit code. Attempts that cannot be delivered wait in a spool; `--flush` (or the next run) sends them.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { ScriptlogApiError, ScriptlogClient, type AttemptRequest, type ExceptionReport } from "../client/index.js";
import type { Config } from "../config.js";
import { ScriptlogError } from "../errors.js";
import { CappedCapture, changedFiles, pythonScriptIndex, stampFiles, underBootstrap } from "./runCapture.js";
import { Spool, worthRetrying } from "./spool.js";

export interface RunOptions {
  session?: string;
  after?: string;
  logId?: string;
  prompt?: string;
  model?: string;
  image?: string;
  contextVersion?: string;
  tag?: string[];
  timeout?: string;
  out?: string;
  flush?: boolean;
  json?: boolean;
}

/** Exit code of a run the timeout stopped, as GNU timeout's. */
const TIMED_OUT_EXIT = 124;
const EXCEPTION_FILE_ENV = "SCRIPTLOG_EXCEPTION_FILE";

export interface Execution {
  /** The exit code, or minus the signal that ended it. */
  returnCode: number;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  seconds: number;
  exception: ExceptionReport | null;
  outputFiles: string[];
}

export async function runCommand(config: Config, command: string[], options: RunOptions): Promise<void> {
  const client = new ScriptlogClient(config.client.url, { token: config.client.token, timeoutMs: 10_000 });
  const spool = new Spool(config.client.spoolFile);
  const say = (line: string) => process.stderr.write(`scriptlog: ${line}\n`);
  if (options.flush) {
    const report = await flushSpool(spool, client, say);
    if (options.json) process.stdout.write(JSON.stringify(report) + "\n");
    process.exit(report.remaining > 0 || report.rejected.length > 0 ? 1 : 0);
  }
  if (command.length === 0)
    throw new ScriptlogError("invalid_argument", "give the command to run after --, e.g. scriptlog run -- python3 main.py");
  const timeoutMs = options.timeout === undefined ? null : seconds(options.timeout) * 1000;

  const scriptIndex = pythonScriptIndex(command);
  const code = scriptIndex === null ? command.join(" ") : readScript(command[scriptIndex]);
  const execution = await execute(command, scriptIndex, timeoutMs, options.out ?? null);

  const failed = execution.returnCode !== 0 || execution.timedOut;
  const body = attemptBody(options, code, execution, failed);
  // What waits in the spool goes first: this attempt may retry one of them.
  if (spool.pending() > 0) await flushSpool(spool, client, say);
  let answer: { log_id: string; session_id: string; error_type?: string | null } | null = null;
  try {
    answer = await client.recordAttempt(body);
    say(
      `log_id=${answer.log_id} session_id=${answer.session_id} status=${body.status}${answer.error_type ? ` error_type=${answer.error_type}` : ""}`,
    );
  } catch (err) {
    if (worthRetrying(err)) {
      await spool.append(body);
      say(`${(err as Error).message}; log_id=${body.log_id} spooled to ${spool.file} (send it with scriptlog run --flush)`);
    } else if (err instanceof ScriptlogApiError) {
      spool.reject(body, err);
      say(`the server refused the attempt: ${err.message}; kept in ${spool.rejectedFile}`);
    } else throw err;
  }
  if (options.json) {
    const { stdout: _o, stderr: _e, exception, ...run } = execution;
    process.stdout.write(
      JSON.stringify({
        ...run,
        exception: exception !== null,
        log_id: body.log_id,
        session_id: answer?.session_id ?? null,
        recorded: answer !== null,
      }) + "\n",
    );
  }
  process.exit(exitCode(execution));
}

async function flushSpool(spool: Spool, client: ScriptlogClient, say: (line: string) => void) {
  const report = await spool.flush(client);
  for (const sent of report.sent)
    say(`sent spooled log_id=${sent.log_id} session_id=${sent.session_id}${sent.replayed ? " (already recorded)" : ""}`);
  for (const r of report.rejected) say(`spooled log_id=${r.log_id} refused for good (${r.error}); kept in ${spool.rejectedFile}`);
  if (report.remaining > 0) say(`${report.remaining} attempt(s) still spooled in ${spool.file}: the server is unreachable`);
  else if (report.sent.length === 0 && report.rejected.length === 0) say("nothing spooled");
  return { sent: report.sent.map((s) => s.log_id), rejected: report.rejected, remaining: report.remaining };
}

function attemptBody(options: RunOptions, code: string, run: Execution, failed: boolean): AttemptRequest {
  const common = {
    log_id: options.logId ?? randomUUID(),
    code,
    stdout: run.stdout,
    ...(options.session !== undefined ? { session_id: options.session } : {}),
    ...(options.after !== undefined ? { previous_attempt_id: options.after } : {}),
    ...(options.prompt !== undefined ? { user_prompt: options.prompt } : {}),
    ...(options.model !== undefined ? { ai_model: options.model } : {}),
    ...(options.image !== undefined ? { image_filename: options.image } : {}),
    ...(options.contextVersion !== undefined ? { context_version: options.contextVersion } : {}),
    ...(options.tag?.length ? { tags: options.tag } : {}),
    execution_time_seconds: Math.round(run.seconds * 1e6) / 1e6,
  };
  if (!failed) return { status: "success", ...common, output_files: run.outputFiles } as AttemptRequest;
  return {
    status: "failed",
    ...common,
    stderr: run.stderr,
    return_code: run.returnCode,
    timed_out: run.timedOut,
    ...(run.exception ? { exception: run.exception } : {}),
  } as AttemptRequest;
}

/** Runs the command in its own process group, passing its output through while capturing it. */
export async function execute(
  command: string[],
  scriptIndex: number | null,
  timeoutMs: number | null,
  outDir: string | null,
): Promise<Execution> {
  const reportDir = mkdtempSync(path.join(tmpdir(), "scriptlog-run-"));
  const reportFile = path.join(reportDir, "exception.json");
  const before = outDir ? stampFiles(outDir) : null;
  const argv = scriptIndex === null ? command : underBootstrap(command, scriptIndex);
  const stdout = new CappedCapture();
  const stderr = new CappedCapture();
  const started = performance.now();
  try {
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ["inherit", "pipe", "pipe"],
      detached: true, // its own process group, so a timeout ends the script's children too
      env: { ...process.env, [EXCEPTION_FILE_ENV]: reportFile },
    });
    child.stdout.on("data", (chunk: Buffer) => {
      process.stdout.write(chunk);
      stdout.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderr.push(chunk);
    });
    // Ctrl-C and kill reach the script as they would without us (it has its own group now).
    const forward = (signal: NodeJS.Signals) => () => killGroup(child.pid, signal);
    const onInt = forward("SIGINT");
    const onTerm = forward("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    let timedOut = false;
    const timer =
      timeoutMs === null
        ? null
        : setTimeout(() => {
            timedOut = true;
            killGroup(child.pid, "SIGKILL");
          }, timeoutMs);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once("error", (err: NodeJS.ErrnoException) =>
        reject(
          new ScriptlogError("invalid_argument", `cannot run ${argv[0]}: ${err.code === "ENOENT" ? "command not found" : err.message}`),
        ),
      );
      child.once("close", (c, s) => resolve([c, s]));
    }).finally(() => {
      if (timer) clearTimeout(timer);
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    });
    return {
      returnCode: code ?? -(signal ? constants.signals[signal] : 0),
      timedOut,
      stdout: stdout.text(),
      stderr: stderr.text(),
      seconds: (performance.now() - started) / 1000,
      exception: readReport(reportFile),
      outputFiles: before && outDir ? changedFiles(before, stampFiles(outDir)) : [],
    };
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function readReport(file: string): ExceptionReport | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as ExceptionReport;
  } catch {
    return null; // a report cut short (the script was killed while it was written): stderr still tells
  }
}

function readScript(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return ""; // python3 itself will say the file cannot be opened, and that failure is recorded
  }
}

/** The script's own exit code; 128+N for a signal, as a shell reports it; 124 when the timeout stopped it. */
function exitCode(run: Execution): number {
  if (run.timedOut) return TIMED_OUT_EXIT;
  return run.returnCode >= 0 ? run.returnCode : 128 - run.returnCode;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new ScriptlogError("invalid_argument", `--timeout must be a positive number of seconds, not '${value}'`);
  return n;
}
