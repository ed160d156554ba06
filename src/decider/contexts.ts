// The write side of the learning loop, as a pure decider: decide(command, catalog) → events and
// evolve(catalog, event) → catalog. The catalog holds what the commands must check — which context versions
// exist, which is current, which experiments run — and nothing measured: rates and decisions are computed by
// the read model (src/projections/contexts.ts), and the service turns a decision into a StopExperiment command.
import { ScriptlogError } from "../errors.js";
import type { ContextSource, EnvelopeOf, EventDraft, ExperimentVariant } from "../events/types.js";

export interface PublishedContext {
  version: string;
  sha256: string;
  text: string;
  rule_ids: readonly string[];
  parent_version: string | null;
  source: ContextSource;
  note: string | null;
  published_at: string;
  /** How many contexts had been published before it, itself included (1 for ctx-1). */
  ordinal: number;
  retired: boolean;
}

export interface Experiment {
  id: string;
  variants: ExperimentVariant[];
  min_sessions_per_variant: number;
  source: "manual" | "auto";
  started_at: string;
  stopped_at: string | null;
  stop_reason: "manual" | "winner" | "no_difference" | null;
  winner: string | null;
}

export interface ContextCatalog {
  contexts: Map<string, PublishedContext>;
  /** sha256 of the text → version. */
  bySha: Map<string, string>;
  /** The version handed out when no experiment says otherwise. */
  current: string | null;
  experiments: Map<string, Experiment>;
  /** When automatic updates last published a candidate, to keep them to one per interval. */
  lastAutoPublishedAt: string | null;
}

export const emptyCatalog = (): ContextCatalog => ({
  contexts: new Map(),
  bySha: new Map(),
  current: null,
  experiments: new Map(),
  lastAutoPublishedAt: null,
});

interface ContextText {
  text: string;
  sha256: string;
  rule_ids: string[];
  note: string | null;
}

export type ContextCommand =
  | ({ type: "PublishContext"; source: "manual" | "generated"; make_current: boolean } & ContextText)
  /** Automatic updates: publish a candidate and start an experiment of the current context against it. */
  | ({ type: "ProposeContext"; min_sessions_per_variant: number } & ContextText)
  | { type: "StartExperiment"; experiment_id: string; variants: ExperimentVariant[]; min_sessions_per_variant: number }
  | {
      type: "StopExperiment";
      experiment_id: string;
      reason: "manual" | "winner" | "no_difference";
      winner: string | null;
      /** Make the winner's context current. */
      promote_winner: boolean;
      /** Retire the other variants' contexts (the current one is never retired). */
      retire_losers: boolean;
    }
  | { type: "PromoteContext"; version: string };

/** Experiments automatic updates start are named after their candidate; users may not take such names. */
export const AUTO_EXPERIMENT_PREFIX = "auto-";

export function decide(command: ContextCommand, catalog: ContextCatalog): EventDraft[] {
  switch (command.type) {
    case "PublishContext": {
      if (catalog.bySha.has(command.sha256)) return []; // the same text keeps its version
      return [{ type: "ContextPublished", data: published(command, catalog, command.source, command.make_current) }];
    }
    case "ProposeContext": {
      if (catalog.bySha.has(command.sha256)) return [];
      const candidate = published(command, catalog, "auto", false);
      const variants: ExperimentVariant[] = [
        { name: "current", context_version: catalog.current, prompt_version: null, ai_model: null, weight: 1 },
        { name: "candidate", context_version: candidate.version, prompt_version: null, ai_model: null, weight: 1 },
      ];
      const experiment_id = AUTO_EXPERIMENT_PREFIX + candidate.version;
      if (catalog.experiments.has(experiment_id)) throw experimentExists(experiment_id);
      return [
        { type: "ContextPublished", data: candidate },
        {
          type: "ExperimentStarted",
          data: { experiment_id, variants, min_sessions_per_variant: command.min_sessions_per_variant, source: "auto" },
        },
      ];
    }
    case "StartExperiment": {
      const { experiment_id, variants } = command;
      if (experiment_id.startsWith(AUTO_EXPERIMENT_PREFIX)) {
        throw invalid(`experiment ids starting with '${AUTO_EXPERIMENT_PREFIX}' are kept for automatic updates`, "/id");
      }
      if (catalog.experiments.has(experiment_id)) throw experimentExists(experiment_id);
      const names = new Set<string>();
      variants.forEach((v, i) => {
        if (names.has(v.name)) throw invalid(`variant name '${v.name}' is used twice`, `/variants/${i}/name`);
        names.add(v.name);
        if (v.context_version !== null) knownContext(catalog, v.context_version);
      });
      return [
        {
          type: "ExperimentStarted",
          data: { experiment_id, variants, min_sessions_per_variant: command.min_sessions_per_variant, source: "manual" },
        },
      ];
    }
    case "StopExperiment": {
      const experiment = runningExperiment(catalog, command.experiment_id);
      const winner = command.winner === null ? null : experiment.variants.find((v) => v.name === command.winner);
      if (winner === undefined) throw invalid(`experiment '${experiment.id}' has no variant '${command.winner}'`, "/winner");
      const events: EventDraft[] = [
        { type: "ExperimentStopped", data: { experiment_id: experiment.id, reason: command.reason, winner: command.winner } },
      ];
      const promoted = command.promote_winner && winner?.context_version ? winner.context_version : null;
      if (promoted !== null && promoted !== catalog.current) {
        events.push({ type: "ContextPromoted", data: { version: promoted, experiment_id: experiment.id } });
      }
      const current = promoted ?? catalog.current;
      if (command.retire_losers) {
        const losers = new Set(experiment.variants.map((v) => v.context_version).filter((v): v is string => v !== null && v !== current));
        for (const version of losers) {
          if (!catalog.contexts.get(version)?.retired)
            events.push({ type: "ContextRetired", data: { version, experiment_id: experiment.id } });
        }
      }
      return events;
    }
    case "PromoteContext": {
      const context = knownContext(catalog, command.version);
      if (catalog.current === context.version && !context.retired) return [];
      return [{ type: "ContextPromoted", data: { version: context.version, experiment_id: null } }];
    }
  }
}

