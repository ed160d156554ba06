// The learning loop's read model: the catalog of context versions and experiments (evolved by the decider's
// own evolve), and what happened under each — sessions and their first-attempt success per context version
// and per experiment variant, the patterns seen, and for every rule how often its pattern failed with and
// without the rule in the context. Counted as attempts arrive; rates, intervals and verdicts are computed
// when asked (src/analysis/experiments.ts).
import { assignVariant } from "../analysis/assignment.js";
import { chanceBest, decide, effectVerdict, proportion, type Decision } from "../analysis/experiments.js";
import { CATALOG_EVENT_TYPES, emptyCatalog, evolve, type CatalogEvent, type ContextCatalog, type Experiment } from "../decider/contexts.js";
import { compareByTime, recordsOf, type AttemptRecord } from "./attempts.js";
import type { Projected } from "./derive.js";
import { insertSorted, type Projection, type Reducers } from "./projection.js";

/** Sessions counted under one context version or experiment variant (or one ai_model within a variant). */
export interface SessionTally {
  sessions: number;
  /** Sessions whose first attempt succeeded. */
  first_attempt_successes: number;
  resolved: number;
  /** Over resolved sessions: attempts up to and including the first success. */
  attempts_to_success_sum: number;
}

/** What a session was generated with, fixed by its first attempt that names a context version or experiment. */
interface SessionGeneration {
  context_version: string | null;
  prompt_version: string | null;
  experiment: string | null;
  variant: string | null;
  ai_model: string | null;
  attempts: number;
  resolved: boolean;
}

export interface VersionStats {
  tally: SessionTally;
  attempts: number;
  failures: number;
  /** Failures by pattern among the attempts generated with it. */
  patterns: Map<string, number>;
}

export interface ExperimentStats {
  byVariant: Map<string, SessionTally>;
  /** ai_model of a session's first attempt → variant → tally: results stratified by model. */
  byModel: Map<string | null, Map<string, SessionTally>>;
}

/**
 * Attempts generated with one context version (null: none) while a given number of contexts had been published
 * (the epoch), and their failures by pattern. A rule's effect compares the buckets of contexts that contain it
 * with the others, from the epoch it was first published on: before that nobody could have been given it.
 */
interface EffectBucket {
  epoch: number;
  version: string | null;
  attempts: number;
  patterns: Map<string, number>;
}

/** A failure of a rule's pattern in an attempt generated with a context that contained the rule. */
export interface DespiteFailure {
  record: AttemptRecord;
  context_version: string;
}

/** Failures of a rule's pattern in attempts generated with a context that contained the rule. */
export interface DespiteRule {
  sessions: Set<string>;
  /** In the order they ran, so a window of them (a regression) is found with two binary searches. */
  failures: DespiteFailure[];
}

export interface ContextsState {
  catalog: ContextCatalog;
  sessions: Map<string, SessionGeneration>;
  versions: Map<string, VersionStats>;
  experiments: Map<string, ExperimentStats>;
  buckets: Map<string, EffectBucket>;
  /** Rule id → the epoch of the first context that contained it. */
  ruleSince: Map<string, number>;
  despite: Map<string, DespiteRule>;
}

const RECENT_DESPITE = 10;

const despiteByTime = (a: DespiteFailure, b: DespiteFailure) => compareByTime(a.record, b.record);

export const emptyTally = (): SessionTally => ({ sessions: 0, first_attempt_successes: 0, resolved: 0, attempts_to_success_sum: 0 });

function versionStats(state: ContextsState, version: string): VersionStats {
  let stats = state.versions.get(version);
  if (!stats) state.versions.set(version, (stats = { tally: emptyTally(), attempts: 0, failures: 0, patterns: new Map() }));
  return stats;
}

function experimentStats(state: ContextsState, id: string): ExperimentStats {
  let stats = state.experiments.get(id);
  if (!stats) state.experiments.set(id, (stats = { byVariant: new Map(), byModel: new Map() }));
  return stats;
}

function tallyOf<K>(map: Map<K, SessionTally>, key: K): SessionTally {
  let tally = map.get(key);
  if (!tally) map.set(key, (tally = emptyTally()));
  return tally;
}

