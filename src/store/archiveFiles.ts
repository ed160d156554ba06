// The archive side of `scriptlog archive`: daily files gzip-compressed into a directory, with a manifest
// naming the chain head the archive starts from and the one it ends at, so it verifies on its own.
import { createReadStream, createWriteStream } from "node:fs";
import { readFile, rename } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import type { ChainHead } from "../events/chain.js";
import { fsyncPath } from "./durableFiles.js";
import { streamLines } from "./lines.js";

export const ARCHIVE_MANIFEST = "archive.json";

export interface ArchiveManifest {
  start: ChainHead;
  end: ChainHead;
  /** Oldest first: YYYY-MM-DD.jsonl.gz */
  files: string[];
}

export async function gzipDurably(source: string, target: string): Promise<void> {
  const temp = `${target}.tmp-${process.pid}`;
  await pipeline(createReadStream(source), createGzip({ level: 9 }), createWriteStream(temp));
  await fsyncPath(temp);
  await rename(temp, target);
  await fsyncPath(path.dirname(target));
}

export async function readManifest(dir: string): Promise<ArchiveManifest | null> {
  try {
    return JSON.parse(await readFile(path.join(dir, ARCHIVE_MANIFEST), "utf8")) as ArchiveManifest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** The lines of a gzip-compressed daily file, in order. */
export function gzipLines(file: string): AsyncGenerator<string> {
  // Decoded as a stream, so a character split across two chunks stays whole.
  return streamLines(createReadStream(file).pipe(createGunzip()).setEncoding("utf8"), "keep");
}
