// Commands that read the log (verify, rebuild, export) read daily files. On JetStream they first bring the
// local mirror up to the stream's end — or, while a server on this machine holds that mirror, copy the stream
// into a temporary directory — and read that.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Config } from "../config.js";
import { ScriptlogError } from "../errors.js";
import { mirrorStream } from "../store/jetstream/streamMirror.js";

export async function withLogFiles<T>(config: Config, run: (config: Config) => Promise<T>): Promise<T> {
  if (!config.jetstream) return run(config);
  try {
    await mirrorStream(config.jetstream, config.eventsDir);
    return await run(config);
  } catch (err) {
    if (!(err instanceof ScriptlogError && err.code === "log_locked")) throw err;
  }
  const temp = mkdtempSync(path.join(tmpdir(), "scriptlog-mirror-"));
  try {
    await mirrorStream(config.jetstream, temp);
    return await run({ ...config, eventsDir: temp });
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