/** The variant an attempt ran in: the one it names, else the session's assignment. */
function variantOf(experiment: Experiment, sessionId: string, named: string | undefined): string | null {
  if (named !== undefined) return experiment.variants.some((v) => v.name === named) ? named : null;
  return assignVariant(experiment.id, sessionId, experiment.variants).name;
}

/** The tallies a session counts in: its context version's and, while its experiment runs, its variant's. */
function talliesOf(state: ContextsState, session: SessionGeneration): SessionTally[] {
  const tallies: SessionTally[] = [];
  if (session.context_version !== null) tallies.push(versionStats(state, session.context_version).tally);
  const experiment = session.experiment === null ? undefined : state.catalog.experiments.get(session.experiment);
  if (experiment && experiment.stopped_at === null && session.variant !== null) {
    const stats = experimentStats(state, experiment.id);
    tallies.push(tallyOf(stats.byVariant, session.variant));
    let byVariant = stats.byModel.get(session.ai_model);
    if (!byVariant) stats.byModel.set(session.ai_model, (byVariant = new Map()));
    tallies.push(tallyOf(byVariant, session.variant));
  }
  return tallies;
}

function addAttempt(state: ContextsState, { envelope, derived }: Projected<"AttemptFailed" | "AttemptSucceeded">): ContextsState {
  const data = envelope.data;
  const record = derived.record;
  let session = state.sessions.get(data.session_id);
  if (!session && (data.context_version !== undefined || data.experiment !== undefined || data.prompt_version !== undefined)) {
    const experiment = data.experiment === undefined ? undefined : state.catalog.experiments.get(data.experiment);
    session = {
      context_version: data.context_version ?? null,
      prompt_version: data.prompt_version ?? null,
      experiment: experiment && experiment.stopped_at === null ? experiment.id : null,
      variant: experiment ? variantOf(experiment, data.session_id, data.variant) : null,
      ai_model: record.ai_model,
      attempts: 0,
      resolved: false,
    };
    state.sessions.set(data.session_id, session);
    for (const tally of talliesOf(state, session)) tally.sessions++;
  }
  if (session) {
    const ordinal = session.attempts++;
    if (record.status === "success" && !session.resolved) {
      session.resolved = true;
      for (const tally of talliesOf(state, session)) {
        tally.resolved++;
        tally.attempts_to_success_sum += ordinal + 1;
        if (ordinal === 0) tally.first_attempt_successes++;
      }
    }
  }
  const version = data.context_version ?? session?.context_version ?? null;
  const pattern = record.pattern;
  if (version !== null) {
    const stats = versionStats(state, version);
    stats.attempts++;
    if (pattern !== null) {
      stats.failures++;
      stats.patterns.set(pattern, (stats.patterns.get(pattern) ?? 0) + 1);
    }
  }
  const epoch = state.catalog.contexts.size;
  const key = `${epoch}\n${version ?? ""}`;
  let bucket = state.buckets.get(key);
  if (!bucket) state.buckets.set(key, (bucket = { epoch, version, attempts: 0, patterns: new Map() }));
  bucket.attempts++;
  if (pattern === null) return state;
  bucket.patterns.set(pattern, (bucket.patterns.get(pattern) ?? 0) + 1);
  if (version !== null && state.catalog.contexts.get(version)?.rule_ids.includes(pattern)) {
    let despite = state.despite.get(pattern);
    if (!despite) state.despite.set(pattern, (despite = { sessions: new Set(), failures: [] }));
    despite.sessions.add(data.session_id);
    insertSorted(despite.failures, { record, context_version: version }, despiteByTime);
  }
  return state;
}

function applyCatalogEvent(state: ContextsState, { envelope }: Projected): ContextsState {
  evolve(state.catalog, envelope as CatalogEvent);
  if (envelope.type === "ContextPublished") {
    const epoch = state.catalog.contexts.size;
    for (const rule of envelope.data.rule_ids) if (!state.ruleSince.has(rule)) state.ruleSince.set(rule, epoch);
  }
  return state;
}

