// Entries kept from projection are the entries derived again from the log: the recent attempts' facts and fix
// strategies are kept when they are projected (so a page of newest failures is not derived per request), and
// what is served from them must be byte for byte what deriving on demand gives.
import { expect } from "chai";
import path from "node:path";
import { replayReadModels } from "../src/service/replay.js";
import { recentFailures } from "../src/projections/failures.js";
import { ScriptlogService, type AttemptBody } from "../src/service/scriptlogService.js";
import { SEED_LOGS } from "./helpers/corpus.js";
import { removeTempDirs, runCli, tempDir } from "./helpers/server.js";
import { sessionDrafts, writeSyntheticLog } from "./bench/syntheticLog.js";

async function entriesOf(events: string, recentEntries: number | undefined): Promise<string[]> {
  const models = await replayReadModels(events, { keepOpen: true, recentEntries, derivationWorkers: 0 });
  try {
    return [...models.states.attempts.byId.values()].map((record) => JSON.stringify(models.entry(record)));
  } finally {
    models.close();
  }
}

describe("entries kept from projection", function () {
  this.timeout(60_000);
  after(removeTempDirs);

  it("given the original system's real logs, every entry served from kept facts equals the one derived again", async () => {
    const events = path.join(tempDir(), "events");
    const imported = await runCli(["import", "--events-dir", events, "--json", "--seed-logs", SEED_LOGS]);
    expect(imported.code, imported.stderr).to.equal(0);
    const kept = await entriesOf(events, undefined);
    expect(kept).to.have.length(77);
    expect(kept).to.deep.equal(await entriesOf(events, 0));
  });

  it("given failure → failure → fix sessions, the fix strategies served from kept fixes equal those derived again", async () => {
    const events = path.join(tempDir(), "events");
    await writeSyntheticLog(events, sessionDrafts(90, 600));
    const kept = await entriesOf(events, undefined);
    expect(kept).to.have.length(90);
    const withStrategies = kept.filter((e) => JSON.parse(e).fix_strategy !== null && JSON.parse(e).fix_strategy !== undefined);
    expect(withStrategies, "failures fixed by their session's success").to.have.length(60);
    expect(kept).to.deep.equal(await entriesOf(events, 0));
  });

  it("given a page of failures served, when later events change what its entries show, then it is served again as derived anew", async () => {
    const service = await ScriptlogService.open(path.join(tempDir(), "events"), { derivationWorkers: 1 });
    await service.start();
    const record = async (body: AttemptBody) => service.untilProjected((await service.recordAttempt(body)).seq);
    const served = () => JSON.parse(service.queries.failures(10, false).json) as Array<Record<string, unknown>>;
    const derivedAnew = () => recentFailures(service.models.states.failures, 10, false).map((r) => service.models.entry(r));
    const script = (call: string) =>
      [
        "import os",
        "import json",
        "names = sorted(os.listdir('.'))",
        "report = {'count': len(names)}",
        call,
        "print(json.dumps(report))",
      ].join("\n") + "\n";
    const stderr = (call: string, name: string) =>
      `Traceback (most recent call last):\n  File "script.py", line 5, in <module>\n    ${call}\nAttributeError: module 'os' has no attribute '${name}'\n`;
    try {
      await record({ status: "failed", log_id: "f1", code: script("os.makedir('out')"), stderr: stderr("os.makedir('out')", "makedir") });
      await record({
        status: "failed",
        log_id: "f2",
        user_prompt: "make tmp",
        code: script("os.mkdirz('tmp')"),
        stderr: stderr("os.mkdirz('tmp')", "mkdirz"),
      });
      expect(served()).to.deep.equal(derivedAnew());

      await record({ status: "success", log_id: "s1", code: script("os.makedirs('out')"), previous_attempt_id: "f1" });
      const afterFix = served();
      expect(afterFix).to.deep.equal(derivedAnew());
      expect(afterFix.find((e) => e.log_id === "f1"))
        .to.include({ fixed_by: "s1" })
        .and.have.property("fix_strategy").that.is.not.null;

      // An unlinked success of f2's prompt, with like code: inference joins it to f2's session and infers the fix.
      await record({ status: "success", log_id: "u1", user_prompt: "make tmp", code: script("os.mkdir('tmp')") });
      const afterInference = served();
      expect(afterInference).to.deep.equal(derivedAnew());
      expect(afterInference.find((e) => e.log_id === "f2")?.inferred).to.deep.include({ fixed_by: "u1" });
    } finally {
      await service.close();
    }
  });
});
