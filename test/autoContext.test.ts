// AUTO_CONTEXT on a real server: given the attempts so far, when one more is recorded, then the loop's events
// (a candidate and its experiment, a promotion, a retirement) are in the log before the attempt's answer — and
// a restart from the snapshot, or a replay from scratch, gives the same contexts and experiments.
import { expect } from "chai";
import { rmSync } from "node:fs";
import path from "node:path";
import { DEFAULT_LOOP_SETTINGS, readConfig, type LoopSettings } from "../src/config.js";
import { startServer, type RunningServer } from "../src/cli/serve.js";
import { MAKEDIR_RULE, makedirFailure, makedirFix } from "./helpers/makedir.js";
import { get, post, removeTempDirs, tempDir } from "./helpers/server.js";

const RULE = MAKEDIR_RULE;

describe("automatic context updates (AUTO_CONTEXT=on, real server)", () => {
  let server: RunningServer;
  let events: string;

  const start = (loop: Partial<LoopSettings>) => {
    const config = readConfig(
      {},
      {
        eventsDir: events,
        projectionsDir: path.join(events, "..", "projections"),
        port: 0,
        loop: { ...DEFAULT_LOOP_SETTINGS, autoContext: true, autoIntervalMinutes: 0, ...loop },
      },
    );
    return startServer(config, () => undefined);
  };
  const url = () => server.url;
  const attempt = async (body: object) => expect((await post(`${url()}/api/logs/attempts`, body)).status).to.equal(201);

  beforeEach(() => {
    events = path.join(tempDir(), "events");
  });
  afterEach(async () => {
    await server?.stop();
    removeTempDirs();
  });

  it("proposes a candidate once a verified rule has enough sessions, promotes it when it wins, and replays to the same state", async function () {
    this.timeout(60_000);
    const loop = { autoMinEvidenceSessions: 2, experimentMinSessions: 5 };
    server = await start(loop);
    await post(`${url()}/api/contexts`, { note: "start" }); // ctx-1: no rules yet
    // given one failure → fix session: a verified rule, but seen in one session only
    await attempt(makedirFailure("a", { context_version: "ctx-1" }));
    await attempt(makedirFix("a", { context_version: "ctx-1" }));
    expect((await get(`${url()}/api/contexts`)).body.count).to.equal(1);
    // when a second session repeats it, then the candidate and its experiment are there before the answer
    await attempt(makedirFailure("b", { context_version: "ctx-1" }));
    await attempt(makedirFix("b", { context_version: "ctx-1" }));
    const listing = (await get(`${url()}/api/contexts`)).body;
    expect(listing.current).to.equal("ctx-1");
    const candidate = listing.contexts[0];
    expect(candidate).to.include({ version: "ctx-2", source: "auto", status: "candidate", parent_version: "ctx-1" });
    expect(candidate.rule_ids).to.deep.equal([RULE]);
    expect(candidate.note).to.contain(RULE);
    expect((await get(`${url()}/api/experiments/auto-ctx-2`)).body.experiment).to.include({ status: "running", source: "auto" });

    // sessions on the candidate get it right at once; on the current context they fail first
    for (let i = 0; i < 60 && (await get(`${url()}/api/experiments/auto-ctx-2`)).body.experiment.status === "running"; i++) {
      const s = `s${i}`;
      const arm = (await get(`${url()}/api/contexts/current?session_id=${s}`)).body;
      const tag = { context_version: arm.context.version, experiment: arm.experiment };
      if (arm.variant === "current") await attempt(makedirFailure(s, tag));
      await attempt(makedirFix(s, tag));
    }
    const report = (await get(`${url()}/api/experiments/auto-ctx-2`)).body.experiment;
    expect(report).to.include({ status: "stopped", stop_reason: "winner" });
    expect(report.decision).to.include({ status: "winner", winner: "candidate" });
    const after = (await get(`${url()}/api/contexts`)).body;
    expect(after.current).to.equal("ctx-2");
    expect(after.contexts.map((c: { version: string; status: string }) => [c.version, c.status])).to.deep.equal([
      ["ctx-2", "current"],
      ["ctx-1", "retired"],
    ]);
    // the attempts of the experiment are the evidence for the rule
    const rule = (await get(`${url()}/api/logs/recommendations`)).body.recommendations.find((r: { id: string }) => r.id === RULE);
    expect(rule.effect.with_rule.failures).to.equal(0);
    expect(rule.effect.without_rule.failures).to.be.above(0);

    const figures = async () => ({
      contexts: (await get(`${url()}/api/contexts`)).body,
      experiment: (await get(`${url()}/api/experiments/auto-ctx-2`)).body,
      stats: (await get(`${url()}/api/contexts/ctx-2`)).body,
    });
    const before = await figures();
    await server.stop();
    server = await start(loop); // from the snapshot written at shutdown
    expect(await figures()).to.deep.equal(before);
    await server.stop();
    rmSync(path.join(events, "..", "projections"), { recursive: true, force: true });
    server = await start(loop); // the whole log replayed
    expect(await figures()).to.deep.equal(before);
  });

  it("proposes a context without a rule of the current one once the rule is shown to have no effect", async function () {
    this.timeout(60_000);
    server = await start({ autoMinEvidenceSessions: 1000, experimentMinSessions: 5 });
    await attempt(makedirFailure("learn"));
    await attempt(makedirFix("learn"));
    const published = (await post(`${url()}/api/contexts`, {})).body.context;
    expect(published.rule_ids).to.deep.equal([RULE]);
    // the mistake is made as often with the rule in the context as without it: 30 of 60 either way
    for (let i = 0; i < 60; i++) {
      const failed = i % 2 === 0;
      await attempt((failed ? makedirFailure : makedirFix)(`with-${i}`, { context_version: "ctx-1" }));
      await attempt((failed ? makedirFailure : makedirFix)(`without-${i}`));
    }
    const rule = (await get(`${url()}/api/logs/recommendations`)).body.recommendations.find((r: { id: string }) => r.id === RULE);
    expect(rule.effect).to.include({ verdict: "no_effect" });
    expect(rule.effect.with_rule).to.include({ attempts: 60, failures: 30 });
    expect(rule.effect.without_rule).to.include({ attempts: 60, failures: 30 });
    expect(rule.effect.despite.failures).to.equal(30);
    const candidate = (await get(`${url()}/api/contexts`)).body.contexts[0];
    expect(candidate).to.include({ version: "ctx-2", source: "auto", status: "candidate" });
    expect(candidate.rule_ids).to.deep.equal([]);
    expect(candidate.note).to.equal(`rules without effect: ${RULE}`);
  });
});
