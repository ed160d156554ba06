// AUTO_CONTEXT: after each recorded attempt, (1) an automatic experiment that has reached its decision is
// stopped — a winning candidate becomes current (ContextPromoted), a losing or no better one is retired
// (ContextRetired); (2) with none running, and no candidate within the interval, the generated context is
// proposed when it differs materially from the current one: a new verified rule seen in enough sessions, or a
// rule of the current context shown to have no effect. The check runs before the attempt's answer, so a client
// that waits for its answers sees the loop advance at the same attempt on every run.
import type { ContextCommands } from "./contexts.js";
import { ruleEffect } from "../projections/contexts.js";

export class AutoContext {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(
    private readonly commands: ContextCommands,
    private readonly onError: (err: unknown) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** One check after the attempts recorded so far; callers arriving meanwhile share the next one. Never rejects. */
  afterAttempt(): Promise<void> {
    if (this.queued) return this.queued;
    const run: Promise<void> = (this.running ?? Promise.resolve()).then(async () => {
      this.queued = null;
      this.running = run;
      try {
        await this.check();
      } catch (err) {
        this.onError(err);
      } finally {
        if (this.running === run) this.running = null;
      }
    });
    this.queued = run;
    return run;
  }

  private async check(): Promise<void> {
    const { catalog } = this.commands.state;
    const autoRunning = () => [...catalog.experiments.values()].filter((e) => e.source === "auto" && e.stopped_at === null);
    for (const experiment of autoRunning()) {
      if (this.commands.decision(experiment.id).status === "collecting") continue;
      await this.commands.stopExperiment(experiment.id, { promoteWinner: true, retireLosers: true, onlyIfDecided: true });
    }
    if (autoRunning().length > 0) return;
    const { autoIntervalMinutes } = this.commands.settings;
    const last = catalog.lastAutoPublishedAt;
    if (last !== null && this.now().getTime() - Date.parse(last) < autoIntervalMinutes * 60_000) return;
    const generated = this.commands.generated();
    const reason = this.materialChange(generated.rules);
    if (reason !== null) await this.commands.propose(generated.text, generated.rule_ids, reason);
  }

  /** Why the generated context should be tried against the current one, or null when it need not be. */
  private materialChange(rules: ReturnType<ContextCommands["generated"]>["rules"]): string | null {
    const state = this.commands.state;
    const current = state.catalog.current === null ? undefined : state.catalog.contexts.get(state.catalog.current);
    const inCurrent = new Set(current?.rule_ids ?? []);
    const minSessions = this.commands.settings.autoMinEvidenceSessions;
    // A candidate with the very rules of one that already lost is not tried again (its wording and counts may differ).
    const ruleSet = (ids: readonly string[]) => [...ids].sort().join("\n");
    const proposed = ruleSet(rules.map((r) => r.id));
    for (const c of state.catalog.contexts.values()) if (c.retired && c.source === "auto" && ruleSet(c.rule_ids) === proposed) return null;
    const fresh = rules.filter((r) => r.kind === "verified_fix" && !inCurrent.has(r.id) && r.evidence.sessions >= minSessions);
    if (fresh.length > 0) return `new verified rules: ${fresh.map((r) => r.id).join("; ")}`;
    const useless = [...inCurrent].filter((id) => ruleEffect(state, id).verdict === "no_effect");
    if (useless.length > 0) return `rules without effect: ${useless.join("; ")}`;
    return null;
  }
}
