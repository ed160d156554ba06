// Sessions the client did not link: an attempt whose session the service assigned is joined to the latest
// earlier attempt within the window that has the same image_filename or user_prompt and similar code.
// The state is a sliding window of recent attempts, so memory stays bounded by the window, not the log.
import { lineSimilarity } from "../analysis/similarity.js";
import type { AttemptData } from "../events/types.js";
import { compareByTime, recordsOf, type AttemptRecord } from "./attempts.js";
import type { DeriveContext, InferredLink, Projected } from "./derive.js";
import { insertSorted, type Projection } from "./projection.js";
import { effectiveSession } from "./sessions.js";

interface Candidate {
  record: AttemptRecord;
  keys: string[];
  signature: Uint32Array;
}

export interface InferenceState {
  /** In the order they were recorded. */
  window: Candidate[];
  /** In the order they ran (compareByTime), so the search can stop at the first similar one. */
  byKey: Map<string, Candidate[]>;
}

// At most this many attempts with one prompt or image are looked at, the latest first: more within one window
// is a template being reused, not one script being retried.
const MAX_COMPARED = 200;

function keysOf(data: AttemptData): string[] {
  const keys: string[] = [];
  if (data.image_filename) keys.push(`image:${data.image_filename}`);
  if (data.user_prompt && data.user_prompt.trim()) keys.push(`prompt:${data.user_prompt.trim()}`);
  return keys;
}

/** The earlier attempt an unlinked attempt retries, if inference finds one. */
export function inferPrevious(context: DeriveContext, record: AttemptRecord, data: AttemptData, signature: Uint32Array): InferredLink | null {
  // Only an attempt that starts a session the service assigned: never one the client linked.
  if (data.session_assigned !== true || context.sessions.byId.has(record.session_id)) return null;
  const { inferWindowMs, inferSimilarity } = context.settings;
  let best: { candidate: Candidate; similarity: number } | null = null;
  for (const key of keysOf(data)) {
    const candidates = context.inference.byKey.get(key) ?? [];
    const last = Math.max(0, candidates.length - MAX_COMPARED);
    for (let i = candidates.length - 1; i >= last; i--) {
      const candidate = candidates[i];
      const age = record.time - candidate.record.time;
      if (age < 0) continue; // it ran after this one
      // The rest ran earlier still: out of the window, or no later than the best found under another key.
      if (age > inferWindowMs || (best && compareByTime(candidate.record, best.candidate.record) <= 0)) break;
      const similarity = lineSimilarity(signature, candidate.signature);
      if (similarity >= inferSimilarity) {
        best = { candidate, similarity };
        break;
      }
    }
  }
  if (!best) return null;
  return { previous: best.candidate.record, session_id: effectiveSession(context.sessions, best.candidate.record.session_id), similarity: best.similarity };
}

function addCandidate(state: InferenceState, candidate: Candidate): void {
  state.window.push(candidate);
  for (const key of candidate.keys) {
    const list = state.byKey.get(key);
    if (list) insertSorted(list, candidate, (a, b) => compareByTime(a.record, b.record));
    else state.byKey.set(key, [candidate]);
  }
}

function remember(state: InferenceState, candidate: Candidate, windowMs: number): void {
  addCandidate(state, candidate);
  // Forget what has left the window (attempts arrive roughly in time order; stragglers go when they reach the front).
  const horizon = candidate.record.time - windowMs;
  while (state.window.length && state.window[0].record.time < horizon) {
    const old = state.window.shift()!;
    for (const key of old.keys) {
      const list = state.byKey.get(key);
      const at = list?.indexOf(old) ?? -1;
      if (list && at >= 0) list.splice(at, 1);
      if (list && list.length === 0) state.byKey.delete(key);
    }
  }
}

type CandidateJSON = [string, string[], number[]];

/** The window needs the analyzer settings, so the projection is made for them. */
export function inferenceProjection(windowMs: number): Projection<InferenceState, CandidateJSON[]> {
  const add = (state: InferenceState, { envelope, derived }: Projected<"AttemptFailed" | "AttemptSucceeded">) => {
    const keys = keysOf(envelope.data);
    if (keys.length) remember(state, { record: derived.record, keys, signature: derived.signature }, windowMs);
    return state;
  };
  return {
    name: "inference",
    version: 2,
    initial: () => ({ window: [], byKey: new Map() }),
    reducers: { AttemptFailed: add, AttemptSucceeded: add },
    toJSON: (state) => state.window.map((c) => [c.record.log_id, c.keys, [...c.signature]]),
    fromJSON: (json, index) => {
      const state: InferenceState = { window: [], byKey: new Map() };
      const records = recordsOf(index, json.map(([id]) => id));
      json.forEach(([, keys, signature], i) => addCandidate(state, { record: records[i], keys, signature: Uint32Array.from(signature) }));
      return state;
    },
  };
}
