// Rules for the code-generating model, made from error patterns and the evidence behind them. A rule is a
// lesson that generalises (an API fact, a construct CPython rejects); slips about a script's own names are
// never a rule each, only — when they are frequent — one aggregate reminder. Rules are ranked by the distinct
// sessions they were seen in, then by fixes, then by recency. Pure and deterministic.
import { leaf, type FixChange } from "./fixStrategy.js";
import { tokenizePython } from "./pythonTokens.js";
import { CONVENTIONAL_IMPORTS, REMOVED_BUILTINS, stdlibImport, syntaxLesson } from "./lessons.js";

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
  /** The latest real message: what rule text quotes (templates have placeholders). */
  message: string | null;
  failures: number;
  fixed: number;
  /** Distinct sessions, as the summary counts them. */
  sessions: string[];
  /** Sessions in which a failure of the pattern was fixed. */
  fixed_sessions: string[];
  /** The sessions, each weighted by how recently it last saw the pattern (half-life HALF_LIFE_DAYS). */
  recency: number;
  last_seen: string;
  /** Most of its failures were slips about the script's own names. */
  slip: boolean;
  /** CPython's most frequent "Did you mean" hint for it. */
  suggestion: string | null;
  failing_line: string | null;
  library: string | null;
  /** Most frequent changes first; only changes that touch the failing statement or the error's names. */
  fixes: TopFix[];
  /** The failing statement and what replaced it in the latest fix that replaced it. */
  example: { wrong: string[]; right: string[] } | null;
  /** The failing statement of the latest fix that removed it. */
  removal: { wrong: string[] } | null;
  /** For a missing attribute: calls with that attribute name that scripts made and succeeded with. */
  alternatives: Array<{ call: string; count: number }>;
}

export type LessonKind = "api_fact" | "construct" | "slips" | "other";

export interface Recommendation {
  /** Stable: the pattern it teaches, or `slips` for the aggregate of slips. */
  id: string;
  rule: string;
  rationale: string;
  pattern: string;
  /** The patterns it covers (one, or every slip pattern for the aggregate). */
  patterns: string[];
  library: string | null;
  category: string | null;
  kind: "verified_fix" | "warning";
  lesson: LessonKind;
  evidence: { failures: number; sessions: number; fixed: number; fixed_sessions: number; fix_rate: number; last_seen: string };
  /** From the failing line: the statement and what replaced it (empty when the fix deleted it), or null without a fix. */
  example: { wrong: string | null; right: string | null };
  /** Sessions weighted by recency: the last ranking key. */
  score: number;
}

export const HALF_LIFE_DAYS = 90;
// Slips become one aggregate rule only once they were seen in this many distinct sessions: before that a
// reminder to check names is noise in the prompt.
export const MIN_SLIP_SESSIONS = 5;
// Longest message quoted in a rule.
const MAX_QUOTE = 160;

const unquote = (s: string | null) => (s ?? "").replace(/^'|'$/g, "");
const quote = (message: string | null) => {
  const text = (message ?? "").trim();
  return `"${text.length > MAX_QUOTE ? text.slice(0, MAX_QUOTE - 1) + "…" : text}"`;
};
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The changes most fixes made, of one kind. */
function usual<K extends FixChange["kind"]>(
  p: PatternEvidence,
  kind: K,
): Array<{ change: FixChange & { kind: K }; count: number; of: number }> {
  return p.fixes
    .filter((f) => f.change.kind === kind)
    .map((f) => ({ change: f.change as FixChange & { kind: K }, count: f.count, of: f.of }));
}

const share = (count: number, of: number) => (of > 1 ? ` (${count} of ${of} fixes)` : "");

