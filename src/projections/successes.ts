// Successes, newest first.
import type { AttemptRecord } from "./attempts.js";
import { newestFirst, timelineProjection, type Timeline } from "./timeline.js";

export const successesProjection = timelineProjection("successes", "AttemptSucceeded");

export function recentSuccesses(state: Timeline, limit: number): AttemptRecord[] {
  return newestFirst(state, limit);
}
