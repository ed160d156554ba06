// One writer per log directory, without guessing: the lock is a listening Unix socket, which the kernel closes
// the moment its process dies — before a parent reaps it, whatever PID comes next — so a lock is held exactly
// as long as its holder lives, and a crash never leaves a stale one to judge.
//
// On Linux the socket lives in the abstract namespace, named after the directory's real path: binding it is
// atomic (two starters cannot both win) and nothing is left on disk, so deleting the events directory cannot
// remove the lock. Elsewhere it is the file `.lock.sock` in the directory; one nobody answers on is stale.
// Whoever connects is told the holder's pid, host and start time.
import { hash } from "node:crypto";
import { realpathSync, rmSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { hostname } from "node:os";
import path from "node:path";
import { ScriptlogError } from "../errors.js";

export const LOCK_SOCKET = ".lock.sock";
const ABSTRACT = process.platform === "linux";

interface LockOwner {
  pid: number;
  host: string;
  started_at: string;
}

export interface LogLock {
  release(): Promise<void>;
}

function address(dir: string): string {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    real = path.resolve(dir);
  }
  return ABSTRACT ? `\0scriptlog-lock:${hash("sha256", real, "hex")}` : path.join(real, LOCK_SOCKET);
}

function listen(server: Server, where: string): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    server.once("error", resolve);
    server.listen(where, () => {
      server.off("error", resolve);
      resolve(null);
    });
  });
}

/** Takes the directory's writer lock, or refuses (log_locked) while a live process holds it. */
export async function acquireLock(dir: string): Promise<LogLock> {
  const where = address(dir);
  const owner: LockOwner = { pid: process.pid, host: hostname(), started_at: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    const server = createServer((socket) => socket.end(JSON.stringify(owner) + "\n"));
    const error = await listen(server, where);
    if (!error) {
      // The lock must not keep the process alive on its own.
      server.unref();
      let released: Promise<void> | null = null;
      return { release: () => (released ??= new Promise((resolve) => server.close(() => resolve()))) };
    }
    if (error.code !== "EADDRINUSE") throw error;
    const holder = await lockHolder(where);
    if (holder) throw locked(dir, holder, "only one process may write a log. Stop it, or point this one at another directory.");
    // Only a socket file can be stale (nobody listens on it any more): remove it and bind again.
    if (ABSTRACT) break;
    rmSync(where, { force: true });
  }
  throw new ScriptlogError("log_locked", `could not take the lock of ${dir}`, { dir });
}

/** The live process holding a lock, if one does: it answers on the socket. */
function lockHolder(where: string): Promise<LockOwner | null> {
  return new Promise((resolve) => {
    let text = "";
    const socket = connect(where);
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => (text += chunk));
    socket.on("error", () => resolve(null));
    socket.on("close", () => {
      try {
        resolve(JSON.parse(text) as LockOwner);
      } catch {
        // It answered, so it lives, even if it said nothing we understand.
        resolve(text ? { pid: 0, host: "unknown", started_at: "unknown" } : null);
      }
    });
  });
}

function locked(dir: string, owner: LockOwner, advice: string): ScriptlogError {
  return new ScriptlogError(
    "log_locked",
    `${dir} is in use by process ${owner.pid} on ${owner.host} (since ${owner.started_at}); ${advice}`,
    { ...owner },
  );
}

/** For commands that write beside the log (snapshots, exports into it): refused while a live process writes it. */
export async function refuseWhileLocked(dir: string, action: string): Promise<void> {
  const owner = await lockHolder(address(dir));
  if (owner) throw locked(dir, owner, `cannot ${action} while it serves; stop it, or write elsewhere with --out`);
}