function published(text: ContextText, catalog: ContextCatalog, source: ContextSource, current: boolean) {
  return {
    version: `ctx-${catalog.contexts.size + 1}`,
    sha256: text.sha256,
    text: text.text,
    rule_ids: text.rule_ids,
    parent_version: catalog.current,
    source,
    note: text.note,
    current,
  };
}

export type CatalogEvent = EnvelopeOf<
  "ContextPublished" | "ExperimentStarted" | "ExperimentStopped" | "ContextPromoted" | "ContextRetired"
>;

export const CATALOG_EVENT_TYPES = new Set<string>([
  "ContextPublished",
  "ExperimentStarted",
  "ExperimentStopped",
  "ContextPromoted",
  "ContextRetired",
]);

/** Folds one event into the catalog (in place: it is owned by whoever evolves it). */
export function evolve(catalog: ContextCatalog, event: CatalogEvent): ContextCatalog {
  switch (event.type) {
    case "ContextPublished": {
      const d = event.data;
      catalog.contexts.set(d.version, {
        version: d.version,
        sha256: d.sha256,
        text: d.text,
        rule_ids: d.rule_ids,
        parent_version: d.parent_version,
        source: d.source,
        note: d.note,
        published_at: event.recorded_at,
        ordinal: catalog.contexts.size + 1,
        retired: false,
      });
      catalog.bySha.set(d.sha256, d.version);
      if (d.current) catalog.current = d.version;
      if (d.source === "auto") catalog.lastAutoPublishedAt = event.recorded_at;
      return catalog;
    }
    case "ExperimentStarted": {
      const d = event.data;
      catalog.experiments.set(d.experiment_id, {
        id: d.experiment_id,
        variants: d.variants,
        min_sessions_per_variant: d.min_sessions_per_variant,
        source: d.source,
        started_at: event.recorded_at,
        stopped_at: null,
        stop_reason: null,
        winner: null,
      });
      return catalog;
    }
    case "ExperimentStopped": {
      const experiment = catalog.experiments.get(event.data.experiment_id);
      if (experiment) {
        experiment.stopped_at = event.recorded_at;
        experiment.stop_reason = event.data.reason;
        experiment.winner = event.data.winner;
      }
      return catalog;
    }
    case "ContextPromoted": {
      const context = catalog.contexts.get(event.data.version);
      if (context) context.retired = false;
      catalog.current = event.data.version;
      return catalog;
    }
    case "ContextRetired": {
      const context = catalog.contexts.get(event.data.version);
      if (context) context.retired = true;
      return catalog;
    }
  }
}

/** What an attempt says it was generated with must name what exists: a version, an experiment, one of its variants. */
export function checkGeneration(
  catalog: ContextCatalog,
  attempt: { context_version?: string; experiment?: string; variant?: string },
): void {
  if (attempt.context_version !== undefined) knownContext(catalog, attempt.context_version);
  if (attempt.variant !== undefined && attempt.experiment === undefined) {
    throw invalid("a variant needs the experiment it belongs to", "/variant");
  }
  if (attempt.experiment === undefined) return;
  const experiment = catalog.experiments.get(attempt.experiment);
  if (!experiment) {
    throw new ScriptlogError("unknown_experiment", `no experiment '${attempt.experiment}'`, { experiment: attempt.experiment });
  }
  if (attempt.variant !== undefined && !experiment.variants.some((v) => v.name === attempt.variant)) {
    throw new ScriptlogError("unknown_experiment", `experiment '${experiment.id}' has no variant '${attempt.variant}'`, {
      experiment: experiment.id,
      variant: attempt.variant,
      variants: experiment.variants.map((v) => v.name),
    });
  }
}

export function knownContext(catalog: ContextCatalog, version: string): PublishedContext {
  const context = catalog.contexts.get(version);
  if (!context) {
    throw new ScriptlogError("unknown_context_version", `no published context '${version}'`, { context_version: version });
  }
  return context;
}

export function knownExperiment(catalog: ContextCatalog, id: string): Experiment {
  const experiment = catalog.experiments.get(id);
  if (!experiment) throw new ScriptlogError("not_found", `no experiment '${id}'`, { experiment_id: id });
  return experiment;
}

function runningExperiment(catalog: ContextCatalog, id: string): Experiment {
  const experiment = knownExperiment(catalog, id);
  if (experiment.stopped_at !== null) {
    throw new ScriptlogError("experiment_stopped", `experiment '${id}' was already stopped`, {
      experiment_id: id,
      stopped_at: experiment.stopped_at,
    });
  }
  return experiment;
}

function experimentExists(id: string): ScriptlogError {
  return new ScriptlogError("experiment_exists", `an experiment '${id}' already exists`, { experiment_id: id });
}

function invalid(message: string, path: string): ScriptlogError {
  return new ScriptlogError("validation_failed", message, { problems: [{ path, message }] });
}
