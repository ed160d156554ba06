// What `scriptlog run` needs around the command it runs: where the Python bootstrap lies, how a Python
// command is run under it, output captured within a cap while it passes through, and the files a run wrote.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The Python bootstrap, shipped with the package (package.json `files`), from dist/src/cli or src/cli alike. */
export const BOOTSTRAP = path.resolve(
  fileURLToPath(new URL(".", import.meta.url)),
  fileURLToPath(import.meta.url).includes("/dist/") ? "../../.." : "../..",
  "clients/python/scriptlog_client.py",
);

const PYTHON = /^python(\d+(\.\d+)*)?$/;
// CPython's options that take no value (they may be combined: -uB) and the two that take one.
const PYTHON_FLAGS = /^-[bBdEhiIOPqsSuvVx]+$/;
const PYTHON_VALUE_OPTIONS = new Set(["-W", "-X"]);

/** For `python3 [options] script.py [args…]`: the script's index in the command; null for anything else (-c, -m, stdin, not Python). */
export function pythonScriptIndex(command: string[]): number | null {
  if (!PYTHON.test(path.basename(command[0] ?? ""))) return null;
  for (let i = 1; i < command.length; i++) {
    const arg = command[i];
    if (arg === "--") return i + 1 < command.length ? i + 1 : null;
    if (PYTHON_VALUE_OPTIONS.has(arg)) i++;
    else if (/^-[WX]./.test(arg) || PYTHON_FLAGS.test(arg)) continue;
    else if (arg.startsWith("-"))
      return null; // -c, -m, -, --help …: no script file to run under the bootstrap
    else return i;
  }
  return null;
}

/** The command with the bootstrap inserted before the script: `python3 [options] BOOTSTRAP --bootstrap script.py [args…]`. */
export function underBootstrap(command: string[], scriptIndex: number): string[] {
  return [...command.slice(0, scriptIndex), BOOTSTRAP, "--bootstrap", ...command.slice(scriptIndex)];
}

/** Captured stdout and stderr, each: the first 16 KiB and the last 48 KiB (a traceback is at the end). */
export const CAPTURE_HEAD_BYTES = 16 * 1024;
export const CAPTURE_TAIL_BYTES = 48 * 1024;

/** Keeps the head and a rolling tail of a stream, in memory bounded by the two caps whatever the stream's length. */
export class CappedCapture {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headBytes < CAPTURE_HEAD_BYTES) {
      const take = chunk.subarray(0, CAPTURE_HEAD_BYTES - this.headBytes);
      this.head.push(take);
      this.headBytes += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length === 0) return;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    while (this.tailBytes - this.tail[0].length >= CAPTURE_TAIL_BYTES) this.tailBytes -= this.tail.shift()!.length;
  }

  /** As stored: with a line saying how many bytes were left out between head and tail. */
  text(): string {
    let tail = Buffer.concat(this.tail);
    if (tail.length > CAPTURE_TAIL_BYTES) tail = tail.subarray(tail.length - CAPTURE_TAIL_BYTES);
    const omitted = this.total - this.headBytes - tail.length;
    const marker = omitted > 0 ? Buffer.from(`\n[scriptlog: ${omitted} bytes omitted]\n`) : Buffer.alloc(0);
    return Buffer.concat([...this.head, marker, tail]).toString("utf8");
  }
}

/** At most this many output files are listed (the API's cap). */
const MAX_OUTPUT_FILES = 10_000;

export type FileStamps = Map<string, string>;

/** Size and mtime of every file under dir (walked with a stack, not recursion); empty if dir does not exist. */
export function stampFiles(dir: string): FileStamps {
  const stamps: FileStamps = new Map();
  const stack = [dir];
  while (stack.length) {
    const current = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const full = path.join(current, e.name);
      if (e.isDirectory()) stack.push(full);
      else if (e.isFile()) {
        try {
          const s = statSync(full);
          stamps.set(full, `${s.size}:${s.mtimeMs}`);
        } catch {
          // removed while we looked
        }
      }
    }
  }
  return stamps;
}

/** Files created or changed between two stamps, sorted, capped. */
export function changedFiles(before: FileStamps, after: FileStamps): string[] {
  const changed: string[] = [];
  for (const [file, stamp] of after) if (before.get(file) !== stamp) changed.push(file);
  return changed.sort().slice(0, MAX_OUTPUT_FILES);
}
