// What an analyzer change changed: the stored snapshots (made by the analyzer before) against fresh read
// models (made by the analyzer now), as counts per error_type / category / pattern and the attempts whose
// derived fields differ. Reads the old snapshots loosely: they may be of an older projection version.
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ReadModels } from "../projections/readModels.js";

const DERIVED = [
  "error_type",
  "error_category",
  "pattern",
  "fingerprint",
  "libraries",
  "inferred_previous_attempt_id",
  "inferred_fixed_by",
] as const;

type Counts = Map<string, number>;

export interface CountChange {
  key: string;
  before: number;
  after: number;
}

export interface ComparisonReport {
  before_seq: number | null;
  after_seq: number;
  error_type: CountChange[];
  error_category: CountChange[];
  pattern: CountChange[];
  attempts_changed: number;
  /** The first few, in log order. */
  changed: Array<{ log_id: string; fields: Record<string, { before: unknown; after: unknown }> }>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- snapshot JSON as its projection wrote it
async function readState(dir: string, name: string): Promise<{ seq: number; state: any } | null> {
  try {
    return JSON.parse(await readFile(path.join(dir, `${name}.json`), "utf8"));
  } catch {
    return null;
  }
}

function countsOf(groups: Array<{ key?: string | null; pattern?: string; count: number }> | undefined, key: "key" | "pattern"): Counts {
  return new Map((groups ?? []).map((g) => [String(g[key]), g.count]));
}

function changes(before: Counts, after: Counts): CountChange[] {
  return [...new Set([...before.keys(), ...after.keys()])]
    .map((key) => ({ key, before: before.get(key) ?? 0, after: after.get(key) ?? 0 }))
    .filter((c) => c.before !== c.after)
    .sort((a, b) => Math.abs(b.after - b.before) - Math.abs(a.after - a.before) || a.key.localeCompare(b.key));
}

export async function compareWithSnapshots(dir: string, models: ReadModels, show: number): Promise<ComparisonReport> {
  const oldAnalysis = await readState(dir, "analysis");
  const oldAttempts = await readState(dir, "attempts");
  const fresh = models.toJSON();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- snapshot JSON as its projection wrote it
  const now = fresh.analysis.state as { by_error_type: any[]; by_error_category: any[]; by_pattern: any[] };
  const report: ComparisonReport = {
    before_seq: oldAnalysis?.seq ?? null,
    after_seq: models.seq,
    error_type: changes(countsOf(oldAnalysis?.state.by_error_type, "key"), countsOf(now.by_error_type, "key")),
    error_category: changes(countsOf(oldAnalysis?.state.by_error_category, "key"), countsOf(now.by_error_category, "key")),
    pattern: changes(countsOf(oldAnalysis?.state.by_pattern, "pattern"), countsOf(now.by_pattern, "pattern")),
    attempts_changed: 0,
    changed: [],
  };
  const before = new Map<string, Record<string, unknown>>(
    (oldAttempts?.state ?? []).map((r: Record<string, unknown>) => [r.log_id as string, r]),
  );
  for (const record of models.states.attempts.byId.values()) {
    const old = before.get(record.log_id);
    if (!old) continue;
    const fields: Record<string, { before: unknown; after: unknown }> = {};
    for (const f of DERIVED) {
      if (JSON.stringify(old[f] ?? null) !== JSON.stringify(record[f] ?? null))
        fields[f] = { before: old[f] ?? null, after: record[f] ?? null };
    }
    if (Object.keys(fields).length === 0) continue;
    report.attempts_changed++;
    if (report.changed.length < show) report.changed.push({ log_id: record.log_id, fields });
  }
  return report;
}

export function printComparison(report: ComparisonReport): void {
  const section = (title: string, list: CountChange[]) => {
    console.log(`${title}: ${list.length ? "" : "no change"}`);
    for (const c of list) console.log(`  ${c.key}: ${c.before} → ${c.after}`);
  };
  console.log(
    `compared the snapshots (seq ${report.before_seq ?? "none"}) with a rebuild by the current analyzer (seq ${report.after_seq})`,
  );
  section("error_type", report.error_type);
  section("error_category", report.error_category);
  section("pattern", report.pattern);
  console.log(`attempts whose derived fields changed: ${report.attempts_changed}`);
  for (const c of report.changed) {
    console.log(
      `  ${c.log_id}: ${Object.entries(c.fields)
        .map(([f, v]) => `${f} ${JSON.stringify(v.before)} → ${JSON.stringify(v.after)}`)
        .join("; ")}`,
    );
  }
}
