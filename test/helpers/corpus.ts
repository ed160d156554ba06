import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

/** The repository root, from dist/test/helpers or test/helpers alike. */
export const REPO_ROOT = path.resolve(
  fileURLToPath(new URL(".", import.meta.url)),
  fileURLToPath(import.meta.url).includes("/dist/") ? "../../.." : "../..",
);
export const SHARED = path.resolve(REPO_ROOT, "../shared");
export const TRACEBACK_CORPUS = path.join(SHARED, "fixtures/tracebacks/public.jsonl");
export const SEED_LOGS = path.join(SHARED, "fixtures/maps-script-helper/logs");

export interface CorpusCase {
  case: string;
  code: string;
  stderr: string;
  stdout: string;
  return_code: number;
  timed_out?: boolean;
  truth: { type: string | null; message: string | null; category: string | null };
}

export function readCorpus(file = TRACEBACK_CORPUS): CorpusCase[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CorpusCase);
}
