// The TypeScript modules under a directory of src, for tests that read the code itself.
import { readdirSync } from "node:fs";
import path from "node:path";

export const SRC = path.resolve(import.meta.dirname, "../../../src");

/** Every `.ts` module under `dir` (declaration files left out: they hold no code). */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}
