// The original system's `logs/` tree (failures/YYYY-MM-DD/*.json, successes/…, sessions/*.json,
// analysis/latest_analysis.json): read for import, written by export, as events ↔ seed documents.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { EventDraft } from "../events/types.js";
import { dataProblems } from "../events/validation.js";
import { CURRENT_VERSION } from "../events/schemas.js";

export const SEED_SYSTEM = "maps-script-helper";

/** One attempt document of the seed layout. */
export interface SeedAttempt {
  log_id: string;
  session_id: string;
  timestamp: string;
  status: "failed" | "success";
  code: string;
  code_hash?: string | null;
  user_prompt?: string | null;
  ai_model?: string | null;
  image_filename?: string | null;
  error_message?: string | null;
  error_type?: string | null;
  stderr?: string | null;
  stdout?: string | null;
  return_code?: number | null;
  output_files?: string[] | null;
  execution_time_seconds?: number | null;
  previous_attempt_id?: string | null;
  fixed_by?: string | null;
  error_category?: string | null;
  tags?: string[] | null;
  /** Written by our export: whether the service chose the session (the original's documents lack it). */
  session_assigned?: boolean;
}

export interface SeedProblem {
  path: string;
  reason: string;
}

async function jsonFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const nested = await Promise.all(
    entries
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((e) => (e.isDirectory() ? jsonFiles(path.join(dir, e.name)) : e.name.endsWith(".json") ? [path.join(dir, e.name)] : [])),
  );
  return nested.flat();
}

/** Every attempt document under failures/ and successes/, with the files that could not be read. */
export async function readSeedAttempts(
  root: string,
): Promise<{ attempts: Array<{ path: string; attempt: SeedAttempt }>; problems: SeedProblem[]; sessions: number }> {
  const attempts: Array<{ path: string; attempt: SeedAttempt }> = [];
  const problems: SeedProblem[] = [];
  for (const [folder, status] of [
    ["failures", "failed"],
    ["successes", "success"],
  ] as const) {
    for (const file of await jsonFiles(path.join(root, folder))) {
      const rel = path.relative(root, file);
      try {
        const doc = JSON.parse(await readFile(file, "utf8")) as SeedAttempt;
        if (typeof doc !== "object" || doc === null) throw new Error("not a JSON object");
        if (doc.status !== status) throw new Error(`status '${doc.status}' in ${folder}/`);
        attempts.push({ path: rel, attempt: doc });
      } catch (err) {
        problems.push({ path: rel, reason: (err as Error).message });
      }
    }
  }
  let sessions = 0;
  for (const file of await jsonFiles(path.join(root, "sessions"))) {
    try {
      const doc = JSON.parse(await readFile(file, "utf8")) as { session_id?: unknown; attempts?: unknown };
      if (typeof doc.session_id !== "string" || !Array.isArray(doc.attempts))
        throw new Error("not a session document (session_id, attempts)");
      sessions++;
    } catch (err) {
      problems.push({ path: path.relative(root, file), reason: (err as Error).message });
    }
  }
  return { attempts, problems, sessions };
}

// What the original derived itself: kept for audit under origin.derived, re-derived by our analyzer.
const ORIGINAL_DERIVATIONS = ["error_message", "error_type", "error_category", "code_hash", "tags", "fixed_by"] as const;

/**
 * The attempt event of a seed document; its links become events of their own (see seedEvents). `clientLinked`:
 * the imported log links attempts itself (some previous_attempt_id, or sessions of several attempts), so its
 * sessions are the client's and inference must not join them.
 */
export function seedAttemptDraft(doc: SeedAttempt, relPath: string, clientLinked: boolean): EventDraft {
  const derived: Record<string, unknown> = {};
  for (const key of ORIGINAL_DERIVATIONS) if (doc[key] !== undefined && doc[key] !== null) derived[key] = doc[key];
  const facts = {
    log_id: doc.log_id,
    session_id: doc.session_id,
    timestamp: doc.timestamp,
    code: doc.code,
    user_prompt: doc.user_prompt ?? null,
    ai_model: doc.ai_model ?? null,
    image_filename: doc.image_filename ?? null,
    stdout: doc.stdout ?? null,
    origin: { system: SEED_SYSTEM, path: relPath, derived },
    // A log that never links attempts (the original's frontend) had every session id chosen by the original itself.
    session_assigned: typeof doc.session_assigned === "boolean" ? doc.session_assigned : !clientLinked,
  };
  const draft: EventDraft =
    doc.status === "failed"
      ? { type: "AttemptFailed", data: { ...facts, stderr: doc.stderr ?? null, return_code: doc.return_code ?? null } }
      : {
          type: "AttemptSucceeded",
          data: { ...facts, output_files: doc.output_files ?? null, execution_time_seconds: doc.execution_time_seconds ?? null },
        };
  const problems = dataProblems(draft.type, CURRENT_VERSION[draft.type], draft.data);
  if (problems.length) throw new Error(problems.map((p) => `${p.path} ${p.message}`).join("; "));
  return draft;
}

