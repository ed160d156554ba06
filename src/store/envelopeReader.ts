// Reads single events back from the log by where their lines lie: whole entries are not kept in memory.
import { closeSync, openSync, readSync } from "node:fs";
import path from "node:path";
import type { Envelope, EventLocation } from "../events/types.js";
import { upcast } from "../events/upcasters.js";

export class EnvelopeReader {
  private readonly handles = new Map<string, number>();

  constructor(private readonly dir: string) {}

  /** The event at a location, upcast to the current version of its type. */
  read(location: EventLocation): Envelope {
    let fd = this.handles.get(location.file);
    if (fd === undefined) {
      fd = openSync(path.join(this.dir, location.file), "r");
      this.handles.set(location.file, fd);
    }
    const buffer = Buffer.allocUnsafe(location.length);
    const read = readSync(fd, buffer, 0, location.length, location.offset);
    return upcast(JSON.parse(buffer.toString("utf8", 0, read)) as Envelope);
  }

  close(): void {
    for (const fd of this.handles.values()) closeSync(fd);
    this.handles.clear();
  }
}
