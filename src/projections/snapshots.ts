// Read-model snapshots on disk: one JSON file per read model, written atomically (temp file + rename).
import { mkdir, open, rename } from "node:fs/promises";
import path from "node:path";
import type { ReadModels } from "./readModels.js";

/** Writes every read model's snapshot; returns the files written. */
export async function writeSnapshots(models: ReadModels, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, snapshot] of Object.entries(models.toJSON())) {
    const file = path.join(dir, `${name}.json`);
    const temp = `${file}.tmp-${process.pid}`;
    const handle = await open(temp, "w");
    try {
      await handle.writeFile(JSON.stringify({ projection: name, ...snapshot }) + "\n");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    written.push(file);
  }
  return written;
}
