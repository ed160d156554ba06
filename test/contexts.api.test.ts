// Context versions and experiments through the REST API of a real server: publish, tag attempts, read the
// figures back, and get the same figures after a restart that replays the whole log.
import { expect } from "chai";
import { rmSync } from "node:fs";
import path from "node:path";
import type { RunningServer } from "../src/cli/serve.js";
import { assignVariant } from "../src/analysis/assignment.js";
import { MAKEDIR_RULE, makedirFailure as failure, makedirFix as fix } from "./helpers/makedir.js";
import { get, logBytes, post, removeTempDirs, startInProcess, tempDir } from "./helpers/server.js";

// These tests name their attempts.
const makedirFailure = (log_id: string, session_id: string, extra: object = {}) => failure(session_id, { log_id, ...extra });
const makedirFix = (log_id: string, session_id: string, extra: object = {}) => fix(session_id, { log_id, ...extra });
const RULE = MAKEDIR_RULE;

describe("context versions and experiments (REST API, real server)", () => {
  let server: RunningServer;
  let url: string;
  let events: string;

  beforeEach(async () => {
    events = path.join(tempDir(), "events");
    server = await startInProcess(events);
    url = server.url;
  });
  afterEach(async () => {
    await server.stop();
    removeTempDirs();
  });

  /** Two failure → fix sessions, so the makedir rule is a verified fix. */
  async function learnTheMakedirRule() {
    for (const s of ["s1", "s2"]) {
      expect((await post(`${url}/api/logs/attempts`, makedirFailure(`${s}-f`, s))).status).to.equal(201);
      expect((await post(`${url}/api/logs/attempts`, makedirFix(`${s}-ok`, s))).status).to.equal(201);
    }
  }

  it("publishes the generated context as ctx-1 with the rules it contains; the same text again keeps its version", async () => {
    await learnTheMakedirRule();
    const first = await post(`${url}/api/contexts`, { note: "first" });
    expect(first.status).to.equal(201);
    expect(first.body.created).to.equal(true);
    const context = first.body.context;
    expect(context).to.include({ version: "ctx-1", source: "generated", parent_version: null, note: "first", status: "current" });
    expect(context.rule_ids).to.deep.equal([RULE]);
    expect(context.text).to.contain("os.makedirs");
    expect(context.sha256).to.match(/^[0-9a-f]{64}$/);
    expect(Date.parse(context.published_at)).to.be.a("number").and.not.NaN;

    const again = await post(`${url}/api/contexts`, {});
    expect(again.status).to.equal(200);
    expect(again.body).to.include({ created: false });
    expect(again.body.context.version).to.equal("ctx-1");

    const manual = await post(`${url}/api/contexts`, { text: "Write small scripts.", make_current: false });
    expect(manual.status).to.equal(201);
    expect(manual.body.context).to.include({ version: "ctx-2", source: "manual", parent_version: "ctx-1", status: "published" });
    expect(manual.body.context.rule_ids).to.deep.equal([]);

    const list = await get(`${url}/api/contexts`);
    expect(list.body.current).to.equal("ctx-1");
    expect(list.body.contexts.map((c: { version: string }) => c.version)).to.deep.equal(["ctx-2", "ctx-1"]);

    const promoted = await post(`${url}/api/contexts/ctx-2/promote`, {});
    expect(promoted.status).to.equal(200);
    expect(promoted.body.context.status).to.equal("current");
    expect((await get(`${url}/api/contexts/current`)).body.context).to.deep.equal({ version: "ctx-2", text: "Write small scripts." });
  });

  it("refuses an attempt naming an unknown context version with 422 and leaves the log unchanged", async () => {
    await post(`${url}/api/contexts`, { text: "rules" });
    const before = logBytes(events);
    const res = await post(`${url}/api/logs/attempts`, makedirFailure("x1", "sx", { context_version: "ctx-7" }));
    expect(res.status).to.equal(422);
    expect(res.body.error.code).to.equal("unknown_context_version");
    const noExperiment = await post(`${url}/api/logs/attempts`, makedirFailure("x2", "sx", { experiment: "nope" }));
    expect(noExperiment.status).to.equal(422);
    expect(noExperiment.body.error.code).to.equal("unknown_experiment");
    expect(logBytes(events)).to.equal(before);
  });

  it("counts sessions per context version: first-attempt success with its Wilson interval, attempts to success, patterns; after a restart the same", async () => {
    await learnTheMakedirRule();
    await post(`${url}/api/contexts`, {});
    // 3 sessions with ctx-1: two right the first time, one that failed once and then succeeded
    await post(`${url}/api/logs/attempts`, makedirFix("a-ok", "a", { context_version: "ctx-1", prompt_version: "p2" }));
    await post(`${url}/api/logs/attempts`, makedirFix("b-ok", "b", { context_version: "ctx-1" }));
    await post(`${url}/api/logs/attempts`, makedirFailure("c-f", "c", { context_version: "ctx-1" }));
    await post(`${url}/api/logs/attempts`, makedirFix("c-ok", "c", { context_version: "ctx-1" }));

    const read = async () => (await get(`${url}/api/contexts/ctx-1`)).body;
    const { context, stats } = await read();
    expect(context.version).to.equal("ctx-1");
    expect(stats.sessions).to.equal(3);
    expect(stats.first_attempt_success).to.include({ successes: 2, n: 3 });
    expect(stats.first_attempt_success.rate).to.be.closeTo(2 / 3, 1e-12);
    // Wilson 95% for 2 of 3
    expect(stats.first_attempt_success.ci95[0]).to.be.closeTo(0.2077, 1e-3);
    expect(stats.first_attempt_success.ci95[1]).to.be.closeTo(0.9385, 1e-3);
    expect(stats.mean_attempts_to_success).to.be.closeTo(4 / 3, 1e-12);
    expect(stats.patterns).to.deep.equal([{ pattern: RULE, count: 1 }]);
    const rule = stats.rules.find((r: { id: string }) => r.id === RULE);
    expect(rule.effect.despite.failures, "the makedir failure happened despite the rule").to.equal(1);
    expect(rule.effect.verdict).to.equal("insufficient_data");

    const entry = (await get(`${url}/api/logs/log/a-ok`)).body.log;
    expect(entry).to.include({ context_version: "ctx-1", prompt_version: "p2", experiment: null, variant: null });
    const session = (await get(`${url}/api/logs/session/c`)).body.session;
    expect(session).to.include({ context_version: "ctx-1" });

    const before = await read();
    await server.stop();
    rmSync(path.join(events, "..", "projections"), { recursive: true, force: true }); // replay everything
    server = await startInProcess(events);
    url = server.url;
    expect(await read()).to.deep.equal(before);
  });

  it("runs an experiment: sticky assignment, per-variant figures, a decision only with enough sessions, and a stop", async () => {
    await post(`${url}/api/contexts`, { text: "A" });
    await post(`${url}/api/contexts`, { text: "B", make_current: false });
    const created = await post(`${url}/api/experiments`, {
      id: "ab",
      variants: [
        { name: "a", context_version: "ctx-1" },
        { name: "b", context_version: "ctx-2", weight: 1 },
      ],
      min_sessions_per_variant: 3,
    });
    expect(created.status).to.equal(201);
    expect(created.body.experiment.decision.status).to.equal("collecting");
    expect((await post(`${url}/api/experiments`, { id: "ab", variants: [{ name: "a" }, { name: "b" }] })).status).to.equal(409);

    const arms = [
      { name: "a", weight: 1 },
      { name: "b", weight: 1 },
    ];
    const sessions = Array.from({ length: 16 }, (_, i) => `sess-${i}`);
    for (const s of sessions) {
      const assignment = (await get(`${url}/api/experiments/ab/assignment?session_id=${s}`)).body;
      expect(assignment.variant).to.equal(assignVariant("ab", s, arms).name);
      expect(assignment.context.version).to.equal(assignment.variant === "a" ? "ctx-1" : "ctx-2");
      // b's scripts succeed at once; a's fail first
      const tag = { context_version: assignment.context.version, experiment: "ab" };
      if (assignment.variant === "a") await post(`${url}/api/logs/attempts`, makedirFailure(`${s}-f`, s, tag));
      await post(`${url}/api/logs/attempts`, makedirFix(`${s}-ok`, s, tag));
    }
    const current = (await get(`${url}/api/contexts/current?session_id=${sessions[0]}`)).body;
    expect(current.experiment).to.equal("ab");
    expect(current.variant).to.equal(assignVariant("ab", sessions[0], arms).name);

    const report = (await get(`${url}/api/experiments/ab`)).body.experiment;
    const nA = sessions.filter((s) => assignVariant("ab", s, arms).name === "a").length;
    const [a, b] = report.variants;
    expect(a).to.include({ name: "a", sessions: nA });
    expect(a.first_attempt_success).to.include({ successes: 0, n: nA });
    expect(b.first_attempt_success).to.include({ successes: 16 - nA, n: 16 - nA });
    expect(a.mean_attempts_to_success).to.equal(2);
    expect(b.probability_best).to.be.above(0.99);
    expect(report.decision).to.include({ status: "winner", winner: "b", test: "fisher" });
    expect(report.decision.p_value).to.be.below(0.01);
    expect(report.by_ai_model).to.have.length(1);

    const stopped = await post(`${url}/api/experiments/ab/stop`, { promote_winner: true });
    expect(stopped.status).to.equal(200);
    expect(stopped.body.experiment).to.include({ status: "stopped", stop_reason: "manual" });
    expect((await get(`${url}/api/contexts`)).body.current).to.equal("ctx-2");
    expect((await post(`${url}/api/experiments/ab/stop`, {})).body.error.code).to.equal("experiment_stopped");
    expect((await get(`${url}/api/experiments`)).body.experiments[0]).to.include({ id: "ab", status: "stopped" });
    expect((await get(`${url}/api/experiments/none`)).status).to.equal(404);
  });
});
