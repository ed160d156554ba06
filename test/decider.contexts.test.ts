// Given/when/then specifications of the learning loop's decider: given the events so far, when a command,
// then the events it decides (or the error it refuses with). No server, no log: decide and evolve only.
import { expect } from "chai";
import { assignVariant } from "../src/analysis/assignment.js";
import { checkGeneration, decide, emptyCatalog, evolve, type CatalogEvent, type ContextCommand } from "../src/decider/contexts.js";
import { ScriptlogError } from "../src/errors.js";
import type { EventDraft } from "../src/events/types.js";
import { dataProblems } from "../src/events/validation.js";
import { CURRENT_VERSION } from "../src/events/schemas.js";

const sha = (c: string) => c.repeat(64);

/** Folds drafts into a catalog the way the log would record them. */
function given(...drafts: EventDraft[]) {
  const catalog = emptyCatalog();
  drafts.forEach((d, i) =>
    evolve(catalog, {
      type: d.type,
      data: d.data,
      seq: i + 1,
      recorded_at: `2026-11-25T10:00:${String(i).padStart(2, "0")}.000Z`,
    } as CatalogEvent),
  );
  return {
    catalog,
    when(command: ContextCommand) {
      const run = () => decide(command, catalog);
      return {
        then(expected: EventDraft[]) {
          const events = run();
          expect(events).to.deep.equal(expected);
          // what the decider emits is what the log accepts
          for (const e of events) expect(dataProblems(e.type, CURRENT_VERSION[e.type], e.data), e.type).to.deep.equal([]);
        },
        thenRefuses(code: string) {
          expect(run).to.throw(ScriptlogError).with.property("code", code);
        },
      };
    },
  };
}

const publish = (text: string, extra: Partial<Extract<ContextCommand, { type: "PublishContext" }>> = {}): ContextCommand => ({
  type: "PublishContext",
  source: "manual",
  make_current: true,
  text,
  sha256: sha(text[0]),
  rule_ids: [],
  note: null,
  ...extra,
});

const published = (version: string, text: string, extra: Record<string, unknown> = {}): EventDraft => ({
  type: "ContextPublished",
  data: {
    version,
    sha256: sha(text[0]),
    text,
    rule_ids: [],
    parent_version: null,
    source: "manual",
    note: null,
    current: true,
    ...extra,
  } as never,
});

const variant = (name: string, context_version: string | null) => ({
  name,
  context_version,
  prompt_version: null,
  ai_model: null,
  weight: 1,
});

const started = (id: string, source: "manual" | "auto", ...variants: ReturnType<typeof variant>[]): EventDraft => ({
  type: "ExperimentStarted",
  data: { experiment_id: id, variants, min_sessions_per_variant: 10, source },
});

