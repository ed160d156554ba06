// The read models of two fixed logs — the original system's real logs and a bench-style log of failure →
// failure → fix sessions — are byte-identical to those recorded in test/fixtures/read-model-digests.json, so a
// refactor that changes what is served, by a byte, fails here. A change meant to alter them is recorded with
// `UPDATE_DIGESTS=1 npx mocha dist/test/readModelDigests.test.js`, and the diff of that file shows which read
// models it changed.
import { expect } from "chai";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { rebuild } from "../src/cli/rebuild.js";
import { readSeedAttempts, seedEvents } from "../src/cli/seedLayout.js";
import { DEFAULT_ANALYZER_SETTINGS } from "../src/projections/attemptFacts.js";
import { SEED_LOGS } from "./helpers/corpus.js";
import { removeTempDirs, tempDir } from "./helpers/server.js";
import { sessionDrafts, writeSyntheticLog } from "./bench/syntheticLog.js";

const RECORDED = path.resolve(import.meta.dirname, "../../test/fixtures/read-model-digests.json");

/** sha256 of each snapshot file rebuilt from the log (meta.json's record of them). */
async function digestsOf(events: string): Promise<Record<string, string>> {
  const out = path.join(tempDir(), "projections");
  await rebuild(events, out, DEFAULT_ANALYZER_SETTINGS);
  return JSON.parse(readFileSync(path.join(out, "meta.json"), "utf8")).digests;
}

describe("read models stay byte-identical", function () {
  this.timeout(120_000);
  after(removeTempDirs);

  it("on the original system's real logs and on a bench log of fix sessions, as recorded", async () => {
    const seed = path.join(tempDir(), "seed");
    const { attempts } = await readSeedAttempts(SEED_LOGS);
    await writeSyntheticLog(
      seed,
      seedEvents(attempts, { attempts: new Set(), fixes: new Set() }, () => undefined),
    );
    const bench = path.join(tempDir(), "bench");
    await writeSyntheticLog(bench, sessionDrafts(600, 1200, 37_000));
    const digests = { seed_logs: await digestsOf(seed), bench_log: await digestsOf(bench) };
    if (process.env.UPDATE_DIGESTS === "1") writeFileSync(RECORDED, JSON.stringify(digests, null, 2) + "\n");
    expect(existsSync(RECORDED), "record them first with UPDATE_DIGESTS=1").to.equal(true);
    expect(digests).to.deep.equal(JSON.parse(readFileSync(RECORDED, "utf8")));
  });
});