const reducers: Reducers<ContextsState> = { AttemptFailed: addAttempt, AttemptSucceeded: addAttempt };
for (const type of CATALOG_EVENT_TYPES) (reducers as Record<string, unknown>)[type] = applyCatalogEvent;

const pairs = <K, V>(map: Map<K, V>) => [...map];

/* eslint-disable @typescript-eslint/no-explicit-any -- the snapshot JSON is what toJSON of this version wrote */
export const contextsProjection: Projection<ContextsState, any> = {
  name: "contexts",
  version: 2,
  initial: () => ({
    catalog: emptyCatalog(),
    sessions: new Map(),
    versions: new Map(),
    experiments: new Map(),
    buckets: new Map(),
    ruleSince: new Map(),
    despite: new Map(),
  }),
  reducers,
  toJSON: (state) => ({
    catalog: {
      contexts: [...state.catalog.contexts.values()],
      current: state.catalog.current,
      experiments: [...state.catalog.experiments.values()],
      last_auto_published_at: state.catalog.lastAutoPublishedAt,
    },
    sessions: pairs(state.sessions),
    versions: [...state.versions].map(([v, s]) => [v, { ...s, patterns: pairs(s.patterns) }]),
    experiments: [...state.experiments].map(([id, s]) => [
      id,
      { by_variant: pairs(s.byVariant), by_model: [...s.byModel].map(([m, t]) => [m, pairs(t)]) },
    ]),
    buckets: [...state.buckets.values()].map((b) => ({ ...b, patterns: pairs(b.patterns) })),
    rule_since: pairs(state.ruleSince),
    despite: [...state.despite].map(([rule, d]) => [
      rule,
      { sessions: [...d.sessions], failures: d.failures.map((f) => [f.record.log_id, f.context_version]) },
    ]),
  }),
  fromJSON: (json, index) => ({
    catalog: {
      contexts: new Map(json.catalog.contexts.map((c: any) => [c.version, { ...c }])),
      bySha: new Map(json.catalog.contexts.map((c: any) => [c.sha256, c.version])),
      current: json.catalog.current,
      experiments: new Map(json.catalog.experiments.map((e: any) => [e.id, { ...e }])),
      lastAutoPublishedAt: json.catalog.last_auto_published_at,
    },
    sessions: new Map(json.sessions.map(([id, s]: any) => [id, { ...s }])),
    versions: new Map(json.versions.map(([v, s]: any) => [v, { ...s, tally: { ...s.tally }, patterns: new Map(s.patterns) }])),
    experiments: new Map(
      json.experiments.map(([id, s]: any) => [
        id,
        {
          byVariant: new Map(s.by_variant.map(([n, t]: any) => [n, { ...t }])),
          byModel: new Map(s.by_model.map(([m, t]: any) => [m, new Map(t.map(([n, x]: any) => [n, { ...x }]))])),
        },
      ]),
    ),
    buckets: new Map(json.buckets.map((b: any) => [`${b.epoch}\n${b.version ?? ""}`, { ...b, patterns: new Map(b.patterns) }])),
    ruleSince: new Map(json.rule_since),
    despite: new Map(
      json.despite.map(([rule, d]: any) => {
        const records = recordsOf(
          index,
          d.failures.map(([id]: [string, string]) => id),
        );
        const failures = d.failures.map(([, context_version]: [string, string], i: number) => ({ record: records[i], context_version }));
        return [rule, { sessions: new Set(d.sessions), failures }];
      }),
    ),
  }),
};
/* eslint-enable @typescript-eslint/no-explicit-any */

// ---- Queries (for routes, the automatic updates, and other read models' questions) ----

/** What a session was generated with (from its first attempt that says), or nulls. */
export function sessionGeneration(state: ContextsState, sessionId: string) {
  const s = state.sessions.get(sessionId);
  return {
    context_version: s?.context_version ?? null,
    prompt_version: s?.prompt_version ?? null,
    experiment: s?.experiment ?? null,
    variant: s?.variant ?? null,
  };
}

