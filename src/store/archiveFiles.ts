// The archive side of `scriptlog archive`: daily files gzip-compressed into a directory, with a manifest
// naming the chain head the archive starts from and the one it ends at, so it verifies on its own.
import { createReadStream, createWriteStream } from "node:fs";
import { open, readFile, rename } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import type { ChainHead } from "../events/chain.js";

export const ARCHIVE_MANIFEST = "archive.json";

export interface ArchiveManifest {
  start: ChainHead;
  end: ChainHead;
  /** Oldest first: YYYY-MM-DD.jsonl.gz */
  files: string[];
}

async function fsyncPath(p: string): Promise<void> {
  const handle = await open(p, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a file durably: temp file, fsync, rename, fsync of the directory. */
export async function writeDurably(file: string, text: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  const handle = await open(temp, "w");
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  await fsyncPath(path.dirname(file));
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
export async function* gzipLines(file: string): AsyncGenerator<string> {
  let carry = "";
  for await (const chunk of createReadStream(file).pipe(createGunzip())) {
    const parts = (carry + chunk.toString("utf8")).split("\n");
    carry = parts.pop()!;
    for (const line of parts) yield line;
  }
  if (carry) yield carry;
}
