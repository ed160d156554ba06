// Attempts of one status in the order they ran: the shared shape of the failures and successes read models.
import { compareByTime, recordsOf, type AttemptRecord } from "./attempts.js";
import type { Projected } from "./derive.js";
import { insertSorted, type Projection } from "./projection.js";

export interface Timeline {
  /** Oldest first. */
  items: AttemptRecord[];
}

export function timelineProjection(name: string, type: "AttemptFailed" | "AttemptSucceeded"): Projection<Timeline, string[]> {
  const add = (state: Timeline, event: Projected<typeof type>) => {
    insertSorted(state.items, event.derived.record, compareByTime);
    return state;
  };
  return {
    name,
    version: 1,
    initial: () => ({ items: [] }),
    reducers: { [type]: add },
    toJSON: (state) => state.items.map((r) => r.log_id),
    fromJSON: (ids, index) => ({ items: recordsOf(index, ids) }),
  };
}

/** The newest `limit` items that pass `keep`, newest first. */
export function newestFirst(state: Timeline, limit: number, keep: (r: AttemptRecord) => boolean = () => true): AttemptRecord[] {
  const out: AttemptRecord[] = [];
  for (let i = state.items.length - 1; i >= 0 && out.length < limit; i--) {
    if (keep(state.items[i])) out.push(state.items[i]);
  }
  return out;
}

/** One page of the items that pass `keep`, newest first, and how many pass in all. */
export function pageNewestFirst(
  state: Timeline,
  offset: number,
  limit: number,
  keep: (r: AttemptRecord) => boolean = () => true,
): { items: AttemptRecord[]; total: number } {
  const items: AttemptRecord[] = [];
  let total = 0;
  for (let i = state.items.length - 1; i >= 0; i--) {
    if (!keep(state.items[i])) continue;
    if (total >= offset && items.length < limit) items.push(state.items[i]);
    total++;
  }
  return { items, total };
}

/** How many items that pass `keep` ran on each UTC day (YYYY-MM-DD), oldest day first. */
export function dailyCounts(state: Timeline, keep: (r: AttemptRecord) => boolean): Array<{ day: string; count: number }> {
  const days = new Map<string, number>();
  for (const r of state.items) {
    if (!keep(r)) continue;
    const day = new Date(r.time).toISOString().slice(0, 10);
    days.set(day, (days.get(day) ?? 0) + 1);
  }
  return [...days].map(([day, count]) => ({ day, count }));
}
