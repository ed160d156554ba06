// The spool of `scriptlog run`: attempts it could not deliver (server down, or not ready), one request body
// per line, sent in order by `scriptlog run --flush` or by the next run. Bodies carry their client-chosen
// log_id, so a body that did reach the server before a connection broke is answered as an idempotent repeat.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ScriptlogApiError,
  ScriptlogUnreachableError,
  type AttemptOutcome,
  type AttemptRequest,
  type ScriptlogClient,
} from "../client/index.js";

// Answers after which the same body may still be taken later: the server is down or busy, or wants
// credentials the runner has not been given yet. Any other 4xx refuses the body itself.
const RETRY_STATUSES = new Set([401, 403, 408, 429]);

export function worthRetrying(err: unknown): boolean {
  if (err instanceof ScriptlogUnreachableError) return true;
  return err instanceof ScriptlogApiError && (err.status >= 500 || RETRY_STATUSES.has(err.status));
}

/** A lock older than this was left by a process that died while holding it. */
const STALE_LOCK_MS = 10 * 60_000;
const LOCK_WAIT_MS = 5_000;

export interface FlushReport {
  sent: AttemptOutcome[];
  /** Refused by the server for good (invalid, conflicting): moved to FILE.rejected with the reason. */
  rejected: { log_id: string | undefined; error: string }[];
  /** Still waiting for the server. */
  remaining: number;
}

export class Spool {
  readonly rejectedFile: string;
  private readonly lockFile: string;
  constructor(readonly file: string) {
    this.rejectedFile = `${file}.rejected`;
    this.lockFile = `${file}.lock`;
  }

  async append(body: AttemptRequest): Promise<void> {
    await this.locked(() => appendDurably(this.file, JSON.stringify(body) + "\n"));
  }

  /** Keeps a body the server refused for good, with the reason, for a person to look at. */
  reject(body: AttemptRequest, err: ScriptlogApiError): void {
    appendDurably(this.rejectedFile, JSON.stringify({ error: { status: err.status, code: err.code, message: err.message }, body }) + "\n");
  }

  pending(): number {
    return this.lines().length;
  }

  /** Sends the spooled bodies in order, stopping at the first that cannot reach the server. */
  async flush(client: ScriptlogClient): Promise<FlushReport> {
    return this.locked(async () => {
      const lines = this.lines();
      const report: FlushReport = { sent: [], rejected: [], remaining: 0 };
      let i = 0;
      for (; i < lines.length; i++) {
        const body = JSON.parse(lines[i]) as AttemptRequest;
        try {
          report.sent.push(await client.recordAttempt(body));
        } catch (err) {
          if (worthRetrying(err)) break;
          if (!(err instanceof ScriptlogApiError)) throw err;
          report.rejected.push({ log_id: body.log_id, error: err.message });
          this.reject(body, err);
        }
      }
      const rest = lines.slice(i);
      report.remaining = rest.length;
      if (rest.length === 0) rmSync(this.file, { force: true });
      else if (i > 0) {
        writeFileSync(`${this.file}.tmp`, rest.map((l) => l + "\n").join(""));
        renameSync(`${this.file}.tmp`, this.file);
      }
      return report;
    });
  }

  private lines(): string[] {
    try {
      return readFileSync(this.file, "utf8").split("\n").filter(Boolean);
    } catch {
      return [];
    }
  }

  /** One process at a time appends or flushes, so a flush never drops a line appended meanwhile. */
  private async locked<T>(work: () => T | Promise<T>): Promise<T> {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        closeSync(openSync(this.lockFile, "wx"));
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        if (this.lockAge() > STALE_LOCK_MS) rmSync(this.lockFile, { force: true });
        else if (Date.now() > deadline)
          throw new Error(`spool ${this.file} is locked by another scriptlog run (${this.lockFile})`, { cause: err });
        else await sleep(50);
      }
    }
    try {
      return await work();
    } finally {
      rmSync(this.lockFile, { force: true });
    }
  }

  private lockAge(): number {
    try {
      return Date.now() - statSync(this.lockFile).mtimeMs;
    } catch {
      return 0;
    }
  }
}

function appendDurably(file: string, text: string): void {
  const fd = openSync(file, "a");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
