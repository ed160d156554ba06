// Progress through a log directory, by bytes: for commands that read the whole log.
import { stat } from "node:fs/promises";
import path from "node:path";
import type { StoredEvent } from "../events/types.js";
import { liveLogFiles } from "../store/logFiles.js";
import { progressBar } from "./progress.js";

export async function logProgress(label: string, eventsDir: string) {
  const files = await liveLogFiles(eventsDir);
  const sizes = await Promise.all(files.map(async (f) => (await stat(path.join(eventsDir, f))).size));
  const total = sizes.reduce((a, b) => a + b, 0);
  const before = new Map(files.map((f, i) => [f, sizes.slice(0, i).reduce((a, b) => a + b, 0)]));
  const bar = progressBar(label, total);
  let events = 0;
  return {
    onEvent(e: StoredEvent) {
      if ((++events & 1023) === 0) bar.update((before.get(e.location.file) ?? 0) + e.location.offset);
    },
    stop() {
      bar.update(total);
      bar.stop();
    },
  };
}
