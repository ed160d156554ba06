// A projection is a read model's specification: an initial state and a reducer per event type.
// States are owned by their projection and updated in place (copying a million-attempt state per event
// would be quadratic); reducers read nothing but the state and the event, so replays are deterministic.
import type { EventType } from "../events/types.js";
import type { AttemptsState } from "./attempts.js";
import type { Projected } from "./derive.js";

export type Reducers<S> = { [T in EventType]?: (state: S, event: Projected<T>) => S };

export interface Projection<S, J = unknown> {
  readonly name: string;
  /** Bumped whenever the state's shape or meaning changes, so older snapshots are not loaded. */
  readonly version: number;
  initial(): S;
  reducers: Reducers<S>;
  /** The state as deterministic JSON-able data (Maps become arrays in insertion order). */
  toJSON(state: S): J;
  /** Rebuilds the state from toJSON's output; records are resolved against the attempt index. */
  fromJSON(json: J, index: AttemptsState): S;
}

export function reduce<S>(projection: Projection<S>, state: S, event: Projected): S {
  const reducer = projection.reducers[event.envelope.type] as ((s: S, e: Projected) => S) | undefined;
  return reducer ? reducer(state, event) : state;
}

/**
 * Inserts into an array kept sorted by `compare`, after any equal items, and returns where; appending (the
 * usual case) is O(1).
 */
export function insertSorted<T>(array: T[], item: T, compare: (a: T, b: T) => number): number {
  let lo = 0;
  let hi = array.length;
  if (hi === 0 || compare(array[hi - 1], item) <= 0) return array.push(item) - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(array[mid], item) <= 0) lo = mid + 1;
    else hi = mid;
  }
  array.splice(lo, 0, item);
  return lo;
}