describe("context decider (given / when / then)", () => {
  describe("PublishContext", () => {
    it("given nothing, publishes ctx-1 as current with no parent", () => {
      given()
        .when(publish("a"))
        .then([published("ctx-1", "a")]);
    });

    it("given ctx-1 current, publishes ctx-2 with ctx-1 as its parent", () => {
      given(published("ctx-1", "a"))
        .when(publish("b", { rule_ids: ["NameError: name 'np' is not defined"], note: "weekly" }))
        .then([published("ctx-2", "b", { parent_version: "ctx-1", rule_ids: ["NameError: name 'np' is not defined"], note: "weekly" })]);
    });

    it("given the same text already published, decides nothing (the existing version is the answer)", () => {
      given(published("ctx-1", "a"))
        .when(publish("a", { note: "again" }))
        .then([]);
    });

    it("records a version that is not to become current as such", () => {
      const { catalog } = given(published("ctx-1", "a"), published("ctx-2", "b", { parent_version: "ctx-1", current: false }));
      expect(catalog.current).to.equal("ctx-1");
    });
  });

  describe("ProposeContext (automatic updates)", () => {
    it("given a current context, publishes the candidate (not current) and starts current-vs-candidate", () => {
      given(published("ctx-1", "a"))
        .when({
          type: "ProposeContext",
          text: "b",
          sha256: sha("b"),
          rule_ids: ["r1"],
          note: "new verified rules: r1",
          min_sessions_per_variant: 40,
        })
        .then([
          published("ctx-2", "b", {
            parent_version: "ctx-1",
            rule_ids: ["r1"],
            source: "auto",
            note: "new verified rules: r1",
            current: false,
          }),
          {
            type: "ExperimentStarted",
            data: {
              experiment_id: "auto-ctx-2",
              variants: [variant("current", "ctx-1"), variant("candidate", "ctx-2")],
              min_sessions_per_variant: 40,
              source: "auto",
            },
          },
        ]);
    });

    it("given no context yet, the current arm is no context at all", () => {
      const [, experiment] = decide(
        { type: "ProposeContext", text: "b", sha256: sha("b"), rule_ids: [], note: "n", min_sessions_per_variant: 5 },
        emptyCatalog(),
      );
      expect((experiment.data as { variants: unknown[] }).variants[0]).to.deep.equal(variant("current", null));
    });

    it("given a candidate with that text already (say, retired), proposes nothing", () => {
      given(published("ctx-1", "a"), published("ctx-2", "b", { source: "auto", current: false }))
        .when({ type: "ProposeContext", text: "b", sha256: sha("b"), rule_ids: [], note: "n", min_sessions_per_variant: 5 })
        .then([]);
    });
  });

  describe("StartExperiment", () => {
    const start = (id: string, ...variants: ReturnType<typeof variant>[]): ContextCommand => ({
      type: "StartExperiment",
      experiment_id: id,
      variants,
      min_sessions_per_variant: 10,
    });

    it("starts an experiment over published versions (or no context)", () => {
      given(published("ctx-1", "a"))
        .when(start("e1", variant("control", null), variant("ctx", "ctx-1")))
        .then([started("e1", "manual", variant("control", null), variant("ctx", "ctx-1"))]);
    });

    it("refuses an unknown context version", () => {
      given()
        .when(start("e1", variant("a", null), variant("b", "ctx-9")))
        .thenRefuses("unknown_context_version");
    });

    it("refuses a repeated id, repeated variant names and the automatic updates' prefix", () => {
      const g = given(published("ctx-1", "a"), started("e1", "manual", variant("a", null), variant("b", "ctx-1")));
      g.when(start("e1", variant("a", null), variant("b", null))).thenRefuses("experiment_exists");
      g.when(start("e2", variant("a", null), variant("a", "ctx-1"))).thenRefuses("validation_failed");
      g.when(start("auto-x", variant("a", null), variant("b", "ctx-1"))).thenRefuses("validation_failed");
    });
  });

  describe("StopExperiment", () => {
    const stop = (extra: Partial<Extract<ContextCommand, { type: "StopExperiment" }>>): ContextCommand => ({
      type: "StopExperiment",
      experiment_id: "auto-ctx-2",
      reason: "winner",
      winner: "candidate",
      promote_winner: true,
      retire_losers: true,
      ...extra,
    });
    const history = [
      published("ctx-1", "a"),
      published("ctx-2", "b", { source: "auto", current: false, parent_version: "ctx-1" }),
      started("auto-ctx-2", "auto", variant("current", "ctx-1"), variant("candidate", "ctx-2")),
    ];

    it("given a candidate that won, stops, promotes it and retires the context it replaced", () => {
      given(...history)
        .when(stop({}))
        .then([
          { type: "ExperimentStopped", data: { experiment_id: "auto-ctx-2", reason: "winner", winner: "candidate" } },
          { type: "ContextPromoted", data: { version: "ctx-2", experiment_id: "auto-ctx-2" } },
          { type: "ContextRetired", data: { version: "ctx-1", experiment_id: "auto-ctx-2" } },
        ]);
    });

    it("given the current context won, stops and retires the candidate; current stays", () => {
      given(...history)
        .when(stop({ winner: "current" }))
        .then([
          { type: "ExperimentStopped", data: { experiment_id: "auto-ctx-2", reason: "winner", winner: "current" } },
          { type: "ContextRetired", data: { version: "ctx-2", experiment_id: "auto-ctx-2" } },
        ]);
    });

    it("given no difference, stops and retires the candidate", () => {
      given(...history)
        .when(stop({ reason: "no_difference", winner: null }))
        .then([
          { type: "ExperimentStopped", data: { experiment_id: "auto-ctx-2", reason: "no_difference", winner: null } },
          { type: "ContextRetired", data: { version: "ctx-2", experiment_id: "auto-ctx-2" } },
        ]);
    });

    it("a manual stop without promotion changes no context", () => {
      given(...history)
        .when(stop({ reason: "manual", promote_winner: false, retire_losers: false }))
        .then([{ type: "ExperimentStopped", data: { experiment_id: "auto-ctx-2", reason: "manual", winner: "candidate" } }]);
    });

    it("refuses to stop twice, or an unknown experiment", () => {
      const g = given(...history, { type: "ExperimentStopped", data: { experiment_id: "auto-ctx-2", reason: "manual", winner: null } });
      g.when(stop({})).thenRefuses("experiment_stopped");
      g.when(stop({ experiment_id: "nope" })).thenRefuses("not_found");
    });

    it("after promotion the winner is current and the loser retired", () => {
      const { catalog } = given(
        ...history,
        { type: "ExperimentStopped", data: { experiment_id: "auto-ctx-2", reason: "winner", winner: "candidate" } },
        { type: "ContextPromoted", data: { version: "ctx-2", experiment_id: "auto-ctx-2" } },
        { type: "ContextRetired", data: { version: "ctx-1", experiment_id: "auto-ctx-2" } },
      );
      expect(catalog.current).to.equal("ctx-2");
      expect(catalog.contexts.get("ctx-1")!.retired).to.equal(true);
      expect(catalog.experiments.get("auto-ctx-2")!.stopped_at).to.be.a("string");
    });
  });

  describe("PromoteContext", () => {
    it("promotes a published version, and decides nothing for the current one", () => {
      const g = given(published("ctx-1", "a"), published("ctx-2", "b", { current: false, parent_version: "ctx-1" }));
      g.when({ type: "PromoteContext", version: "ctx-2" }).then([
        { type: "ContextPromoted", data: { version: "ctx-2", experiment_id: null } },
      ]);
      g.when({ type: "PromoteContext", version: "ctx-1" }).then([]);
      g.when({ type: "PromoteContext", version: "ctx-3" }).thenRefuses("unknown_context_version");
    });
  });

  describe("an attempt's generation fields", () => {
    const { catalog } = given(published("ctx-1", "a"), started("e1", "manual", variant("a", null), variant("b", "ctx-1")));
    const refusal = (attempt: object) => {
      try {
        checkGeneration(catalog, attempt);
        return null;
      } catch (err) {
        return (err as ScriptlogError).code;
      }
    };

    it("accepts known versions, experiments and variants", () => {
      expect(refusal({ context_version: "ctx-1", experiment: "e1", variant: "b" })).to.equal(null);
      expect(refusal({ experiment: "e1" })).to.equal(null);
    });

    it("refuses an unknown context version, experiment or variant", () => {
      expect(refusal({ context_version: "ctx-2" })).to.equal("unknown_context_version");
      expect(refusal({ experiment: "e2" })).to.equal("unknown_experiment");
      expect(refusal({ experiment: "e1", variant: "c" })).to.equal("unknown_experiment");
      expect(refusal({ variant: "a" })).to.equal("validation_failed");
    });
  });
});

describe("experiment assignment", () => {
  const variants = [
    { name: "a", weight: 1 },
    { name: "b", weight: 3 },
  ];

  it("is sticky: the same experiment and session always get the same variant", () => {
    for (let i = 0; i < 50; i++) expect(assignVariant("e1", `s${i}`, variants)).to.equal(assignVariant("e1", `s${i}`, variants));
  });

  it("follows the weights (1:3 over 4,000 sessions, within 3 standard deviations)", () => {
    let b = 0;
    for (let i = 0; i < 4000; i++) if (assignVariant("e1", `session-${i}`, variants).name === "b") b++;
    // binomial(4000, 0.75): mean 3000, sd ≈ 27.4
    expect(Math.abs(b - 3000)).to.be.below(83);
  });

  it("differs between experiments for the same sessions", () => {
    let same = 0;
    const even = [
      { name: "a", weight: 1 },
      { name: "b", weight: 1 },
    ];
    for (let i = 0; i < 1000; i++) if (assignVariant("e1", `s${i}`, even).name === assignVariant("e2", `s${i}`, even).name) same++;
    expect(same).to.be.within(430, 570);
  });
});
