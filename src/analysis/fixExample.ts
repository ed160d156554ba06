// What a fix did about the failing statement itself: the statement (`wrong`) and exactly what replaced it in
// the code that then succeeded (`right`), never neighbouring edits; and the changes that touch it or the
// names the error names — the only ones a pattern's fix aggregates count.
import { diffArrays } from "diff";
import { summariseCode, type CodeSummary } from "./codeSummary.js";
import { importsBinding, keywordArguments, statementSpans } from "./lessons.js";
import { tokenizePython } from "./pythonTokens.js";
import { editDistance } from "./similarity.js";

/** Where the failure was raised: its statement's lines in the failing code (1-based, inclusive), and the error's names. */
export interface FixFocus {
  from: number;
  to: number;
  names: string[];
}

export interface FixExample {
  wrong: string[];
  /** What replaced the statement; empty when the fix removed it. */
  right: string[];
  /** The fix deleted the statement and put nothing in its place. */
  removed: boolean;
}

export type FocusedChange =
  | { kind: "replaced"; from: string; to: string }
  | { kind: "import_added" | "call_added" | "call_removed" | "defined"; name: string }
  | { kind: "argument_removed" | "argument_added"; call: string; name: string };

// Beyond this many lines a script is diffed by its hunks only (the alignment below is quadratic in a block).
const MAX_BLOCK_STATEMENTS = 60;
// Statements less alike than this (Dice over tokens) are not one rewritten into the other …
const MIN_SIMILARITY = 0.3;
// … unless they share a name the error names (`AppendNotes`), which counts this much.
const NAME_BONUS = 0.5;
// At most this many added statements are shown as what made an unchanged statement work (an import, a definition).
const MAX_SUPPORTING = 3;

const lines = (code: string) => code.split("\n");
const isCode = (line: string) => line.trim() !== "" && !line.trim().startsWith("#");

/** Lines of some spans, dedented together by their first line's indentation; comment and blank lines left out. */
function text(all: string[], ...spans: Array<[number, number]>): string[] {
  const chunk = spans.flatMap(([from, to]) => all.slice(from - 1, to)).filter(isCode);
  const indent = /^\s*/.exec(chunk[0] ?? "")![0].length;
  return chunk.map((l) => (l.slice(0, indent).trim() === "" ? l.slice(indent) : l.trimStart()).trimEnd());
}

function tokenBag(code: string): Map<string, number> {
  const bag = new Map<string, number>();
  for (const t of tokenizePython(code)) if (t.kind !== "newline") bag.set(t.text, (bag.get(t.text) ?? 0) + 1);
  return bag;
}

function dice(a: Map<string, number>, b: Map<string, number>): number {
  let common = 0;
  let total = 0;
  for (const [k, n] of a) {
    common += Math.min(n, b.get(k) ?? 0);
    total += n;
  }
  for (const n of b.values()) total += n;
  return total ? (2 * common) / total : 0;
}

/** Line alignment of the two codes: for each old line (1-based) its new line, or 0 when the fix removed it. */
function alignLines(wrong: string[], right: string[]): { oldToNew: number[]; newKept: boolean[] } | null {
  const changes = diffArrays(wrong, right, { maxEditLength: 400 });
  if (!changes) return null;
  const oldToNew = [0];
  const newKept = [false];
  for (const c of changes) {
    for (let k = 0; k < c.count!; k++) {
      if (c.added) newKept.push(false);
      else if (c.removed) oldToNew.push(0);
      else {
        newKept.push(true);
        oldToNew.push(newKept.length - 1);
      }
    }
  }
  return { oldToNew, newKept };
}

/** Spans of `spans` that lie within [from, to] and hold code. */
const within = (spans: Array<[number, number]>, from: number, to: number) => spans.filter(([a, b]) => a >= from && b <= to);

/** Statement spans of either code (see statementSpans) when the caller already has them. */
export interface KnownSpans {
  wrong?: Array<[number, number]>;
  right?: Array<[number, number]>;
}

/**
 * The failing statement and what replaced it. Old and new code are aligned line by line; the changed block
 * around the statement runs between its nearest unchanged neighbours. When the block held only the statement,
 * all the block's new statements replaced it; otherwise the statements on both sides are aligned by likeness
 * (and by the names the error names), and the statement's partner replaced it — or nothing did.
 */
