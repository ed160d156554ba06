// The log's on-disk layout: one JSONL file per UTC day of recording, named YYYY-MM-DD.jsonl.
import { readdir } from "node:fs/promises";
import { readBoundary } from "./archiveBoundary.js";

const DAILY_FILE = /^\d{4}-\d{2}-\d{2}\.jsonl$/;

export function dailyFileName(recordedAt: string): string {
  return `${recordedAt.slice(0, 10)}.jsonl`;
}

/** The daily files of a log directory, oldest first; a missing directory is an empty log. */
export async function listLogFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => DAILY_FILE.test(f)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/** The daily files replay reads: all of them but those an archive moved out (see archiveBoundary.ts). */
export async function liveLogFiles(dir: string): Promise<string[]> {
  const archived = new Set(readBoundary(dir)?.files ?? []);
  return (await listLogFiles(dir)).filter((f) => !archived.has(f));
}
