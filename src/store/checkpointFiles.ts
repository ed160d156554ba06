// Signed checkpoints on disk: events/checkpoints/<seq>.note, one signed note per file, written atomically.
import { mkdir, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseCheckpoint } from "../events/checkpoint.js";
import { writeDurably } from "./durableFiles.js";
import type { KnownHead } from "./logReader.js";

export const CHECKPOINT_DIR = "checkpoints";
const NOTE = /^(\d{16})\.note$/;

export async function writeCheckpointFile(eventsDir: string, seq: number, text: string): Promise<string> {
  const dir = path.join(eventsDir, CHECKPOINT_DIR);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${String(seq).padStart(16, "0")}.note`);
  await writeDurably(file, text);
  return file;
}

/** Every checkpoint, oldest first. */
export async function readCheckpointFiles(eventsDir: string): Promise<Array<{ file: string; text: string }>> {
  const dir = path.join(eventsDir, CHECKPOINT_DIR);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => NOTE.test(f)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return Promise.all(
    names.map(async (name) => ({ file: path.join(CHECKPOINT_DIR, name), text: await readFile(path.join(dir, name), "utf8") })),
  );
}

/** The newest checkpoint, if any. */
export async function latestCheckpointFile(eventsDir: string): Promise<{ file: string; text: string } | null> {
  const dir = path.join(eventsDir, CHECKPOINT_DIR);
  try {
    const last = (await readdir(dir))
      .filter((f) => NOTE.test(f))
      .sort()
      .pop();
    return last ? { file: path.join(CHECKPOINT_DIR, last), text: await readFile(path.join(dir, last), "utf8") } : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** The seq the newest checkpoint vouches for: the log must still reach it (an unreadable note proves nothing). */
export async function latestCheckpointHead(eventsDir: string): Promise<KnownHead | null> {
  const latest = await latestCheckpointFile(eventsDir);
  if (!latest) return null;
  try {
    return { seq: parseCheckpoint(latest.text).checkpoint.seq, by: `the checkpoint ${latest.file}` };
  } catch {
    return null;
  }
}
