// Bytes cut off a daily file are never thrown away: they are kept, durably, in a quarantine file beside it
// (`YYYY-MM-DD.jsonl.torn-<offset>-<time>`, a name replay never reads) before the file is truncated.
import { open } from "node:fs/promises";
import path from "node:path";
import { writeDurably } from "./durableFiles.js";

/** Moves the bytes of `file` from `offset` to its end into a quarantine file; returns that file's name. */
export async function quarantineTail(dir: string, file: string, offset: number): Promise<string> {
  const filePath = path.join(dir, file);
  const handle = await open(filePath, "r+");
  try {
    const { size } = await handle.stat();
    const bytes = Buffer.alloc(Math.max(0, size - offset));
    if (bytes.length) await handle.read(bytes, 0, bytes.length, offset);
    const name = `${file}.torn-${offset}-${new Date().toISOString().replace(/[:.]/g, "")}`;
    await writeDurably(path.join(dir, name), bytes);
    await handle.truncate(offset);
    await handle.sync();
    return name;
  } finally {
    await handle.close();
  }
}
