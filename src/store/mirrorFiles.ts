// Writes sealed envelope lines into daily files exactly as the file store would: one line per event, in the
// file of its recorded_at's UTC day. Used by the JetStream store's local mirror and by `scriptlog mirror`.
import { closeSync, fstatSync, openSync, writeSync } from "node:fs";
import path from "node:path";
import type { Envelope, EventLocation } from "../events/types.js";
import { dailyFileName } from "./logFiles.js";

export class MirrorFiles {
  private current: { name: string; fd: number; size: number } | null = null;

  constructor(private readonly dir: string) {}

  /** Appends one line (without its newline) and says where it lies. Not fsync'd: the stream is the record. */
  write(envelope: Envelope, line: Buffer): EventLocation {
    const file = this.fileFor(dailyFileName(envelope.recorded_at));
    const offset = file.size;
    const bytes = Buffer.concat([line, NEWLINE]);
    for (let written = 0; written < bytes.length;) written += writeSync(file.fd, bytes, written, bytes.length - written);
    file.size += bytes.length;
    return { file: file.name, offset, length: line.length };
  }

  close(): void {
    if (this.current) closeSync(this.current.fd);
    this.current = null;
  }

  private fileFor(name: string): { name: string; fd: number; size: number } {
    if (this.current?.name === name) return this.current;
    this.close();
    const fd = openSync(path.join(this.dir, name), "a");
    this.current = { name, fd, size: fstatSync(fd).size };
    return this.current;
  }
}

const NEWLINE = Buffer.from("\n");
