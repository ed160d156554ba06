// Whole files written so a crash leaves either the old file or the new one, never a torn mix.
import { open, rename } from "node:fs/promises";
import path from "node:path";

export async function fsyncPath(p: string): Promise<void> {
  const handle = await open(p, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Temp file, fsync, rename over the target, fsync of the directory. */
export async function writeDurably(file: string, text: string | Uint8Array): Promise<void> {
  await writeDurablyChunks(file, [text]);
}

/** As writeDurably, for content too large to hold as one string (a read model of a million attempts). */
export async function writeDurablyChunks(file: string, chunks: Iterable<string | Uint8Array>): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  const handle = await open(temp, "w");
  try {
    for (const chunk of chunks) await handle.writeFile(chunk); // the whole chunk, however many writes it takes
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  await fsyncPath(path.dirname(file));
}
