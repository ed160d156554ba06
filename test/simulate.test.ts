// `scriptlog simulate` end to end: the whole loop against real servers — its own (AUTO_CONTEXT on) through the
// CLI, and one without AUTO_CONTEXT where simulate plays the loop's part through the API.
import { expect } from "chai";
import path from "node:path";
import type { RunningServer } from "../src/cli/serve.js";
import { simulate, type SimulationReport } from "../src/cli/simulate.js";
import { MISTAKES } from "../src/cli/simulateMistakes.js";
import { runPython } from "./helpers/python.js";
import { get, removeTempDirs, runCli, startInProcess, tempDir } from "./helpers/server.js";

const lastLine = (text: string) => text.trimEnd().split("\n").pop();

describe("scriptlog simulate", () => {
  after(removeTempDirs);

  it("records real CPython tracebacks: each mistake's script fails with the recorded exception, its fix runs", () => {
    for (const m of MISTAKES) {
      const wrong = runPython(m.wrong) as { status: string; stderr?: string };
      expect(wrong.status, m.name).to.equal("failed");
      expect(lastLine(wrong.stderr!), m.name).to.equal(lastLine(m.stderr));
      expect(runPython(m.right).status, m.name).to.equal("success");
    }
  });

  it("runs the loop on its own server: empty-context sessions teach rules, a candidate wins its experiment and is promoted", async function () {
    this.timeout(120_000);
    const run = await runCli(["simulate", "--sessions", "150", "--seed", "5", "--json"]);
    expect(run.code, run.stderr).to.equal(0);
    const report: SimulationReport = JSON.parse(run.stdout);
    expect(report).to.include({ own_server: true, auto_context: true, sessions: 150 });

    const [first, ...later] = report.versions;
    expect(first).to.include({ version: "ctx-1", source: "generated", rules: 0 });
    const auto = report.experiments.find((e) => e.id === "auto-ctx-2")!;
    expect(auto, "the first candidate was experimented on").to.exist;
    expect(auto.status).to.equal("stopped");
    expect(auto.decision).to.include({ status: "winner", winner: "candidate" });
    expect(auto.decision.p_value).to.be.below(0.05);
    expect(auto.variants.map((v: { sessions: number }) => v.sessions).every((n: number) => n >= 30)).to.equal(true);

    const promoted = later.find((v) => v.version === "ctx-2")!;
    expect(promoted).to.include({ source: "auto" });
    expect(promoted.rules).to.be.above(0);
    expect(report.current).to.not.equal("ctx-1");
    // first-attempt success rises from the empty context to the promoted one, beyond the intervals
    expect(promoted.first_attempt_success.ci95![0]).to.be.above(first.first_attempt_success.ci95![1]);
    expect(report.versions.reduce((n, v) => n + v.sessions, 0)).to.equal(150);
    // the rules of the current context were measured: with the rule in the context, its mistake was rarer
    expect(report.rules.length).to.be.above(0);
    const makedir = report.rules.find((r) => r.id.includes("makedir"))!;
    expect(makedir.verdict).to.equal("helps");
    expect(makedir.with_rule.rate).to.be.below(makedir.without_rule.rate);
  });

  it("is deterministic: the same seed gives the same figures", async function () {
    this.timeout(120_000);
    const figures = (r: SimulationReport) => ({
      ...r,
      server: null,
      experiments: r.experiments.map((e) => ({ ...e, started_at: 0, stopped_at: 0 })),
    });
    const one = await simulate({ sessions: 60, seed: 2 });
    const two = await simulate({ sessions: 60, seed: 2 });
    expect(one.experiments.length, "the run reached an experiment").to.be.above(0);
    expect(figures(one)).to.deep.equal(figures(two));
  });

  it("against a server without AUTO_CONTEXT, proposes the candidate itself and promotes the winner through the API", async function () {
    this.timeout(120_000);
    let server: RunningServer | null = null;
    try {
      server = await startInProcess(path.join(tempDir(), "events"));
      const result = await simulate({ sessions: 120, seed: 3, server: server.url });
      expect(result).to.include({ own_server: false, auto_context: false });
      expect(result.experiments).to.have.length(1);
      const [experiment] = result.experiments;
      expect(experiment.id).to.match(/^sim3-.*-candidate$/);
      expect(experiment.status).to.equal("stopped");
      expect(experiment.decision.winner).to.equal("candidate");
      const contexts = (await get(`${server.url}/api/contexts`)).body;
      expect(contexts.current).to.equal(experiment.variants[1].context_version);
    } finally {
      await server?.stop();
    }
  });
});
