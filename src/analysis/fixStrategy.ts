// What a fix changed: the failing code against the code that then succeeded. Structural changes come from
// the two code summaries (imports, calls, names), the text from the smallest unified diff hunks (jsdiff).
import { structuredPatch } from "diff";
import { normaliseNewlines, type CodeSummary } from "./codeSummary.js";
import { editDistance } from "./similarity.js";
import { fixExample, focusedChanges, type FixExample, type FixFocus, type FocusedChange, type KnownSpans } from "./fixExample.js";

export interface Replacement {
  from: string;
  to: string;
}

export interface FixStrategy {
  imports_added: string[];
  imports_removed: string[];
  calls_added: string[];
  calls_removed: string[];
  /** Names swapped for a similar one: `os.makedir` → `os.makedirs`, `raduis` → `radius`. */
  replaced: Replacement[];
  defined_added: string[];
  defined_removed: string[];
  lines_added: number;
  lines_removed: number;
  /** Unified diff hunks without context lines: only what changed. */
  hunks: string[];
  /** False when the codes differ too much for a diff within the edit budget. */
  diffed: boolean;
  /**
   * One entry per change, for counting the same change across fixes of one pattern: with a focus (where the
   * failure was raised), only the changes that touch the failing statement or the names in the error.
   */
  changes: FixChange[];
  /** The failing statement and exactly what replaced it; null without a focus or when the fix left no trace on it. */
  example: FixExample | null;
}

export type FixChange = FocusedChange | { kind: "import_removed"; name: string };

/** A change in words: "`os.makedir` was replaced by `os.makedirs`". */
export function describeChange(change: FixChange): string {
  switch (change.kind) {
    case "replaced":
      return `\`${change.from}\` was replaced by \`${change.to}\``;
    case "import_added":
      return `\`${change.name}\` was added`;
    case "import_removed":
      return `\`${change.name}\` was removed`;
    case "call_added":
      return `a call to \`${change.name}\` was added`;
    case "call_removed":
      return `the call to \`${change.name}\` was removed`;
    case "defined":
      return `\`${change.name}\` was defined`;
    case "argument_removed":
      return `the \`${change.name}=\` argument of \`${change.call}()\` was dropped`;
    case "argument_added":
      return `\`${change.name}=\` was passed to \`${change.call}()\``;
  }
}

// Beyond this many edited lines a fix is a rewrite; its hunks would tell the model nothing.
const MAX_EDIT_LENGTH = 400;

const minus = (a: string[], b: string[]) => {
  const other = new Set(b);
  return a.filter((x) => !other.has(x));
};

const qualifier = (name: string) => name.slice(0, Math.max(0, name.lastIndexOf(".")));
/** The last part of a dotted name: `os.makedirs` → `makedirs`. */
export const leaf = (name: string) => name.slice(name.lastIndexOf(".") + 1);

// Pairing is quadratic in the names, so it is bounded: a fix that removes more names than this is a rewrite,
// and names longer than MAX_NAME are not typos of each other.
const MAX_REMOVED = 100;
const MAX_CANDIDATES = 2000;
const MAX_NAME = 64;

/**
 * Removed names paired with similar names the fixed code uses under the same qualifier, closest pairs first
 * (newly added names before ones the code already used: `tileInfoq` → `tileInfo` where `tileInfo` existed).
 */
function replacements(removed: string[], added: string[], candidatesTo: string[]): Replacement[] {
  const candidates: Array<Replacement & { distance: number }> = [];
  const fresh = new Set(added);
  if (removed.length > MAX_REMOVED) return [];
  const byQualifier = new Map<string, string[]>();
  for (const to of candidatesTo.slice(0, MAX_CANDIDATES)) {
    if (leaf(to).length > MAX_NAME) continue;
    const list = byQualifier.get(qualifier(to));
    if (list) list.push(to);
    else byQualifier.set(qualifier(to), [to]);
  }
  for (const from of removed) {
    const a = leaf(from);
    if (a.length > MAX_NAME) continue;
    for (const to of byQualifier.get(qualifier(from)) ?? []) {
      const b = leaf(to);
      const allowed = Math.max(2, Math.floor(Math.max(a.length, b.length) / 3));
      if (Math.abs(a.length - b.length) > allowed) continue; // the distance is at least the difference in length
      const distance = editDistance(a, b);
      if (distance <= allowed) candidates.push({ from, to, distance: distance + (fresh.has(to) ? 0 : 0.5) });
    }
  }
  candidates.sort((x, y) => x.distance - y.distance || x.from.localeCompare(y.from) || x.to.localeCompare(y.to));
  const used = new Set<string>();
  const pairs: Replacement[] = [];
  for (const c of candidates) {
    if (used.has(`-${c.from}`) || used.has(`+${c.to}`)) continue;
    used.add(`-${c.from}`).add(`+${c.to}`);
    pairs.push({ from: c.from, to: c.to });
  }
  return pairs.sort((x, y) => x.from.localeCompare(y.from));
}

