// Entries kept from projection are the entries derived again from the log: the recent attempts' facts and fix
// strategies are kept when they are projected (so a page of newest failures is not derived per request), and
// what is served from them must be byte for byte what deriving on demand gives.
import { expect } from "chai";
import path from "node:path";
import { replayReadModels } from "../src/service/replay.js";
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
});