/** What replaced a missing attribute or call: the fixes' replacement, CPython's hint, or what succeeded elsewhere. */
function replacementOf(p: PatternEvidence, attribute: string): string | null {
  // Scripts name their objects differently (`values.append`, `heights.append`): count what replaced the attribute.
  const replacements = new Map<string, number>();
  let of = 0;
  for (const r of usual(p, "replaced")) {
    if (leaf(r.change.from) !== attribute) continue;
    replacements.set(r.change.to, (replacements.get(r.change.to) ?? 0) + r.count);
    of = r.of;
  }
  const [to, count] = [...replacements].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? [];
  if (to) return `use \`${to}\` instead, as the fixes did${share(count!, of)}`;
  const hint = unquote(p.suggestion);
  if (hint) return `CPython suggests \`${hint}\``;
  const alternative = p.alternatives[0];
  if (alternative) return `call \`${alternative.call}\` instead, as ${plural(alternative.count, "script")} that succeeded did`;
  if (p.removal || usual(p, "call_removed").some((c) => leaf(c.change.name) === attribute))
    return "do not call it (the script that worked did without it)";
  return null;
}

/** The dotted callee as the failing line wrote it (`MapsBridge.AppendNotes`), else the bare name. */
function calleeOn(line: string | null, name: string): string {
  const tokens = line ? tokenizePython(line) : [];
  const at = tokens.findIndex((t, i) => t.kind === "name" && t.text === name && tokens[i + 1]?.text === "(");
  let callee = name;
  for (let i = at - 1; i > 0 && tokens[i].text === "." && tokens[i - 1].kind === "name"; i -= 2) callee = `${tokens[i - 1].text}.${callee}`;
  return callee;
}