/** The variant an attempt ran in: the one it names, else its session's assignment; null outside experiments. */
export function attemptVariant(state: ContextsState, attempt: { session_id: string; experiment?: string; variant?: string }): string | null {
  if (attempt.experiment === undefined) return null;
  const experiment = state.catalog.experiments.get(attempt.experiment);
  return experiment ? variantOf(experiment, attempt.session_id, attempt.variant) : (attempt.variant ?? null);
}

/** The rule ids a published context contains; undefined for a version never published. */
export function contextRuleIds(state: ContextsState, version: string): readonly string[] | undefined {
  return state.catalog.contexts.get(version)?.rule_ids;
}

/** Failures of a rule's pattern in attempts generated with a context containing that rule (a regression). */
export function failuresDespiteRule(state: ContextsState, ruleId: string) {
  const d = state.despite.get(ruleId);
  return {
    failures: d?.failures.length ?? 0,
    sessions: d?.sessions.size ?? 0,
    /** The latest few, newest last. */
    recent: (d?.failures.slice(-RECENT_DESPITE) ?? []).map((f) => ({
      log_id: f.record.log_id,
      timestamp: f.record.timestamp,
      context_version: f.context_version,
    })),
  };
}

/** Attempts and failures of a rule's pattern with the rule in the context and without it, since it was first published. */
export function ruleExposure(state: ContextsState, ruleId: string) {
  const since = state.ruleSince.get(ruleId);
  const withRule = { attempts: 0, failures: 0 };
  const withoutRule = { attempts: 0, failures: 0 };
  if (since === undefined) return { since_epoch: null, withRule, withoutRule };
  for (const bucket of state.buckets.values()) {
    if (bucket.epoch < since) continue;
    const contains = bucket.version !== null && (state.catalog.contexts.get(bucket.version)?.rule_ids.includes(ruleId) ?? false);
    const side = contains ? withRule : withoutRule;
    side.attempts += bucket.attempts;
    side.failures += bucket.patterns.get(ruleId) ?? 0;
  }
  return { since_epoch: since, withRule, withoutRule };
}

/** A rule's effect on its own pattern, with the counts behind it and the failures that happened despite it. */
export function ruleEffect(state: ContextsState, ruleId: string) {
  const { withRule, withoutRule } = ruleExposure(state, ruleId);
  const verdict = effectVerdict({ successes: withRule.failures, n: withRule.attempts }, { successes: withoutRule.failures, n: withoutRule.attempts });
  const side = (s: { attempts: number; failures: number }) => {
    const p = proportion(s.failures, s.attempts);
    return { attempts: s.attempts, failures: s.failures, rate: p.rate, ci95: p.ci95 };
  };
  return { with_rule: side(withRule), without_rule: side(withoutRule), ...verdict, despite: failuresDespiteRule(state, ruleId) };
}

export type ContextStatus = "current" | "candidate" | "retired" | "published";

/** A context version as the API shows it. */
export function contextView(state: ContextsState, version: string) {
  const c = state.catalog.contexts.get(version);
  if (!c) return undefined;
  return {
    version: c.version,
    sha256: c.sha256,
    text: c.text,
    rule_ids: [...c.rule_ids],
    parent_version: c.parent_version,
    source: c.source,
    note: c.note,
    published_at: c.published_at,
    status: contextStatus(state, version),
  };
}

function contextStatus(state: ContextsState, version: string): ContextStatus {
  const { catalog } = state;
  if (catalog.current === version) return "current";
  if (catalog.contexts.get(version)?.retired) return "retired";
  for (const e of catalog.experiments.values()) if (e.stopped_at === null && e.variants.some((v) => v.context_version === version)) return "candidate";
  return "published";
}

/** Newest first. */
export function contextVersions(state: ContextsState) {
  return [...state.catalog.contexts.keys()].reverse().map((v) => contextView(state, v)!);
}

const MAX_PATTERNS_SHOWN = 20;

function sessionFigures(t: SessionTally) {
  return {
    sessions: t.sessions,
    first_attempt_success: proportion(t.first_attempt_successes, t.sessions),
    resolved_sessions: t.resolved,
    mean_attempts_to_success: t.resolved ? t.attempts_to_success_sum / t.resolved : null,
  };
}

