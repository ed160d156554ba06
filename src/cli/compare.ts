// What an analyzer change changed: the stored snapshots (made by the analyzer before) against fresh read
// models (made by the analyzer now), as counts per error_type / category / pattern and the attempts whose
// derived fields differ. Reads the old snapshots loosely: they may be of an older projection version.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { rankedRecommendations } from "../projections/analysis.js";
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

/** One rule as a snapshot keeps it; `rule` is null for snapshots of analyzers that did not keep rules. */
export interface RuleState {
  rank: number;
  rule: string | null;
  failures: number;
  sessions: number;
  fixed: number;
}

export interface RuleChange {
  id: string;
  before: RuleState | null;
  after: RuleState | null;
  /** Why a rule left: its pattern is a slip now, or no longer exists as such. */
  note: string | null;
}

export interface ComparisonReport {
  before_seq: number | null;
  after_seq: number;
  error_type: CountChange[];
  error_category: CountChange[];
  pattern: CountChange[];
  /** Every rule before and after, in the order of the rules after, then the ones that left. */
  rules: RuleChange[];
  /** The snapshot before kept no rules: its rules are its patterns with a fix or more than one failure. */
  rules_before_from_patterns: boolean;
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
    rules: [],
    rules_before_from_patterns: oldAnalysis !== null && !Array.isArray(oldAnalysis.state.rules),
    attempts_changed: 0,
    changed: [],
  };
  report.rules = ruleChanges(oldAnalysis?.state, models);
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

/* eslint-disable @typescript-eslint/no-explicit-any -- snapshot JSON as its projection wrote it */
/** The rules of a snapshot: kept as such, or — from an analyzer that kept none — one per pattern with evidence. */
function rulesOf(state: any): Map<string, RuleState> {
  if (!state) return new Map();
  if (Array.isArray(state.rules)) {
    return new Map(
      state.rules.map((r: any, i: number) => [
        r.id,
        { rank: i + 1, rule: r.rule, failures: r.evidence.failures, sessions: r.evidence.sessions, fixed: r.evidence.fixed },
      ]),
    );
  }
  const sessionCount = (g: any) => (Array.isArray(g.sessions) ? g.sessions.length : 0);
  const withEvidence = (state.by_pattern ?? [])
    .filter((g: any) => g.fixed > 0 || g.count > 1)
    .sort(
      (a: any, b: any) =>
        Number(b.fixed > 0) - Number(a.fixed > 0) || b.count - a.count || String(a.pattern).localeCompare(String(b.pattern)),
    );
  return new Map(
    withEvidence.map((g: any, i: number) => [
      g.pattern,
      { rank: i + 1, rule: null, failures: g.count, sessions: sessionCount(g), fixed: g.fixed },
    ]),
  );
}
/* eslint-enable @typescript-eslint/no-explicit-any */

function ruleChanges(oldState: unknown, models: ReadModels): RuleChange[] {
  const before = rulesOf(oldState);
  const after = rulesOf({ rules: rankedRecommendations(models.states.analysis) });
  const analysis = models.states.analysis;
  const note = (id: string) => {
    const group = analysis.byPattern.get(id);
    if (!group) return "its message template is another now";
    if (group.slips * 2 > group.count) return "a slip about the script's own names: no rule of its own";
    return "not enough evidence for a rule now";
  };
  return [
    ...[...after].map(([id, a]) => ({ id, before: before.get(id) ?? null, after: a, note: null })),
    ...[...before].filter(([id]) => !after.has(id)).map(([id, b]) => ({ id, before: b, after: null, note: note(id) })),
  ];
}

const describeRule = (r: RuleState) =>
  `#${r.rank}, ${r.failures} failure${r.failures === 1 ? "" : "s"} in ${r.sessions} session${r.sessions === 1 ? "" : "s"}, ${r.fixed} fixed`;

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
  console.log(
    `rules: ${report.rules.filter((r) => r.before).length} → ${report.rules.filter((r) => r.after).length}` +
      (report.rules_before_from_patterns
        ? " (the snapshot before kept no rules: its rules were its patterns with a fix or more than one failure)"
        : ""),
  );
  for (const r of report.rules) {
    console.log(`  ${r.id}`);
    console.log(`    before: ${r.before ? describeRule(r.before) + (r.before.rule ? ` — ${r.before.rule}` : "") : "no rule"}`);
    console.log(`    after:  ${r.after ? `${describeRule(r.after)} — ${r.after.rule}` : `no rule: ${r.note}`}`);
  }
  console.log(`attempts whose derived fields changed: ${report.attempts_changed}`);
  for (const c of report.changed) {
    console.log(
      `  ${c.log_id}: ${Object.entries(c.fields)
        .map(([f, v]) => `${f} ${JSON.stringify(v.before)} → ${JSON.stringify(v.after)}`)
        .join("; ")}`,
    );
  }
}
