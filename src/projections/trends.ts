// Success over time, on the attempts' own timestamps: per UTC day, per ai_model / context_version /
// prompt_version, attempts and successes, and the same for the first attempt of each session. Day counts are
// the state; weeks, ranges and the verdict are read from them when asked, so the state stays deterministic.
import { compareProportions, rate, wilson, type Comparison } from "../analysis/stats.js";
import type { AttemptData } from "../events/types.js";
import { AttemptRecord, compareByTime, recordsOf } from "./attempts.js";
import type { Projected } from "./derive.js";
import type { Projection } from "./projection.js";

export const TREND_DIMENSIONS = ["all", "ai_model", "context_version", "prompt_version"] as const;
export type TrendDimension = (typeof TREND_DIMENSIONS)[number];
type Keys = [string, string | null, string | null, string | null];

/** [attempts, successes, first attempts, first attempts that succeeded] */
type Counts = [number, number, number, number];

const DAY = 86_400_000;

/** The first attempt of a session (the one that ran first), with its keys: it moves if an earlier one arrives. */
interface FirstAttempt {
  record: AttemptRecord;
  context_version: string | null;
  prompt_version: string | null;
}

/** As the state holds a first attempt: its record alone when it has neither version (one object fewer a session). */
type HeldFirst = AttemptRecord | FirstAttempt;

const held = (first: FirstAttempt): HeldFirst =>
  first.context_version === null && first.prompt_version === null ? first.record : first;

const unheld = (first: HeldFirst): FirstAttempt =>
  first instanceof AttemptRecord ? { record: first, context_version: null, prompt_version: null } : first;

export interface TrendsState {
  /** Per dimension (TREND_DIMENSIONS order): key → UTC day number (days since 1970-01-01) → counts. */
  series: Array<Map<string | null, Map<number, Counts>>>;
  /** Session → its first attempt. */
  firsts: Map<string, HeldFirst>;
}

const dayOf = (time: number) => Math.floor(time / DAY);

// i14's attempt fields; read defensively, as older events lack them.
const versionOf = (data: AttemptData, field: "context_version" | "prompt_version"): string | null => {
  const value = (data as unknown as Record<string, unknown>)[field];
  return typeof value === "string" ? value : null;
};

function keysOf(first: FirstAttempt): Keys {
  return ["all", first.record.ai_model, first.context_version, first.prompt_version];
}

function countsAt(state: TrendsState, dimension: number, key: string | null, day: number): Counts {
  let days = state.series[dimension].get(key);
  if (!days) state.series[dimension].set(key, (days = new Map()));
  let counts = days.get(day);
  if (!counts) days.set(day, (counts = [0, 0, 0, 0]));
  return counts;
}

/** Adds (sign 1) or takes back (sign -1) an attempt's counts, as an attempt or as its session's first. */
function account(state: TrendsState, attempt: FirstAttempt, slot: 0 | 2, sign: 1 | -1): void {
  const day = dayOf(attempt.record.time);
  const success = attempt.record.status === "success" ? sign : 0;
  const keys = keysOf(attempt);
  for (let d = 0; d < keys.length; d++) {
    const counts = countsAt(state, d, keys[d], day);
    counts[slot] += sign;
    counts[slot + 1] += success;
  }
}

function add(state: TrendsState, { envelope, derived }: Projected<"AttemptFailed" | "AttemptSucceeded">): TrendsState {
  const attempt: FirstAttempt = {
    record: derived.record,
    context_version: versionOf(envelope.data, "context_version"),
    prompt_version: versionOf(envelope.data, "prompt_version"),
  };
  account(state, attempt, 0, 1);
  const kept = state.firsts.get(derived.session);
  const first = kept && unheld(kept);
  if (first && compareByTime(first.record, attempt.record) <= 0) return state;
  if (first) account(state, first, 2, -1);
  state.firsts.set(derived.session, held(attempt));
  account(state, attempt, 2, 1);
  return state;
}

type TrendsJSON = {
  series: Array<Array<[string | null, Array<[number, Counts]>]>>;
  firsts: Array<[string, string, string | null, string | null]>;
};

export const trendsProjection: Projection<TrendsState, TrendsJSON> = {
  name: "trends",
  version: 1,
  initial: () => ({ series: TREND_DIMENSIONS.map(() => new Map()), firsts: new Map() }),
  reducers: { AttemptFailed: add, AttemptSucceeded: add },
  toJSON: (state) => ({
    series: state.series.map((keys) => [...keys].map(([key, days]) => [key, [...days].sort(([a], [b]) => a - b)])),
    firsts: [...state.firsts].map(([session, kept]) => {
      const f = unheld(kept);
      return [session, f.record.log_id, f.context_version, f.prompt_version];
    }),
  }),
  fromJSON: (json, index) => {
    const records = recordsOf(
      index,
      json.firsts.map(([, id]) => id),
    );
    return {
      series: json.series.map((keys) => new Map(keys.map(([key, days]) => [key, new Map(days.map(([d, c]) => [d, [...c] as Counts]))]))),
      firsts: new Map(json.firsts.map(([session, , context_version, prompt_version], i) => [session, held({ record: records[i], context_version, prompt_version })])),
    };
  },
};

