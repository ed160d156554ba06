// `scriptlog export`: attempts as entries with their derived fields, as JSON lines, CSV, or the original
// system's logs/ tree (seed-layout). Reads beside a running server; never writes into the log.
import { createWriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { learningSummary } from "../analysis/recommendations.js";
import type { Config } from "../config.js";
import { isIsoTimestamp, timestampMillis } from "../events/validation.js";
import { ScriptlogError } from "../errors.js";
import { analysisReport, commonErrors, libraryIssues, rankedPatterns, rankedRecommendations } from "../projections/analysis.js";
import { compareByTime, isFixed, type AttemptRecord } from "../projections/attempts.js";
import type { ReadModels } from "../projections/readModels.js";
import { summaryReport } from "../projections/summary.js";
import { replayReadModels } from "../service/replay.js";
import { logProgress } from "./logProgress.js";
import { progressBar } from "./progress.js";
import { seedDocument } from "./seedLayout.js";

export type ExportFormat = "jsonl" | "csv" | "seed-layout";

const CSV_COLUMNS = [
  "log_id",
  "session_id",
  "timestamp",
  "status",
  "error_type",
  "error_category",
  "pattern",
  "fingerprint",
  "error_message",
  "libraries",
  "ai_model",
  "image_filename",
  "previous_attempt_id",
  "fixed_by",
  "return_code",
  "execution_time_seconds",
  "code_hash",
] as const;

/** RFC 4180: quote a field that holds a comma, quote, CR or LF; double the quotes inside. */
function csvField(value: unknown): string {
  const text = value === null || value === undefined ? "" : Array.isArray(value) ? value.join(";") : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function timeBound(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!isIsoTimestamp(value))
    throw new ScriptlogError("invalid_argument", `--${name} must be an ISO-8601 time, not '${value}'`, { [name]: value });
  return timestampMillis(value);
}

/** Attempts that ran within [since, until], oldest first. */
function selected(models: ReadModels, since?: number, until?: number): AttemptRecord[] {
  return [...models.states.attempts.byId.values()]
    .filter((r) => (since === undefined || r.time >= since) && (until === undefined || r.time <= until))
    .sort(compareByTime);
}

async function writeLines(file: string, lines: Iterable<string>, count: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const bar = progressBar("export", count);
  let n = 0;
  for (const line of lines) {
    if (!out.write(line)) await new Promise<void>((r) => out.once("drain", () => r()));
    if ((++n & 255) === 0) bar.update(n);
  }
  bar.stop();
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

async function writeSeedLayout(models: ReadModels, records: AttemptRecord[], out: string): Promise<void> {
  const bar = progressBar("export", records.length);
  const sessions = new Map<string, AttemptRecord[]>();
  for (const [i, record] of records.entries()) {
    const envelope = models.readEnvelope(record);
    const entry = models.entry(record, envelope);
    const assigned = (envelope.data as { session_assigned?: boolean }).session_assigned === true;
    const folder = record.status === "failed" ? "failures" : "successes";
    const file = path.join(out, folder, record.timestamp.slice(0, 10), `${record.log_id}.json`);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(seedDocument(entry, assigned), null, 2) + "\n");
    const session = sessions.get(record.session_id);
    if (session) session.push(record);
    else sessions.set(record.session_id, [record]);
    bar.update(i + 1);
  }
  bar.stop();
  await mkdir(path.join(out, "sessions"), { recursive: true });
  for (const [id, attempts] of sessions) {
    // Resolved as the read models say it: the last attempt succeeded, or every failure was fixed.
    const failures = attempts.filter((a) => a.status === "failed");
    const resolved = attempts[attempts.length - 1].status === "success" || (failures.length > 0 && failures.every(isFixed));
    const success = resolved ? attempts.findLast((a) => a.status === "success") : undefined;
    await writeFile(
      path.join(out, "sessions", `${id}.json`),
      JSON.stringify(
        {
          session_id: id,
          created_at: attempts[0].timestamp,
          attempts: attempts.map((a) => ({ log_id: a.log_id, timestamp: a.timestamp, status: a.status })),
          status: resolved ? "resolved" : "active",
          resolved_at: success?.timestamp ?? null,
          updated_at: attempts[attempts.length - 1].timestamp,
        },
        null,
        2,
      ) + "\n",
    );
  }
  const { analysis, summary, sessions: sessionState } = models.states;
  const patterns = rankedPatterns(analysis);
  const recommendations = rankedRecommendations(analysis);
  await mkdir(path.join(out, "analysis"), { recursive: true });
  await writeFile(
    path.join(out, "analysis", "latest_analysis.json"),
    JSON.stringify(
      {
        generated_at: new Date().toISOString(),
        summary: summaryReport(summary, sessionState.totals, new Date()),
        error_patterns: patterns,
        common_errors: commonErrors(patterns),
        fix_strategies: patterns.filter((p) => p.fixes.length).map((p) => ({ pattern: p.pattern, fixes: p.fixes })),
        library_issues: libraryIssues(analysis),
        recommendations,
        ai_learning_summary: learningSummary(recommendations),
        analysis: analysisReport(models),
      },
      null,
      2,
    ) + "\n",
  );
}

export async function exportCommand(
  config: Config,
  options: { format: string; out?: string; since?: string; until?: string; json?: boolean },
): Promise<void> {
  const format = options.format as ExportFormat;
  if (!["jsonl", "csv", "seed-layout"].includes(format))
    throw new ScriptlogError("invalid_argument", `--format must be jsonl, csv or seed-layout, not '${options.format}'`, {});
  if (!options.out) throw new ScriptlogError("invalid_argument", "--out PATH is required", {});
  const since = timeBound("since", options.since);
  const until = timeBound("until", options.until);
  const progress = await logProgress("replay", config.eventsDir);
  const models = await replayReadModels(config.eventsDir, { settings: config.analyzer, onEvent: progress.onEvent, keepOpen: true });
  progress.stop();
  try {
    const records = selected(models, since, until);
    if (format === "seed-layout") await writeSeedLayout(models, records, options.out);
    else if (format === "jsonl")
      await writeLines(
        options.out,
        (function* () {
          for (const r of records) {
            // whether the service chose the session: what `import --jsonl` needs to give back the same sessions
            const envelope = models.readEnvelope(r);
            const assigned = (envelope.data as { session_assigned?: boolean }).session_assigned === true;
            yield JSON.stringify({ ...models.entry(r, envelope), session_assigned: assigned }) + "\n";
          }
        })(),
        records.length,
      );
    else {
      await writeLines(
        options.out,
        (function* () {
          yield CSV_COLUMNS.join(",") + "\r\n";
          for (const r of records) {
            const entry = models.entry(r);
            yield CSV_COLUMNS.map((c) => csvField(entry[c])).join(",") + "\r\n";
          }
        })(),
        records.length,
      );
    }
    const report = { format, out: options.out, attempts: records.length, seq: models.seq };
    console.log(
      options.json ? JSON.stringify(report) : `exported ${records.length} attempts (log seq ${models.seq}) as ${format} to ${options.out}`,
    );
  } finally {
    models.close();
  }
}