/** What happened under a context version: its sessions, the patterns seen and the effect of each of its rules. */
export function contextStats(state: ContextsState, version: string) {
  const stats = state.versions.get(version);
  const rules = state.catalog.contexts.get(version)?.rule_ids ?? [];
  return {
    ...sessionFigures(stats?.tally ?? emptyTally()),
    attempts: stats?.attempts ?? 0,
    failures: stats?.failures ?? 0,
    patterns: [...(stats?.patterns ?? [])]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, MAX_PATTERNS_SHOWN)
      .map(([pattern, count]) => ({ pattern, count })),
    rules: rules.map((id) => ({ id, effect: ruleEffect(state, id) })),
  };
}

/** An experiment's variants with their figures, the decision, and the same per ai_model when variants share models. */
export function experimentReport(state: ContextsState, id: string) {
  const experiment = state.catalog.experiments.get(id);
  if (!experiment) return undefined;
  const stats = state.experiments.get(id);
  const arms = (tallies: Map<string, SessionTally> | undefined) =>
    experiment.variants.map((v) => {
      const t = tallies?.get(v.name) ?? emptyTally();
      return { name: v.name, successes: t.first_attempt_successes, n: t.sessions, tally: t };
    });
  const overall = arms(stats?.byVariant);
  const best = chanceBest(overall);
  const decision: Decision = decide(overall, experiment.min_sessions_per_variant);
  const sharesModels = experiment.variants.every((v) => v.ai_model === null);
  return {
    id: experiment.id,
    source: experiment.source,
    status: experiment.stopped_at === null ? ("running" as const) : ("stopped" as const),
    started_at: experiment.started_at,
    stopped_at: experiment.stopped_at,
    stop_reason: experiment.stop_reason,
    min_sessions_per_variant: experiment.min_sessions_per_variant,
    variants: experiment.variants.map((v, i) => ({ ...v, ...sessionFigures(overall[i].tally), probability_best: best[i] })),
    decision,
    by_ai_model: sharesModels
      ? [...(stats?.byModel ?? [])]
          .sort((a, b) => String(a[0]).localeCompare(String(b[0])))
          .map(([model, tallies]) => {
            const strata = arms(tallies);
            return {
              ai_model: model,
              variants: strata.map((a) => ({ name: a.name, ...sessionFigures(a.tally) })),
              decision: decide(strata, experiment.min_sessions_per_variant),
            };
          })
      : null,
  };
}

/** Every experiment, newest first, with its status and decision. */
export function experimentList(state: ContextsState) {
  return [...state.catalog.experiments.keys()].reverse().map((id) => {
    const r = experimentReport(state, id)!;
    return { id: r.id, source: r.source, status: r.status, started_at: r.started_at, stopped_at: r.stopped_at, variants: r.variants.map((v) => v.name), decision: r.decision };
  });
}

/** The running experiment that hands out contexts: the latest started one whose variants name a context. */
export function contextExperiment(state: ContextsState): Experiment | undefined {
  let found: Experiment | undefined;
  for (const e of state.catalog.experiments.values()) if (e.stopped_at === null && e.variants.some((v) => v.context_version !== null)) found = e;
  return found;
}

/** What a generator should use for a session: an experiment's arm for it, or (no session, no experiment) the current context. */
export function generationFor(state: ContextsState, sessionId: string | null, experimentId?: string) {
  const experiment =
    sessionId === null ? undefined : experimentId === undefined ? contextExperiment(state) : state.catalog.experiments.get(experimentId);
  if (experiment && sessionId !== null) {
    const variant = assignVariant(experiment.id, sessionId, experiment.variants);
    const text = variant.context_version === null ? null : state.catalog.contexts.get(variant.context_version)!.text;
    return {
      experiment: experiment.id,
      variant: variant.name,
      context: variant.context_version === null ? null : { version: variant.context_version, text: text! },
      prompt_version: variant.prompt_version,
      ai_model: variant.ai_model,
    };
  }
  const current = state.catalog.current;
  return {
    experiment: null,
    variant: null,
    context: current === null ? null : { version: current, text: state.catalog.contexts.get(current)!.text },
    prompt_version: null,
    ai_model: null,
  };
}