/** An imperative rule for a pattern, from what its message names and what its fixes did; never a placeholder. */
export function ruleFor(p: PatternEvidence): string {
  const t = p.template;
  let m: RegExpExecArray | null;
  const imported = usual(p, "import_added")[0]?.change.name;
  if ((m = /^module '([\w.]+)' has no attribute '(\w+)'/.exec(t))) {
    const instead = replacementOf(p, m[2]);
    return `\`${m[1]}.${m[2]}\` does not exist${instead ? `: ${instead}` : `; module \`${m[1]}\` has no such attribute`}.`;
  }
  if ((m = /^'([\w.]+)' object has no attribute '(\w+)'/.exec(t))) {
    if (m[1] === "NoneType") return `Check for None before using \`.${m[2]}\`: the value came back as None.`;
    const instead = replacementOf(p, m[2]);
    return `${m[1]} objects have no \`.${m[2]}\`${instead ? `: ${instead}` : "; check the API before using it"}.`;
  }
  if ((m = /^name '(\w+)' is not defined/.exec(t))) {
    const statement = imported ?? CONVENTIONAL_IMPORTS.get(m[1]) ?? stdlibImport(m[1]);
    const builtin = REMOVED_BUILTINS.get(m[1]);
    if (builtin) return `\`${m[1]}\` does not exist in Python 3: use \`${builtin}\`.`;
    if (statement) return `Add \`${statement}\` before using \`${m[1]}\`.`;
    return `Define \`${m[1]}\` before using it.`;
  }
  if ((m = /^No module named '([\w.]+)'/.exec(t))) {
    return `Do not import \`${m[1]}\`: it is not installed where scripts run${imported ? ` (the fixes used \`${imported}\`)` : ""}.`;
  }
  if ((m = /^cannot import name '(\w+)' from '([\w.]+)'/.exec(t)))
    return `\`${m[2]}\` has no \`${m[1]}\`${imported ? `: the fixes used \`${imported}\`` : "; import it from where it is defined"}.`;
  if ((m = /^cannot access local variable '(\w+)'/.exec(t)))
    return `Assign \`${m[1]}\` before reading it inside the function, or declare it \`global\`/\`nonlocal\`.`;
  if ((m = /^([\w.]+)\(\) got an unexpected keyword argument '(\w+)'/.exec(t))) {
    const callee = calleeOn(p.failing_line, m[1]);
    const instead = usual(p, "argument_added").find((a) => a.change.call === leaf(m![1]));
    const dropped = usual(p, "argument_removed").find((a) => a.change.call === leaf(m![1]) && a.change.name === m![2]);
    const removed = usual(p, "call_removed").find((c) => leaf(c.change.name) === leaf(m![1]));
    const what = [
      instead
        ? `pass \`${instead.change.name}=\` instead${share(instead.count, instead.of)}`
        : dropped
          ? `drop it${share(dropped.count, dropped.of)}`
          : null,
      removed || p.removal ? "or do without the call, as a fix did" : null,
    ].filter(Boolean);
    return `\`${callee}()\` takes no \`${m[2]}=\` argument${what.length ? `: ${what.join(" ")}` : ""}.`;
  }
  if ((m = /^([\w.]+)\(\) missing <N> required positional arguments?: (.*)$/.exec(t)))
    return `Pass every required argument to \`${calleeOn(p.failing_line, m[1])}()\` (${m[2]}).`;
  if (/^can only concatenate str/.test(t)) return "Convert numbers with `str()` (or use an f-string) before joining them to text.";
  if (p.error_category === "syntax_error") {
    return (
      syntaxLesson(p.message ?? t, p.failing_line) ??
      `Write valid Python: CPython rejected ${p.failing_line ? `\`${p.failing_line.trim()}\`` : "the script"} with ${quote(`${p.error_type}: ${p.message}`)}.`
    );
  }
  const replaced = usual(p, "replaced").find((r) => r.count * 2 >= r.of);
  if (replaced)
    return `Use \`${replaced.change.to}\` instead of \`${replaced.change.from}\`${share(replaced.count, replaced.of)}: it failed with ${quote(`${p.error_type}: ${p.message}`)}.`;
  if (p.error_category === "file_error")
    return `Check that a path exists before opening it: scripts failed with ${quote(`${p.error_type}: ${p.message}`)}.`;
  if (p.error_category === "timeout") return "Keep scripts within the runner's time limit: avoid unbounded loops and sleeps.";
  return `Avoid ${quote(`${p.error_type ?? "Failure"}${p.message ? `: ${p.message}` : ""}`)}${p.failing_line ? ` (raised by \`${p.failing_line.trim()}\`)` : ""}.`;
}

/** An undefined name the fixes made available by an import is a missing import, whatever the derivation guessed. */
const isSlipPattern = (p: PatternEvidence) => p.slip && !(/^name '/.test(p.template) && usual(p, "import_added").length > 0);

function lessonOf(p: PatternEvidence): LessonKind {
  if (p.error_category === "syntax_error") return "construct";
  if (
    /^(?:module '|'[\w.]+' object has no attribute|name '|No module named|cannot import name|[\w.]+\(\) (?:got an unexpected|missing))/.test(
      p.template,
    )
  )
    return "api_fact";
  return "other";
}

function exampleOf(p: Pick<PatternEvidence, "example" | "removal" | "failing_line">): Recommendation["example"] {
  if (p.example) return { wrong: p.example.wrong.join("\n") || null, right: p.example.right.join("\n") };
  if (p.removal) return { wrong: p.removal.wrong.join("\n") || null, right: "" };
  return { wrong: p.failing_line?.trim() ?? null, right: null };
}

const union = (lists: string[][]) => new Set(lists.flat());

/** One reminder for all slips, with its own evidence: the sessions any slip was seen in. */
function slipRule(slips: PatternEvidence[]): Recommendation | null {
  const sessions = union(slips.map((p) => p.sessions));
  if (sessions.size < MIN_SLIP_SESSIONS) return null;
  const byRecency = [...slips].sort((a, b) => b.last_seen.localeCompare(a.last_seen) || a.pattern.localeCompare(b.pattern));
  const instances = byRecency.slice(0, 3).map((p) => {
    const name = /'(\w+)'/.exec(p.template)?.[1] ?? p.pattern;
    const fixedTo = usual(p, "replaced").find((r) => r.change.from === name)?.change.to ?? unquote(p.suggestion);
    return fixedTo ? `\`${name}\` for \`${fixedTo}\`` : `\`${name}\``;
  });
  const failures = slips.reduce((n, p) => n + p.failures, 0);
  const fixed = slips.reduce((n, p) => n + p.fixed, 0);
  const withExample = byRecency.find((p) => p.example) ?? byRecency[0];
  return {
    id: "slips",
    rule: `Check that every name you use is defined in the script and spelled as defined: ${plural(failures, "slip")} seen in ${plural(sessions.size, "session")}, e.g. ${instances.join(", ")}.`,
    rationale: `${plural(slips.length, "misspelt or undefined name")} of scripts' own, ${plural(failures, "failure")} in ${plural(sessions.size, "session")}; ${fixed} fixed.`,
    pattern: withExample.pattern,
    patterns: slips.map((p) => p.pattern).sort(),
    library: null,
    category: "name_error",
    kind: fixed > 0 ? "verified_fix" : "warning",
    lesson: "slips",
    evidence: {
      failures,
      sessions: sessions.size,
      fixed,
      fixed_sessions: union(slips.map((p) => p.fixed_sessions)).size,
      fix_rate: fixed / failures,
      last_seen: byRecency[0].last_seen,
    },
    example: exampleOf(withExample),
    score: Number(slips.reduce((n, p) => n + p.recency, 0).toFixed(6)),
  };
}

