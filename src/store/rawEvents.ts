// The log's lines exactly as stored (not upcast, not re-serialised), from a seq on: what auditors and
// replicas need to re-verify the chain themselves.
import { createReadStream } from "node:fs";
import path from "node:path";
import { streamLines } from "./lines.js";
import { liveLogFiles } from "./logFiles.js";

/** Complete lines of one file, in order (an unfinished last line, an append in progress, is left out). */
async function* fileLines(filePath: string): AsyncGenerator<string> {
  for await (const line of streamLines(createReadStream(filePath, { encoding: "utf8", highWaterMark: 1 << 20 }), "drop"))
    if (line) yield line;
}

async function firstSeq(filePath: string): Promise<number> {
  for await (const line of fileLines(filePath)) return (JSON.parse(line) as { seq: number }).seq;
  return Number.POSITIVE_INFINITY;
}

/** Stored lines of the events after `afterSeq`, oldest first, across daily files. */
export async function* rawEventLines(dir: string, afterSeq: number): AsyncGenerator<string> {
  const files = (await liveLogFiles(dir)).map((f) => path.join(dir, f));
  // The last file that starts at or before the wanted seq (files hold consecutive seqs).
  let lo = 0;
  let hi = files.length - 1;
  let start = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((await firstSeq(files[mid])) <= afterSeq + 1) {
      start = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  for (const file of files.slice(start)) {
    for await (const line of fileLines(file)) {
      // Canonical JSON puts "seq" after "recorded_at"; parsing the line is the robust way to read it.
      if ((JSON.parse(line) as { seq: number }).seq > afterSeq) yield line;
    }
  }
}

/**
 * The first event the live log holds: which log this is. A snapshot records it, so a snapshot of another log
 * (another first event) is told apart from one of this log that now ends too early.
 */
export async function logAnchor(dir: string): Promise<{ seq: number; hash: string } | null> {
  for (const file of await liveLogFiles(dir)) {
    for await (const line of fileLines(path.join(dir, file))) {
      try {
        const { seq, hash } = JSON.parse(line) as { seq: number; hash: string };
        return { seq, hash };
      } catch {
        return null; // a damaged line identifies nothing; start-up will name it
      }
    }
  }
  return null;
}
