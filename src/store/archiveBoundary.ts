// Where the live log begins after `scriptlog archive` moved older daily files out: the seq and hash of the
// last archived event (the live chain continues from it) and the files that went, which replay skips even
// if a crash left them behind.
import { readFileSync } from "node:fs";
import path from "node:path";

export const BOUNDARY_FILE = "archived.json";

export interface ArchiveBoundary {
  seq: number;
  hash: string;
  before: string;
  to: string;
  files: string[];
}

export function readBoundary(dir: string): ArchiveBoundary | null {
  try {
    return JSON.parse(readFileSync(path.join(dir, BOUNDARY_FILE), "utf8")) as ArchiveBoundary;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}
