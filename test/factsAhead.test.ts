// Replay with the facts of attempts derived ahead on worker threads: the same read models as deriving them on
// the main thread, events still projected in log order, the reader held back while too many wait, and a
// server that is only ready once the last replayed event is projected.
import { expect } from "chai";
import path from "node:path";
import { lastValueFrom, Subject } from "rxjs";
import type { StoredEvent } from "../src/events/types.js";
import { projectReadModels, ReadModels } from "../src/projections/readModels.js";
import { DerivationPool } from "../src/service/derivationPool.js";
import { factsAhead } from "../src/service/factsAhead.js";
import { replayReadModels } from "../src/service/replay.js";
import { ScriptlogService } from "../src/service/scriptlogService.js";
import { EnvelopeReader } from "../src/store/envelopeReader.js";
import { readLog } from "../src/store/logReader.js";
import { removeTempDirs, tempDir } from "./helpers/server.js";

/** A script whose summary takes a while: its facts come back after those of the short ones recorded later. */
const LONG = "import os\n" + "total = sum(len(name) for name in os.listdir('.'))\n".repeat(20_000) + "os.makedir('out')\n";

/** A log of linked attempts and a fix, whose first and last attempts are slow to derive. */
async function writeLog(events: string): Promise<number> {
  const service = await ScriptlogService.open(events);
  await service.start();
  try {
    await service.recordAttempt({
      status: "failed",
      code: LONG,
      log_id: "a0",
      stderr: "AttributeError: module 'os' has no attribute 'makedir'\n",
      return_code: 1,
    });
    await service.recordAttempt({ status: "failed", code: "x = 1 +\n", log_id: "a1", previous_attempt_id: "a0" });
    await service.recordAttempt({ status: "success", code: "import os\nos.makedirs('out')\n", log_id: "a2", previous_attempt_id: "a1" });
    await service.recordAttempt({ status: "failed", code: LONG, log_id: "a3", return_code: 1 });
    return service.log.chainHead.seq;
  } finally {
    await service.close();
  }
}

/** Sessions of failure → failure → success: the success fixes both failures; returns the failures' ids. */
async function writeFixSessions(events: string, sessions: number): Promise<string[]> {
  const service = await ScriptlogService.open(events);
  await service.start();
  const fixed: string[] = [];
  try {
    for (let i = 0; i < sessions; i++) {
      const code = `import os\nnames = os.listdir('.')\nos.makedir('out${i}')\nprint(len(names))\n`;
      const stderr = `Traceback (most recent call last):\n  File "script.py", line 3, in <module>\n    os.makedir('out${i}')\nAttributeError: module 'os' has no attribute 'makedir'\n`;
      await service.recordAttempt({ status: "failed", code, stderr, return_code: 1, log_id: `f${i}` });
      await service.recordAttempt({
        status: "failed",
        code: code.replace("makedir", "mkdirs"),
        stderr: stderr.replaceAll("makedir", "mkdirs"),
        return_code: 1,
        log_id: `g${i}`,
        previous_attempt_id: `f${i}`,
      });
      await service.recordAttempt({
        status: "success",
        code: code.replace("makedir", "makedirs"),
        log_id: `s${i}`,
        previous_attempt_id: `g${i}`,
      });
      fixed.push(`f${i}`, `g${i}`);
    }
    return fixed;
  } finally {
    await service.close();
  }
}

describe("deriving facts ahead of the projection", function () {
  this.timeout(60_000);
  after(removeTempDirs);

  it("rebuilds the same read models as deriving on the main thread, though facts come back out of order", async () => {
    const events = path.join(tempDir(), "events");
    const seq = await writeLog(events);
    const onMain = await replayReadModels(events, { derivationWorkers: 0 });
    const ahead = await replayReadModels(events, { derivationWorkers: 4 });
    expect(ahead.seq).to.equal(seq);
    expect(JSON.stringify(ahead.toJSON())).to.equal(JSON.stringify(onMain.toJSON()));
  });

  it("derives each recorded fix's strategy on the worker that derived its session's attempts, with the same read models", async () => {
    const events = path.join(tempDir(), "events");
    const fixed = await writeFixSessions(events, 6);
    const reader = new EnvelopeReader(events);
    const models = new ReadModels({ readEnvelope: (location) => reader.read(location) });
    const preparedFixes: string[] = [];
    const prepareFix = models.prepareFix.bind(models);
    models.prepareFix = (data, strategy) => {
      preparedFixes.push(data.failure_log_id);
      prepareFix(data, strategy);
    };
    const pool = new DerivationPool(3);
    try {
      const ahead = factsAhead(pool, models);
      await lastValueFrom(readLog(events, { pace: ahead.pace }).pipe(ahead.operator, projectReadModels(models)));
    } finally {
      await pool.close();
      reader.close();
    }
    expect(preparedFixes).to.have.members(fixed);
    const onMain = await replayReadModels(events, { derivationWorkers: 0 });
    expect(JSON.stringify(models.toJSON())).to.equal(JSON.stringify(onMain.toJSON()));
    const strategy = onMain.entry(onMain.states.attempts.byId.get("g0")!).fix_strategy as { changes: unknown[] };
    expect(strategy.changes, "the fix's strategy says what changed").to.not.be.empty;
  });

  it("is ready to record only once the last replayed event is projected", async () => {
    const events = path.join(tempDir(), "events");
    const seq = await writeLog(events); // ends with a slow attempt
    const service = await ScriptlogService.open(events, { derivationWorkers: 4 });
    try {
      await service.start();
      expect(service.ready).to.equal(true);
      expect(service.models.seq).to.equal(seq);
      const retry = await service.recordAttempt({ status: "success", code: "print(1)\n", previous_attempt_id: "a3" });
      expect(retry.result.fixed).to.deep.equal(["a3"]);
    } finally {
      await service.close();
    }
  });

  it("passes events on in order and holds the reader back while too many wait for their facts", async () => {
    const release: Array<() => void> = [];
    const pool = { prepare: () => new Promise<void>((resolve) => release.push(resolve)) } as unknown as DerivationPool;
    const ahead = factsAhead(
      pool,
      new ReadModels({
        readEnvelope: () => {
          throw new Error("not read here");
        },
      }),
    );
    const source = new Subject<StoredEvent>();
    const seen: number[] = [];
    ahead.operator(source).subscribe((e) => seen.push(e.envelope.seq));
    const event = (seq: number, type: "AttemptFailed" | "AttemptLinked") =>
      ({ envelope: { seq, type, data: { code: "" } }, location: { file: "f", offset: 0, length: 0 } }) as unknown as StoredEvent;

    source.next(event(1, "AttemptFailed"));
    source.next(event(2, "AttemptLinked")); // needs no facts, but must wait for the event before it
    expect(seen).to.deep.equal([]);
    expect(ahead.pace()).to.equal(undefined);
    for (let seq = 3; seq < 3 + 1024; seq++) source.next(event(seq, "AttemptFailed"));
    const held = ahead.pace();
    expect(held).to.be.an.instanceOf(Promise);

    let resumed = false;
    void held!.then(() => (resumed = true));
    release.splice(0, 400).forEach((r) => r());
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).to.deep.equal(Array.from({ length: 401 }, (_, i) => i + 1));
    expect(resumed, "still too many waiting").to.equal(false);
    release.splice(0, 200).forEach((r) => r());
    await new Promise((r) => setTimeout(r, 10));
    expect(resumed).to.equal(true);
    release.splice(0).forEach((r) => r());
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).to.have.length(1026);
  });
});
