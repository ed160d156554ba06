// `scriptlog import`: appends attempts from the original system's logs/ tree (--seed-logs) or from JSON lines
// shaped like the POST body (--jsonl). Takes the log's lock, so it refuses to run beside a server.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { from, ignoreElements, lastValueFrom, takeUntil, tap } from "rxjs";
import { failedAttemptSchema, parseAttemptBody, successAttemptSchema } from "../api/schemas.js";
import type { Config } from "../config.js";
import type { EventDraft } from "../events/types.js";
import { ScriptlogError } from "../errors.js";
import { ScriptlogService } from "../service/scriptlogService.js";
import type { EventStore } from "../store/eventStore.js";
import { openEventStore } from "../store/openStore.js";
import { progressBar } from "./progress.js";
import { readSeedAttempts, seedEvents, type SeedProblem } from "./seedLayout.js";

export interface ImportReport {
  attempts: number;
  links: number;
  fixes: number;
  already_present: number;
  skipped: SeedProblem[];
}

const BATCH = 500;

/** What the log already holds: attempt log_ids and failures with a recorded fix. */
async function knownIds(log: EventStore): Promise<{ attempts: Set<string>; fixes: Set<string> }> {
  const attempts = new Set<string>();
  const fixes = new Set<string>();
  await lastValueFrom(
    log.events$().pipe(
      takeUntil(from(log.replayed)),
      tap(({ envelope }) => {
        if (envelope.type === "AttemptFailed" || envelope.type === "AttemptSucceeded") attempts.add(envelope.data.log_id);
        if (envelope.type === "FixRecorded") fixes.add(envelope.data.failure_log_id);
      }),
      ignoreElements(),
    ),
    { defaultValue: undefined },
  );
  return { attempts, fixes };
}

export async function importSeedLogs(config: Pick<Config, "eventsDir" | "jetstream">, root: string): Promise<ImportReport> {
  const { attempts, problems } = await readSeedAttempts(root);
  if (attempts.length === 0 && problems.length === 0) {
    throw new ScriptlogError("invalid_argument", `${root} has no failures/ or successes/ documents`, { root });
  }
  const log = await openEventStore(config.eventsDir, config.jetstream);
  try {
    const known = await knownIds(log);
    const drafts = seedEvents(attempts, known, (p) => problems.push(p));
    const bar = progressBar("import", drafts.length);
    for (let i = 0; i < drafts.length; i += BATCH) {
      await log.append(drafts.slice(i, i + BATCH));
      bar.update(i + BATCH);
    }
    bar.stop();
    const count = (type: EventDraft["type"]) => drafts.filter((d) => d.type === type).length;
    return {
      attempts: count("AttemptFailed") + count("AttemptSucceeded"),
      links: count("AttemptLinked"),
      fixes: count("FixRecorded"),
      already_present: attempts.filter((a) => known.attempts.has(a.attempt.log_id)).length,
      skipped: problems,
    };
  } finally {
    await log.close();
  }
}

/**
 * A line is a POST body, or an entry written by `export --format jsonl` (it has `code_hash`). An entry is turned
 * back into the body that records it again: its request fields without the nulls that stand for "not sent",
 * its own tags without the derived `error:` and `lib:` ones, and whether the service chose its session.
 */
export function postBodyOf(line: unknown): { body: unknown; sessionAssigned?: boolean } {
  if (typeof line !== "object" || line === null || !("code_hash" in line)) return { body: line };
  const entry = line as Record<string, unknown>;
  const fields = entry.status === "failed" ? failedAttemptSchema.properties : successAttemptSchema.properties;
  const body: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) if (entry[key] !== null && entry[key] !== undefined) body[key] = entry[key];
  const tags = clientTags(entry);
  if (tags.length > 0) body.tags = tags;
  else delete body.tags;
  return { body, sessionAssigned: typeof entry.session_assigned === "boolean" ? entry.session_assigned : undefined };
}

/**
 * An entry's tags are the client's, then the derived ones it did not already have (`error:<category>`, then
 * `lib:<module>` per library). The shortest prefix after which exactly those follow gives back tags that
 * re-derive to the same list, in the same order.
 */
function clientTags(entry: Record<string, unknown>): string[] {
  const tags = (entry.tags as string[] | undefined) ?? [];
  const libraries = ((entry.libraries as string[] | undefined) ?? []).map((l) => `lib:${l}`);
  const derived = entry.status === "failed" ? [`error:${String(entry.error_category)}`, ...libraries] : libraries;
  for (let k = 0; k <= tags.length; k++) {
    const prefix = new Set(tags.slice(0, k));
    const rest = derived.filter((t) => !prefix.has(t));
    if (rest.length === tags.length - k && rest.every((t, i) => t === tags[k + i])) return tags.slice(0, k);
  }
  return tags;
}

export async function importJsonLines(config: Config, file: string): Promise<ImportReport> {
  const service = await ScriptlogService.open(config.eventsDir, {
    analyzer: config.analyzer,
    jetstream: config.jetstream ?? undefined,
    redaction: config.redaction,
  });
  const report: ImportReport = { attempts: 0, links: 0, fixes: 0, already_present: 0, skipped: [] };
  try {
    await service.start();
    let lineNumber = 0;
    // One at a time, in file order: a line may name an earlier line's log_id as its previous attempt.
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      lineNumber++;
      if (!line.trim()) continue;
      try {
        const { body, sessionAssigned } = postBodyOf(JSON.parse(line));
        const { result, replayed } = await service.recordAttempt(parseAttemptBody(body), { sessionAssigned });
        if (replayed) report.already_present++;
        else {
          report.attempts++;
          report.fixes += result.fixed.length;
        }
      } catch (err) {
        report.skipped.push({ path: `${file}:${lineNumber}`, reason: (err as Error).message });
      }
    }
  } finally {
    await service.close();
  }
  return report;
}

export async function importCommand(config: Config, options: { seedLogs?: string; jsonl?: string; json?: boolean }): Promise<void> {
  if ((options.seedLogs === undefined) === (options.jsonl === undefined)) {
    throw new ScriptlogError("invalid_argument", "give one of --seed-logs DIR or --jsonl FILE", {});
  }
  const report =
    options.seedLogs !== undefined ? await importSeedLogs(config, options.seedLogs) : await importJsonLines(config, options.jsonl!);
  for (const p of report.skipped) console.error(`skipped ${p.path}: ${p.reason}`);
  if (options.json) console.log(JSON.stringify(report));
  else {
    console.log(
      `imported ${report.attempts} attempts (${report.links} links, ${report.fixes} fixes); ` +
        `${report.already_present} already present; ${report.skipped.length} skipped`,
    );
  }
  if (report.skipped.length) process.exitCode = 1;
}