/**
 * The events of a set of seed attempts, oldest first: each attempt, its link to the previous attempt, and
 * each fix once both sides are recorded. `known` holds log_ids (and fixes) the log already has.
 */
export function seedEvents(
  docs: Array<{ path: string; attempt: SeedAttempt }>,
  known: { attempts: Set<string>; fixes: Set<string> },
  onProblem: (p: SeedProblem) => void,
): EventDraft[] {
  const drafts: EventDraft[] = [];
  const recorded = new Set(known.attempts);
  const byId = new Map(docs.map((d) => [d.attempt.log_id, d.attempt]));
  const perSession = new Map<string, number>();
  for (const { attempt } of docs) perSession.set(attempt.session_id, (perSession.get(attempt.session_id) ?? 0) + 1);
  const clientLinked = docs.some((d) => d.attempt.previous_attempt_id) || [...perSession.values()].some((n) => n > 1);
  const sorted = [...docs].sort(
    (a, b) => a.attempt.timestamp.localeCompare(b.attempt.timestamp) || a.attempt.log_id.localeCompare(b.attempt.log_id),
  );
  const fixPending = new Map<string, string[]>(); // success log_id → failures it fixed
  for (const { attempt, path: rel } of sorted) {
    if (!recorded.has(attempt.log_id)) {
      try {
        drafts.push(seedAttemptDraft(attempt, rel, clientLinked));
      } catch (err) {
        onProblem({ path: rel, reason: (err as Error).message });
        continue;
      }
      recorded.add(attempt.log_id);
      if (attempt.previous_attempt_id && recorded.has(attempt.previous_attempt_id)) {
        const previous = byId.get(attempt.previous_attempt_id);
        drafts.push({
          type: "AttemptLinked",
          data: {
            log_id: attempt.log_id,
            previous_attempt_id: attempt.previous_attempt_id,
            session_id: previous?.session_id ?? attempt.session_id,
          },
        });
      }
    }
    if (attempt.status === "failed" && attempt.fixed_by && !known.fixes.has(attempt.log_id)) {
      fixPending.set(attempt.fixed_by, [...(fixPending.get(attempt.fixed_by) ?? []), attempt.log_id]);
    }
    for (const failure of attempt.status === "success" ? (fixPending.get(attempt.log_id) ?? []) : []) {
      if (recorded.has(failure))
        drafts.push({
          type: "FixRecorded",
          data: { failure_log_id: failure, success_log_id: attempt.log_id, session_id: attempt.session_id },
        });
    }
    fixPending.delete(attempt.log_id);
  }
  return drafts;
}

/** An entry as the seed layout's attempt document (plus session_assigned, so an import gives back the same sessions). */
export function seedDocument(entry: Record<string, unknown>, sessionAssigned: boolean): SeedAttempt & { session_assigned: boolean } {
  const pick = <K extends keyof SeedAttempt>(key: K) => (entry[key] ?? null) as SeedAttempt[K];
  return {
    log_id: pick("log_id"),
    session_id: pick("session_id"),
    timestamp: pick("timestamp"),
    status: pick("status"),
    code: pick("code"),
    code_hash: pick("code_hash"),
    user_prompt: pick("user_prompt"),
    ai_model: pick("ai_model"),
    image_filename: pick("image_filename"),
    error_message: pick("error_message"),
    error_type: pick("error_type"),
    stderr: pick("stderr"),
    stdout: pick("stdout"),
    return_code: pick("return_code"),
    output_files: pick("output_files"),
    execution_time_seconds: pick("execution_time_seconds"),
    previous_attempt_id: pick("previous_attempt_id"),
    fixed_by: pick("fixed_by"),
    error_category: pick("error_category"),
    tags: pick("tags"),
    session_assigned: sessionAssigned,
  };
}
