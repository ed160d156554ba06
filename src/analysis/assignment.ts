// Experiment assignment: a session's variant is a pure function of (experiment, session_id) and the weights,
// so every replica, every rebuild and every client that asks agrees without the assignment being stored.
import { hash } from "node:crypto";

export interface Weighted {
  name: string;
  weight: number;
}

/** A uniform number in [0, 1) from the first 48 bits of sha256(experiment "\n" session_id). */
export function assignmentPoint(experimentId: string, sessionId: string): number {
  return parseInt(hash("sha256", `${experimentId}\n${sessionId}`, "hex").slice(0, 12), 16) / 2 ** 48;
}

/** The variant whose share of the total weight covers the session's point (variants in their declared order). */
export function assignVariant<V extends Weighted>(experimentId: string, sessionId: string, variants: readonly V[]): V {
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  let point = assignmentPoint(experimentId, sessionId) * total;
  for (const variant of variants) {
    if (point < variant.weight) return variant;
    point -= variant.weight;
  }
  return variants[variants.length - 1]; // only reached through rounding at the very top
}
