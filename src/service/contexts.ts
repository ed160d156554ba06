// Commands of the learning loop: publish a context version, start and stop experiments, promote a version.
// Each is decided by the pure decider against the catalog as projected, appended, and answered once projected;
// they run one at a time, so every decision sees the one before it. AutoContext (below) issues the same commands
// when AUTO_CONTEXT is on.
import { hash } from "node:crypto";
import { aiContext } from "../analysis/recommendations.js";
import { decide as decideExperiment } from "../analysis/experiments.js";
import type { LoopSettings } from "../config.js";
import { decide, knownExperiment, type ContextCommand } from "../decider/contexts.js";
import { ScriptlogError } from "../errors.js";
import type { EventDraft, ExperimentVariant, StoredEvent } from "../events/types.js";
import { contextView, emptyTally, generationFor, type ContextsState } from "../projections/contexts.js";
import type { ReadModels } from "../projections/readModels.js";
import { promptRules, rulePool, type PooledRule } from "../projections/rulePool.js";
import type { EventStore } from "../store/eventStore.js";
import { retryOnAppendConflict } from "./appendConflicts.js";

/** What the loop needs of the service: its read models, a way to append decided events, and to catch up after a conflict. */
export interface LoopHost {
  readonly models: ReadModels;
  readonly ready: boolean;
  readonly log: Pick<EventStore, "catchUp" | "chainHead">;
  appendDecided(drafts: EventDraft[]): Promise<StoredEvent[]>;
  untilProjected(seq: number): Promise<unknown>;
  /** Resolves once the read models hold every write acknowledged so far (they follow the log a moment later). */
  untilCaughtUp(): Promise<unknown>;
}

export interface PublishBody {
  text?: string;
  max_rules?: number;
  note?: string;
  make_current?: boolean;
}

export interface ExperimentBody {
  id: string;
  variants: Array<{ name: string; context_version?: string; prompt_version?: string; ai_model?: string; weight?: number }>;
  min_sessions_per_variant?: number;
}

/** Characters a generated context may take (the default of GET /api/logs/ai-context). */
const GENERATED_MAX_CHARS = 4000;

