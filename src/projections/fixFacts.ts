// A fix's facts: what changed between a failure and the success that fixed it. A pure function of what each
// attempt's data and own facts say, so a worker that derived both attempts can derive the fix too, ahead of the
// projection; the projection derives it itself when no worker did.
import { normaliseNewlines, type CodeSummary } from "../analysis/codeSummary.js";
import { fixStrategy, type FixStrategy } from "../analysis/fixStrategy.js";
import { errorNames, statementSpans } from "../analysis/lessons.js";
import { codeRead } from "../analysis/limits.js";
import { NO_CODE_SUMMARY, type DerivedAttempt, type DerivedFailure } from "./attemptFacts.js";

/** What a fix's diff needs of each attempt: its code and summary, and for the failure where and what it failed. */
export interface FixSide {
  code: string;
  summary: CodeSummary;
  /** The failing statement's lines (1-based, inclusive); 0 when unknown, and for successes. */
  failing_from: number;
  failing_to: number;
  pattern: string | null;
  /** The code's statement spans as read (see statementSpans), when they are at hand; else found again. */
  spans?: Array<[number, number]>;
}

/**
 * An attempt's side of a fix, from its data and its own facts (as its record would hold them), with its statement
 * spans: found right after the attempt's own facts, they come from the tokens the analyzer just read.
 */
export function fixSideOf(code: string, derived: DerivedFailure | DerivedAttempt): FixSide {
  const failure = "pattern" in derived ? derived : null;
  return {
    code,
    summary: derived.summary,
    failing_from: failure?.failing_span?.[0] ?? 0,
    failing_to: failure?.failing_span?.[1] ?? 0,
    pattern: failure?.pattern ?? null,
    spans: statementSpans(normaliseNewlines(codeRead(code))),
  };
}

export const NO_FIX_STRATEGY = fixStrategy("", NO_CODE_SUMMARY, "", NO_CODE_SUMMARY);

/** What the fix changed; a fix whose diff cannot be made still fixes, it just tells nothing about what changed. */
export function strategyOfFix(wrong: FixSide, right: FixSide): FixStrategy {
  try {
    const focus = wrong.failing_from > 0 ? { from: wrong.failing_from, to: wrong.failing_to, names: errorNames(wrong.pattern) } : null;
    return fixStrategy(codeRead(wrong.code), wrong.summary, codeRead(right.code), right.summary, focus, { wrong: wrong.spans, right: right.spans });
  } catch {
    return NO_FIX_STRATEGY;
  }
}
