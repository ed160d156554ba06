// Rules for the code-generating model, made from error patterns and the evidence behind them.
// Pure and deterministic: the same pattern statistics always give the same rules in the same order.
import { leaf, type FixChange } from "./fixStrategy.js";

/** A change the fixes of a pattern made, and in how many of them. */
export interface TopFix {
  change: FixChange;
  count: number;
  /** How many fixes of the pattern there were. */
  of: number;
  description: string;
}

export interface PatternEvidence {
  pattern: string;
  error_type: string | null;
  error_category: string | null;
  template: string;
  count: number;
  sessions: number;
  fixed: number;
  last_seen: string;
  /** CPython's most frequent "Did you mean" hint for it. */
  suggestion: string | null;
  failing_line: string | null;
  library: string | null;
  /** Most frequent changes first. */
  fixes: TopFix[];
  /** The changed lines of the latest verified fix. */
  fix_example: { wrong: string[]; right: string[] } | null;
}

export interface Recommendation {
  id: string;
  rule: string;
  rationale: string;
  pattern: string;
  library: string | null;
  kind: "verified_fix" | "warning";
  evidence: { failures: number; sessions: number; fixed: number; fix_rate: number; last_seen: string };
  example: { wrong: string | null; right: string | null };
  score: number;
}

const DAY = 86_400_000;
const unquote = (s: string | null) => (s ?? "").replace(/^'|'$/g, "");

/** An imperative rule for a pattern, from what its message names. */
export function ruleFor(p: PatternEvidence): string {
  const t = p.template;
  let m: RegExpExecArray | null;
  // What most fixes did counts as much as CPython's hint: a replacement or an import that more than half made.
  const usual = p.fixes.filter((f) => f.count * 2 > f.of).map((f) => f.change);
  const replaced = usual.find((c): c is Extract<FixChange, { kind: "replaced" }> => c.kind === "replaced");
  const imported = usual.find((c) => c.kind === "import_added") as { name: string } | undefined;
  const hint = unquote(p.suggestion) || (replaced ? leaf(replaced.to) : "");
  if ((m = /^module '([\w.]+)' has no attribute '(\w+)'/.exec(t))) {
    return hint
      ? `Call \`${m[1]}.${hint}\`, not \`${m[1]}.${m[2]}\`: \`${m[1]}.${m[2]}\` does not exist.`
      : `Do not use \`${m[1]}.${m[2]}\`: module \`${m[1]}\` has no such attribute.`;
  }
  if ((m = /^'(\w+)' object has no attribute '(\w+)'/.exec(t))) {
    return m[1] === "NoneType"
      ? `Check for None before using \`.${m[2]}\`: the value came back as None.`
      : hint
        ? `Use \`.${hint}\` on ${m[1]} objects, not \`.${m[2]}\`.`
        : `${m[1]} objects have no \`.${m[2]}\`; check the API before using it.`;
  }
  if ((m = /^name '(\w+)' is not defined/.exec(t))) {
    if (imported) return `Add \`${imported.name}\` before using \`${m[1]}\`.`;
    return hint ? `Define \`${m[1]}\` before using it (did you mean \`${hint}\`?).` : `Import or define \`${m[1]}\` before using it.`;
  }
  if ((m = /^No module named '([\w.]+)'/.exec(t))) return `Do not import \`${m[1]}\`: it is not installed where scripts run.`;
  if ((m = /^cannot import name '(\w+)' from '([\w.]+)'/.exec(t)))
    return `\`${m[2]}\` has no \`${m[1]}\`; import it from where it is defined.`;
  if ((m = /^cannot access local variable '(\w+)'/.exec(t)))
    return `Assign \`${m[1]}\` before reading it inside the function, or declare it \`global\`/\`nonlocal\`.`;
  if ((m = /^([\w.]+)\(\) got an unexpected keyword argument '(\w+)'/.exec(t)))
    return `Do not pass \`${m[2]}=\` to \`${m[1]}()\`: it takes no such argument.`;
  if ((m = /^([\w.]+)\(\) missing <N> required positional arguments?: (.*)$/.exec(t)))
    return `Pass every required argument to \`${m[1]}()\` (${m[2]}).`;
  if (/^can only concatenate str/.test(t)) return "Convert numbers with `str()` (or use an f-string) before joining them to text.";
  if (p.error_category === "syntax_error") return `Write valid Python: avoid "${t}".`;
  if (p.error_category === "file_error") return `Check that a path exists before opening it (${p.error_type}: ${t}).`;
  if (p.error_category === "timeout") return "Keep scripts within the runner's time limit: avoid unbounded loops and sleeps.";
  return `Avoid ${p.error_type ?? "this failure"}${t ? `: ${t}` : ""}.`;
}

