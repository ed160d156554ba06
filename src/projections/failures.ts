// Failures, newest first; `fixed_by` lives on each record, set by FixRecorded (or inference).
import { isFixed, type AttemptRecord } from "./attempts.js";
import { newestFirst, timelineProjection, type Timeline } from "./timeline.js";

export const failuresProjection = timelineProjection("failures", "AttemptFailed");

export function recentFailures(state: Timeline, limit: number, unfixedOnly: boolean): AttemptRecord[] {
  return newestFirst(state, limit, unfixedOnly ? (r) => !isFixed(r) : undefined);
}
