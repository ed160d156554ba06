// One writer per log directory: an exclusive lock file naming the live process.
import { openSync, readFileSync, rmSync, writeSync, closeSync, fsyncSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { ScriptlogError } from "../errors.js";

export const LOCK_FILE = ".lock";

interface LockOwner {
  pid: number;
  host: string;
  started_at: string;
}

// Locks this process holds, so a second open in the same process is refused while a lock naming our pid
// left by an earlier process (pid reused after a container restart) is still recognised as stale.
const heldHere = new Set<string>();

export interface LogLock {
  release(): void;
}

export function acquireLock(dir: string): LogLock {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      const owner: LockOwner = { pid: process.pid, host: hostname(), started_at: new Date().toISOString() };
      writeSync(fd, JSON.stringify(owner) + "\n");
      fsyncSync(fd);
      closeSync(fd);
      heldHere.add(file);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          heldHere.delete(file);
          rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = lockOwner(dir);
      if (owner && (heldHere.has(file) || isAlive(owner))) {
        throw new ScriptlogError(
          "log_locked",
          `${dir} is in use by process ${owner.pid} on ${owner.host} (since ${owner.started_at}); ` +
            `only one process may write a log. Stop it, or point this one at another directory.`,
          { ...owner },
        );
      }
      // The owner is gone (crash, kill -9): the lock is stale and safe to take over.
      rmSync(file, { force: true });
    }
  }
  throw new ScriptlogError("log_locked", `could not take the lock ${file}`);
}

/** The process holding the directory's lock, if a live one does. */
export function lockOwner(dir: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(path.join(dir, LOCK_FILE), "utf8")) as LockOwner;
    return typeof owner.pid === "number" ? owner : null;
  } catch {
    return null;
  }
}

export function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true; // another machine's process: we cannot tell, so respect it
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** For commands that write beside the log (snapshots, exports into it): refused while a live process writes it. */
export function refuseWhileLocked(dir: string, action: string): void {
  const owner = lockOwner(dir);
  if (owner && isAlive(owner)) {
    throw new ScriptlogError(
      "log_locked",
      `cannot ${action} while process ${owner.pid} on ${owner.host} serves ${dir}; stop it, or write elsewhere with --out`,
      { ...owner },
    );
  }
}