/** Ranked rules: verified fixes first, then recurring unfixed patterns as warnings; no rule without evidence. */
export function recommendations(patterns: PatternEvidence[], latest: string | null): Recommendation[] {
  const now = latest ? Date.parse(latest) : 0;
  return patterns
    .filter((p) => p.count > 0 && (p.fixed > 0 || p.count > 1))
    .map((p) => {
      const fixRate = p.fixed / p.count;
      const recency = Math.exp(-Math.max(0, now - Date.parse(p.last_seen)) / (30 * DAY)) || 0;
      const kind = p.fixed > 0 ? ("verified_fix" as const) : ("warning" as const);
      return {
        id: p.pattern,
        rule: ruleFor(p),
        rationale: `${p.error_type ?? "Failure"} seen ${p.count} time${p.count === 1 ? "" : "s"} in ${p.sessions} session${p.sessions === 1 ? "" : "s"}; ${p.fixed} fixed.`,
        pattern: p.pattern,
        library: p.library,
        kind,
        evidence: { failures: p.count, sessions: p.sessions, fixed: p.fixed, fix_rate: fixRate, last_seen: p.last_seen },
        example: p.fix_example
          ? { wrong: p.fix_example.wrong.join("\n") || null, right: p.fix_example.right.join("\n") || null }
          : { wrong: p.failing_line, right: null },
        score: Number((p.count * (0.25 + 0.75 * recency) * (1 + fixRate)).toFixed(6)),
      };
    })
    .sort((a, b) => Number(b.kind === "verified_fix") - Number(a.kind === "verified_fix") || b.score - a.score || a.id.localeCompare(b.id));
}

const HEADER =
  "## Lessons from earlier script runs\n\nScripts like the one you are writing failed in these ways before. Follow these rules:\n";

/** A markdown section for a system prompt: the top rules, most important first, within a character budget. */
export function aiContext(rules: Recommendation[], maxExamples: number, maxChars: number): { context: string; rules: Recommendation[] } {
  let context = HEADER;
  const used: Recommendation[] = [];
  for (const r of rules) {
    if (used.length >= maxExamples) break;
    let item = `\n${used.length + 1}. ${r.rule} _(${r.evidence.failures}× seen, ${r.evidence.fixed} fixed)_\n`;
    if (r.example.wrong) item += exampleLines("wrong", r.example.wrong);
    if (r.example.right) item += exampleLines("right", r.example.right);
    if (context.length + item.length > maxChars) continue; // a shorter rule further down may still fit
    context += item;
    used.push(r);
  }
  if (used.length === 0) context += "\n(No recorded failures yet.)\n";
  return { context, rules: used };
}

function exampleLines(label: string, code: string): string {
  const lines = code.split("\n");
  return lines.length === 1 ? `   - ${label}: \`${code}\`\n` : `   - ${label}:\n${lines.map((l) => `     \`${l}\``).join("\n")}\n`;
}

/** A few plain sentences on what the history says: the answer's summary for people, not the prompt. */
export function learningSummary(rules: Recommendation[]): string {
  const verified = rules.filter((r) => r.kind === "verified_fix");
  const warnings = rules.length - verified.length;
  if (rules.length === 0) return "No failure has recurred or been fixed yet, so there is nothing to learn from.";
  const top = rules
    .slice(0, 3)
    .map((r) => `- ${r.rule} (${r.evidence.failures}× seen, fix rate ${Math.round(r.evidence.fix_rate * 100)}%)`);
  return [
    `${verified.length} rule${verified.length === 1 ? "" : "s"} from verified fixes, ${warnings} warning${warnings === 1 ? "" : "s"} from recurring failures. Most important:`,
    ...top,
  ].join("\n");
}