/** Most sessions first; then sessions with a fix; then the more recent; then more failures. */
export function compareRules(a: Recommendation, b: Recommendation): number {
  return (
    b.evidence.sessions - a.evidence.sessions ||
    b.evidence.fixed_sessions - a.evidence.fixed_sessions ||
    b.score - a.score ||
    b.evidence.failures - a.evidence.failures ||
    a.id.localeCompare(b.id)
  );
}

/** Ranked rules; a pattern is one only with a fix or more than one failure; slips make at most one. */
export function recommendations(patterns: PatternEvidence[]): Recommendation[] {
  const withEvidence = patterns.filter((p) => p.failures > 0 && (p.fixed > 0 || p.failures > 1));
  const rules: Recommendation[] = withEvidence
    .filter((p) => !isSlipPattern(p))
    .map((p) => ({
      id: p.pattern,
      rule: ruleFor(p),
      rationale: `${p.error_type ?? "Failure"} seen ${plural(p.failures, "time")} in ${plural(p.sessions.length, "session")}; ${p.fixed} fixed.`,
      pattern: p.pattern,
      patterns: [p.pattern],
      library: p.library,
      category: p.error_category,
      kind: p.fixed > 0 ? ("verified_fix" as const) : ("warning" as const),
      lesson: lessonOf(p),
      evidence: {
        failures: p.failures,
        sessions: p.sessions.length,
        fixed: p.fixed,
        fixed_sessions: p.fixed_sessions.length,
        fix_rate: p.fixed / p.failures,
        last_seen: p.last_seen,
      },
      example: exampleOf(p),
      score: Number(p.recency.toFixed(6)),
    }));
  const slips = slipRule(patterns.filter((p) => p.failures > 0 && isSlipPattern(p)));
  if (slips) rules.push(slips);
  return rules.sort(compareRules);
}

const HEADER =
  "## Lessons from earlier script runs\n\nScripts like the one you are writing failed in these ways before. Follow these rules:\n";

/** A markdown section for a system prompt: the top rules, most important first, within a character budget. */
export function aiContext(rules: Recommendation[], maxRules: number, maxChars: number): { context: string; rules: Recommendation[] } {
  let context = HEADER;
  const used: Recommendation[] = [];
  for (const r of rules) {
    if (used.length >= maxRules) break;
    const seen = `${r.evidence.failures}× in ${plural(r.evidence.sessions, "session")}, ${r.evidence.fixed} fixed`;
    let item = `\n${used.length + 1}. ${r.rule} _(${seen})_\n`;
    if (r.example.wrong) item += exampleLines("wrong", r.example.wrong);
    if (r.example.right) item += exampleLines("right", r.example.right);
    else if (r.example.right === "") item += "   - right: delete it (the script that worked does without it)\n";
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
    .map(
      (r) =>
        `- ${r.rule} (${r.evidence.failures}× in ${plural(r.evidence.sessions, "session")}, fix rate ${Math.round(r.evidence.fix_rate * 100)}%)`,
    );
  return [
    `${verified.length} rule${verified.length === 1 ? "" : "s"} from verified fixes, ${warnings} warning${warnings === 1 ? "" : "s"} from recurring failures. Most important:`,
    ...top,
  ].join("\n");
}