export function fixExample(wrongCode: string, rightCode: string, focus: FixFocus, spans: KnownSpans = {}): FixExample | null {
  const wrong = lines(wrongCode);
  const right = lines(rightCode);
  if (focus.from < 1 || focus.to > wrong.length) return null;
  const aligned = alignLines(wrong, right);
  if (!aligned) return null;
  const { oldToNew } = aligned;
  const statementText = text(wrong, [focus.from, focus.to]);
  let changed = false;
  for (let l = focus.from; l <= focus.to; l++) if (oldToNew[l] === 0 && isCode(wrong[l - 1])) changed = true;
  const newSpans = spans.right ?? statementSpans(rightCode);
  if (!changed) return supportingChange(right, focus, statementText, oldToNew, newSpans);
  // The changed block: from after the last kept line before the statement to before the first kept line after it.
  let oldFrom = focus.from;
  while (oldFrom > 1 && oldToNew[oldFrom - 1] === 0) oldFrom--;
  let oldTo = focus.to;
  while (oldTo < wrong.length && oldToNew[oldTo + 1] === 0) oldTo++;
  const newFrom = oldFrom > 1 ? oldToNew[oldFrom - 1] + 1 : 1;
  const newTo = oldTo < wrong.length ? oldToNew[oldTo + 1] - 1 : right.length;
  const oldStatements = within(spans.wrong ?? statementSpans(wrongCode), oldFrom, oldTo).filter(([a, b]) => b < focus.from || a > focus.to);
  oldStatements.push([focus.from, focus.to]);
  oldStatements.sort((x, y) => x[0] - y[0]);
  const candidates = expand(newSpans, newFrom, newTo);
  if (candidates.length === 0) return { wrong: statementText, right: [], removed: true };
  if (oldStatements.length === 1) return { wrong: statementText, right: text(right, ...candidates), removed: false };
  const partner = alignStatements(oldStatements, candidates, wrong, right, focus);
  return partner
    ? { wrong: statementText, right: text(right, partner), removed: false }
    : { wrong: statementText, right: [], removed: true };
}

/** Statements of the new code that have a line within [from, to]: a partly changed multi-line statement counts whole. */
function expand(spans: Array<[number, number]>, from: number, to: number): Array<[number, number]> {
  return spans.filter(([a, b]) => b >= from && a <= to);
}

/** The new statement the failing one became, aligning both sides' statements in order by likeness. */
function alignStatements(
  olds: Array<[number, number]>,
  news: Array<[number, number]>,
  wrong: string[],
  right: string[],
  focus: FixFocus,
): [number, number] | null {
  const target = olds.findIndex(([a]) => a === focus.from);
  const named = (s: string) => {
    const tokens = new Set(tokenizePython(s).map((t) => t.text));
    return focus.names.some((n) => tokens.has(n.slice(n.lastIndexOf(".") + 1)));
  };
  const newTexts = news.map((s) => text(right, s).join("\n"));
  const newBags = newTexts.map(tokenBag);
  const score = (oldText: string, oldBag: Map<string, number>, j: number) => {
    const bonus = named(oldText) && named(newTexts[j]) ? NAME_BONUS : 0;
    const similarity = dice(oldBag, newBags[j]);
    return similarity >= MIN_SIMILARITY || bonus ? similarity + bonus : -1;
  };
  if (olds.length > MAX_BLOCK_STATEMENTS || news.length > MAX_BLOCK_STATEMENTS) {
    const oldText = text(wrong, olds[target]).join("\n");
    const bag = tokenBag(oldText);
    let best = -1;
    news.forEach((_, j) => {
      if (score(oldText, bag, j) > (best < 0 ? 0 : score(oldText, bag, best))) best = j;
    });
    return best >= 0 ? news[best] : null;
  }
  // Best monotone matching (a weighted LCS): total[i][j] over the first i old and j new statements.
  const m = olds.length;
  const n = news.length;
  const total = Array.from({ length: m + 1 }, () => new Float64Array(n + 1));
  const pairScore = olds.map((s) => {
    const oldText = text(wrong, s).join("\n");
    const bag = tokenBag(oldText);
    return news.map((_, j) => score(oldText, bag, j));
  });
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const pair = pairScore[i - 1][j - 1];
      total[i][j] = Math.max(total[i - 1][j], total[i][j - 1], pair >= 0 ? total[i - 1][j - 1] + pair : -Infinity);
    }
  }
  for (let i = m, j = n; i > 0 && j > 0;) {
    const pair = pairScore[i - 1][j - 1];
    if (pair >= 0 && total[i][j] === total[i - 1][j - 1] + pair) {
      if (i - 1 === target) return news[j - 1];
      i--;
      j--;
    } else if (total[i][j] === total[i - 1][j]) i--;
    else j--;
  }
  return null;
}