// --- Reading the state -------------------------------------------------------------------------------------

export interface TrendQuery {
  bucket: "day" | "week";
  by?: Exclude<TrendDimension, "all">;
  since?: number;
  until?: number;
}

export interface TrendSettings {
  /** Significance level of the verdict's test. */
  alpha: number;
  /** Fewer attempts than this in either period: insufficient_data. */
  minAttempts: number;
}

/** At most this many buckets per series: a longer range needs weekly buckets or a narrower since/until. */
export const MAX_BUCKETS = 3660;

// 1970-01-01 was a Thursday: ISO weeks start on the Monday three days before it.
const weekStart = (day: number) => day - ((((day + 3) % 7) + 7) % 7);

const isoDay = (day: number) => new Date(day * DAY).toISOString();

function point(start: number, c: Counts) {
  return {
    start: isoDay(start),
    attempts: c[0],
    successes: c[1],
    success_rate: rate(c[1], c[0]),
    ci95: wilson(c[1], c[0]),
    first_attempts: c[2],
    first_attempt_successes: c[3],
    first_attempt_success_rate: rate(c[3], c[2]),
    first_attempt_ci95: wilson(c[3], c[2]),
  };
}

/** Sums attempts and successes of the days in [from, to]. */
function total(days: Map<number, Counts>, from: number, to: number): [number, number] {
  let attempts = 0;
  let successes = 0;
  for (const [day, c] of days) {
    if (day >= from && day <= to) {
      attempts += c[0];
      successes += c[1];
    }
  }
  return [attempts, successes];
}

export type TrendStatus = "improving" | "worsening" | "no_change" | "insufficient_data";

export interface TrendVerdict {
  recent: ReturnType<typeof period>;
  prior: ReturnType<typeof period>;
  p_value: number | null;
  test: Comparison["test"] | null;
  status: TrendStatus;
}

function period(from: number, to: number, [attempts, successes]: [number, number]) {
  return { start: isoDay(from), end: isoDay(to + 1), attempts, successes, success_rate: rate(successes, attempts), ci95: wilson(successes, attempts) };
}

/**
 * The last 7 UTC days (ending with the day of `end`) against the 28 before them: two-proportion test, or
 * Fisher's exact test when an expected cell is below 5. No verdict without enough attempts in both.
 */
export function trendVerdict(days: Map<number, Counts> | undefined, end: number, settings: TrendSettings): TrendVerdict {
  const last = dayOf(end);
  const none = new Map<number, Counts>();
  const recent = period(last - 6, last, total(days ?? none, last - 6, last));
  const prior = period(last - 34, last - 7, total(days ?? none, last - 34, last - 7));
  if (recent.attempts < settings.minAttempts || prior.attempts < settings.minAttempts) {
    return { recent, prior, p_value: null, test: null, status: "insufficient_data" };
  }
  const { p_value, test } = compareProportions(recent.successes, recent.attempts, prior.successes, prior.attempts);
  const status = p_value >= settings.alpha ? "no_change" : recent.success_rate! > prior.success_rate! ? "improving" : "worsening";
  return { recent, prior, p_value, test, status };
}

/** The verdict over all attempts at `now`, for the summary. */
export function trendStatus(state: TrendsState, now: number, settings: TrendSettings): TrendStatus {
  return trendVerdict(state.series[0].get("all"), now, settings).status;
}

/** Buckets of each series over the range asked for (by default, from the first day with attempts to the last). */
export function trendsReport(state: TrendsState, query: TrendQuery, now: number, settings: TrendSettings) {
  const dimension = TREND_DIMENSIONS.indexOf(query.by ?? "all");
  const all = state.series[0].get("all") ?? new Map<number, Counts>();
  const known = [...all.keys()];
  const first = query.since !== undefined ? dayOf(query.since) : known.length ? Math.min(...known) : null;
  const last = query.until !== undefined ? dayOf(query.until) : known.length ? Math.max(...known) : null;
  const bucketOf = query.bucket === "week" ? weekStart : (day: number) => day;
  const width = query.bucket === "week" ? 7 : 1;
  const starts: number[] = [];
  if (first !== null && last !== null) {
    for (let start = bucketOf(first); start <= last; start += width) {
      starts.push(start);
      if (starts.length > MAX_BUCKETS) return null;
    }
  }
  const series = [...state.series[dimension]]
    .filter(([, days]) => first !== null && last !== null && total(days, first, last)[0] > 0)
    .map(([key, days]) => {
      const sums = starts.map((): Counts => [0, 0, 0, 0]);
      for (const [day, c] of days) {
        if (first === null || last === null || day < first || day > last) continue;
        const sum = sums[(bucketOf(day) - starts[0]) / width];
        for (let i = 0; i < 4; i++) sum[i] += c[i];
      }
      return { key, points: starts.map((start, i) => point(start, sums[i])), verdict: trendVerdict(days, query.until ?? now, settings) };
    })
    // Attempts without the field (key null) last.
    .sort((a, b) => (a.key === null ? 1 : b.key === null ? -1 : a.key.localeCompare(b.key)));
  return { bucket: query.bucket, by: query.by ?? null, series, verdict: trendVerdict(all, query.until ?? now, settings) };
}