export function fixStrategy(
  wrongCode: string,
  wrong: CodeSummary,
  rightCode: string,
  right: CodeSummary,
  focus: FixFocus | null = null,
  spans: KnownSpans = {},
): FixStrategy {
  const replaced = replacements(minus(wrong.references, right.references), minus(right.references, wrong.references), right.references);
  const replacedFrom = new Set(replaced.map((r) => r.from));
  const replacedTo = new Set(replaced.map((r) => r.to));
  const strategy = {
    imports_added: minus(right.imports, wrong.imports),
    imports_removed: minus(wrong.imports, right.imports),
    calls_added: minus(right.calls, wrong.calls),
    calls_removed: minus(wrong.calls, right.calls),
    replaced,
    defined_added: minus(right.defined, wrong.defined),
    defined_removed: minus(wrong.defined, right.defined),
  };
  const patch = structuredPatch("failed", "succeeded", normaliseNewlines(wrongCode), normaliseNewlines(rightCode), undefined, undefined, {
    context: 0,
    maxEditLength: MAX_EDIT_LENGTH,
  });
  const hunks = (patch?.hunks ?? []).map((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines].join("\n"));
  const changed = (patch?.hunks ?? []).flatMap((h) => h.lines);
  const example = focus ? fixExample(normaliseNewlines(wrongCode), normaliseNewlines(rightCode), focus, spans) : null;
  const changes: FixChange[] = focus
    ? focusedChanges(example, focus, wrong, right)
    : [
        ...replaced.map((r) => ({ kind: "replaced" as const, from: r.from, to: r.to })),
        ...strategy.imports_added.map((name) => ({ kind: "import_added" as const, name })),
        ...strategy.imports_removed.map((name) => ({ kind: "import_removed" as const, name })),
        ...strategy.calls_added.filter((c) => !replacedTo.has(c)).map((name) => ({ kind: "call_added" as const, name })),
        ...strategy.calls_removed.filter((c) => !replacedFrom.has(c)).map((name) => ({ kind: "call_removed" as const, name })),
        ...strategy.defined_added.map((name) => ({ kind: "defined" as const, name })),
      ];
  return {
    ...strategy,
    lines_added: changed.filter((l) => l.startsWith("+")).length,
    lines_removed: changed.filter((l) => l.startsWith("-")).length,
    hunks,
    diffed: patch !== undefined,
    changes,
    example,
  };
}

const isWordChar = (c: string | undefined) => c !== undefined && /\w/.test(c);

/** Whether `word` stands in `line` as a whole word (or dotted name), not inside a longer one. */
function mentionsWord(line: string, word: string): boolean {
  if (!word) return false;
  for (let at = line.indexOf(word); at >= 0; at = line.indexOf(word, at + 1)) {
    const clearBefore = !isWordChar(word[0]) || !isWordChar(line[at - 1]);
    const clearAfter = !isWordChar(word[word.length - 1]) || !isWordChar(line[at + word.length]);
    if (clearBefore && clearAfter) return true;
  }
  return false;
}

/** A line without its trailing `  # comment` (the first `#` after a space). */
function withoutComment(line: string): string {
  const comment = /\s#/.exec(line);
  return comment ? line.slice(0, comment.index) : line;
}

/**
 * The changed lines of a fix, for a short wrong → right example: from the hunk about the mistake (the one
 * whose lines mention the failing line or a name in `focus`), else the first; at most `max` of each, trimmed.
 */
export function changedLines(
  strategy: FixStrategy,
  focus: { failingLine?: string | null; names?: string[] } = {},
  max = 3,
): { wrong: string[]; right: string[] } {
  const hunks = strategy.hunks.map((h) => h.split("\n").slice(1));
  const failing = focus.failingLine?.trim();
  const mentions = (lines: string[]) =>
    lines.some((l) => (failing && l.slice(1).trim() === failing) || (focus.names ?? []).some((n) => mentionsWord(l, n)));
  const lines =
    hunks.find((h) => failing && h.some((l) => l.startsWith("-") && l.slice(1).trim() === failing)) ??
    hunks.find(mentions) ??
    hunks[0] ??
    [];
  const pick = (sign: string) =>
    lines
      .filter((l) => l.startsWith(sign))
      .map((l) => withoutComment(l.slice(1)).trim())
      .filter((l) => l && !l.startsWith("#"))
      .slice(0, max);
  return { wrong: pick("-"), right: pick("+") };
}