/**
 * The statement stayed as it was: what made it work was added elsewhere — the import or definition of a name
 * the error names. Shown before the unchanged statement; null when the fix added nothing of the kind.
 */
function supportingChange(
  right: string[],
  focus: FixFocus,
  statementText: string[],
  oldToNew: number[],
  newSpans: Array<[number, number]>,
): FixExample | null {
  const kept = new Set(oldToNew.filter((l) => l > 0));
  const names = new Set(focus.names);
  const supporting = newSpans.filter(([a, b]) => {
    for (let l = a; l <= b; l++) if (kept.has(l)) return false;
    const summary = summariseCode(right.slice(a - 1, b).join("\n"));
    return summary.defined.some((d) => names.has(d)) || summary.imports.some((i) => focus.names.some((n) => importsBinding([i], n).length));
  });
  if (supporting.length === 0) return null;
  return { wrong: statementText, right: [...text(right, ...supporting.slice(0, MAX_SUPPORTING)), ...statementText], removed: false };
}

/**
 * The changes of a fix that touch the failing statement or the names the error names: calls and attributes
 * the statement lost or gained (paired as replacements where one took another's place), keyword arguments
 * dropped or added to the call the error names, imports and definitions of those names.
 */
export function focusedChanges(example: FixExample | null, focus: FixFocus, wrong: CodeSummary, right: CodeSummary): FocusedChange[] {
  const changes: FocusedChange[] = [];
  const names = new Set(focus.names);
  const before = summariseCode(example?.wrong.join("\n") ?? "");
  const after = summariseCode(example && !example.removed ? example.right.join("\n") : "");
  for (const n of before.references) names.add(n);
  const removedCalls = before.calls.filter((c) => !after.calls.includes(c));
  const addedCalls = after.calls.filter((c) => !before.calls.includes(c));
  const leaf = (c: string) => c.slice(c.lastIndexOf(".") + 1);
  const qualifier = (c: string) => c.slice(0, Math.max(0, c.lastIndexOf(".")));
  const paired = new Set<string>();
  for (const from of removedCalls) {
    const to =
      addedCalls.find((c) => !paired.has(c) && leaf(c) === leaf(from)) ??
      // `json.loads` → `json.load`, `os.makedir` → `os.makedirs`: the same module, a close name
      addedCalls.find((c) => !paired.has(c) && qualifier(c) === qualifier(from) && editDistance(leaf(c), leaf(from)) <= 2) ??
      (removedCalls.length === 1 && addedCalls.length === 1 && example && !example.removed ? addedCalls[0] : undefined);
    if (to) {
      paired.add(to).add(from);
      changes.push({ kind: "replaced", from, to });
    }
  }
  // A misspelt or renamed plain name (`tileInfoq` → `tileInfo`), when no call pairing said it already.
  if (example && !example.removed) {
    const lost = before.references.filter((r) => !after.references.includes(r) && !r.includes(".") && !paired.has(r));
    const gained = after.references.filter((r) => !before.references.includes(r) && !r.includes(".") && !paired.has(r));
    if (lost.length === 1 && gained.length === 1 && names.has(lost[0]) && focus.names.includes(lost[0]))
      changes.push({ kind: "replaced", from: lost[0], to: gained[0] });
  }
  for (const c of removedCalls) if (!paired.has(c)) changes.push({ kind: "call_removed", name: c });
  for (const c of addedCalls) if (!paired.has(c)) changes.push({ kind: "call_added", name: c });
  if (example && !example.removed) {
    for (const callee of focus.names.filter((n) => before.calls.some((c) => leaf(c) === n) && after.calls.some((c) => leaf(c) === n))) {
      const had = keywordArguments(example.wrong.join("\n"), callee);
      const has = keywordArguments(example.right.join("\n"), callee);
      for (const name of had) if (!has.includes(name)) changes.push({ kind: "argument_removed", call: callee, name });
      for (const name of has) if (!had.includes(name)) changes.push({ kind: "argument_added", call: callee, name });
    }
  }
  for (const statement of right.imports.filter((i) => !wrong.imports.includes(i)))
    if ([...names].some((n) => importsBinding([statement], n).length)) changes.push({ kind: "import_added", name: statement });
  for (const d of right.defined.filter((d) => !wrong.defined.includes(d)))
    if (focus.names.includes(d)) changes.push({ kind: "defined", name: d });
  return changes;
}