export class ContextCommands {
  /** The last command issued: the next waits for it. */
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly host: LoopHost,
    readonly settings: LoopSettings,
  ) {}

  get state(): ContextsState {
    return this.host.models.states.contexts;
  }

  /** The rule pool, each rule with its effect. */
  pool(): PooledRule[] {
    return rulePool(this.host.models.states, this.settings.rulePoolSize);
  }

  /** The context the service would publish now: the pool's rules as markdown, and which rules made it. */
  generated(maxRules = this.settings.contextMaxRules): { text: string; rule_ids: string[]; rules: PooledRule[] } {
    const { context, rules } = aiContext(promptRules(this.pool()), maxRules, GENERATED_MAX_CHARS);
    return { text: context, rule_ids: rules.map((r) => r.id), rules: rules as PooledRule[] };
  }

  /** Publishes a version (the generated context without `text`); `created` is false when the text already had one. */
  publish(body: PublishBody, recordedBy?: string): Promise<{ version: string; created: boolean }> {
    return this.serially(async () => {
      const manual = body.text !== undefined;
      const { text, rule_ids } = manual ? { text: body.text!, rule_ids: this.rulesIn(body.text!) } : this.generated(body.max_rules);
      const sha256 = sha(text);
      const command: ContextCommand = {
        type: "PublishContext",
        source: manual ? "manual" : "generated",
        make_current: body.make_current ?? true,
        text,
        sha256,
        rule_ids,
        note: body.note ?? null,
      };
      const events = await this.run(command, recordedBy);
      return { version: this.state.catalog.bySha.get(sha256)!, created: events.length > 0 };
    });
  }

  /** Publishes a candidate and starts current-vs-candidate; null when the text already had a version. */
  propose(text: string, rule_ids: string[], note: string): Promise<string | null> {
    return this.serially(async () => {
      const command: ContextCommand = {
        type: "ProposeContext",
        text,
        sha256: sha(text),
        rule_ids,
        note,
        min_sessions_per_variant: this.settings.experimentMinSessions,
      };
      const events = await this.run(command);
      return events.length ? (events[0].envelope.data as { version: string }).version : null;
    });
  }

  startExperiment(body: ExperimentBody, recordedBy?: string): Promise<void> {
    return this.serially(async () => {
      const variants: ExperimentVariant[] = body.variants.map((v) => ({
        name: v.name,
        context_version: v.context_version ?? null,
        prompt_version: v.prompt_version ?? null,
        ai_model: v.ai_model ?? null,
        weight: v.weight ?? 1,
      }));
      const min = body.min_sessions_per_variant ?? this.settings.experimentMinSessions;
      await this.run({ type: "StartExperiment", experiment_id: body.id, variants, min_sessions_per_variant: min }, recordedBy);
    });
  }

  /**
   * Stops an experiment with its decision as it stands. `promoteWinner` makes a declared winner's context
   * current; automatic updates also retire the contexts that lost.
   */
  stopExperiment(
    id: string,
    options: { promoteWinner: boolean; retireLosers?: boolean; onlyIfDecided?: boolean; recordedBy?: string },
  ): Promise<void> {
    return this.serially(async () => {
      const decision = this.decision(id);
      if (options.onlyIfDecided && decision.status === "collecting") return;
      const reason = options.onlyIfDecided ? (decision.status as "winner" | "no_difference") : "manual";
      await this.run(
        {
          type: "StopExperiment",
          experiment_id: id,
          reason,
          winner: decision.winner,
          promote_winner: options.promoteWinner,
          retire_losers: options.retireLosers ?? false,
        },
        options.recordedBy,
      );
    });
  }

  /** Makes a version current; false when it already was. */
  promote(version: string, recordedBy?: string): Promise<boolean> {
    return this.serially(async () => (await this.run({ type: "PromoteContext", version }, recordedBy)).length > 0);
  }

  /** An experiment's decision from its counts alone (no posterior draws): cheap enough to ask after every attempt. */
  decision(id: string) {
    const experiment = knownExperiment(this.state.catalog, id);
    const tallies = this.state.experiments.get(id)?.byVariant;
    const arms = experiment.variants.map((v) => {
      const t = tallies?.get(v.name) ?? emptyTally();
      return { name: v.name, successes: t.first_attempt_successes, n: t.sessions };
    });
    return decideExperiment(arms, experiment.min_sessions_per_variant);
  }

  /** What a generator should use for a session (an experiment's arm for it, or the current context). */
  generationFor(sessionId: string | null, experimentId?: string) {
    if (experimentId !== undefined) knownExperiment(this.state.catalog, experimentId);
    return generationFor(this.state, sessionId, experimentId);
  }

  view(version: string) {
    const view = contextView(this.state, version);
    if (!view) throw new ScriptlogError("not_found", `no context version '${version}'`, { version });
    return view;
  }

  /** The pool's rules whose text a hand-written context quotes. */
  private rulesIn(text: string): string[] {
    return this.pool()
      .filter((r) => text.includes(r.rule))
      .map((r) => r.id);
  }

  /**
   * Decides against the catalog as projected, and again from the catalog caught up if another writer appended
   * first. `recordedBy`, the API token's name, goes into every event the command appends.
   */
  private run(command: ContextCommand, recordedBy?: string): Promise<StoredEvent[]> {
    return retryOnAppendConflict(
      this.host.log,
      (seq) => this.host.untilProjected(seq),
      async () => {
        if (!this.host.ready) throw new ScriptlogError("not_ready", "the log is still being replayed");
        const drafts = decide(command, this.state.catalog);
        return this.host.appendDecided(
          recordedBy === undefined ? drafts : drafts.map((d) => ({ ...d, data: { ...d.data, recorded_by: recordedBy } }) as EventDraft),
        );
      },
    );
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    // Commands decide from the read models (the rule pool, the catalog): first they must hold every attempt
    // acknowledged before the command, or the same request could publish a context without its latest evidence.
    const result = this.last.then(() => this.host.untilCaughtUp()).then(task);
    this.last = result.catch(() => undefined);
    return result;
  }
}

function sha(text: string): string {
  return hash("sha256", text, "hex");
}
