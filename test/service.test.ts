// The service in-process: what HTTP cannot pin down, such as the order of requests made at the same moment.
import { expect } from "chai";
import path from "node:path";
import { ScriptlogService } from "../src/service/scriptlogService.js";
import { rawEventLines } from "../src/store/rawEvents.js";
import { removeTempDirs, tempDir } from "./helpers/server.js";

describe("recording attempts (in-process service)", () => {
  after(removeTempDirs);

  it("appends requests in the order they were decided, though their facts are derived out of order", async () => {
    const events = path.join(tempDir(), "events");
    // Several workers: the long first script is still being derived when the short retries are done.
    const service = await ScriptlogService.open(events, { derivationWorkers: 4 });
    await service.start();
    const long = "import os\n" + "total = sum(len(name) for name in os.listdir('.'))\n".repeat(20_000) + "os.makedir('out')\n";
    const recorded = [
      service.recordAttempt({
        status: "failed",
        code: long,
        log_id: "a0",
        stderr: "AttributeError: module 'os' has no attribute 'makedir'\n",
        return_code: 1,
      }),
      service.recordAttempt({ status: "failed", code: "x = 1 +\n", log_id: "a1", previous_attempt_id: "a0" }),
      service.recordAttempt({ status: "success", code: "import os\nos.makedirs('out')\n", log_id: "a2", previous_attempt_id: "a1" }),
    ];
    const results = await Promise.all(recorded).finally(() => service.close());
    expect(results.map((r) => r.result.session_id)).to.satisfy((ids: string[]) => new Set(ids).size === 1);
    expect(results[2].result.fixed).to.deep.equal(["a0", "a1"]);

    const lines: string[] = [];
    for await (const line of rawEventLines(events, 0)) lines.push(line);
    const types = lines
      .map((l) => JSON.parse(l) as { type: string; data: { log_id?: string } })
      .map((e) => `${e.type}${e.data.log_id ? ` ${e.data.log_id}` : ""}`);
    expect(types).to.deep.equal([
      "AttemptFailed a0",
      "AttemptFailed a1",
      "AttemptLinked a1",
      "AttemptSucceeded a2",
      "AttemptLinked a2",
      "FixRecorded",
      "FixRecorded",
    ]);
    // and the log replays into the same session
    const reopened = await ScriptlogService.open(events);
    try {
      await reopened.start();
      expect(reopened.record("a2").session_id).to.equal(results[0].result.session_id);
    } finally {
      await reopened.close();
    }
  });

  it("keeps session totals right when attempts arrive out of time order, live and after a snapshot", async () => {
    const dir = tempDir();
    const options = { snapshots: { dir: path.join(dir, "projections"), onMessage: () => {} } };
    const at = (minute: number) => `2026-03-01T10:${String(minute).padStart(2, "0")}:00.000Z`;
    const record = (service: ScriptlogService, session_id: string, status: "failed" | "success", minute: number) =>
      service.recordAttempt({ status, code: `print(${minute})\n`, session_id, timestamp: at(minute) });

    const first = await ScriptlogService.open(path.join(dir, "events"), options);
    await first.start();
    try {
      await record(first, "s1", "failed", 2);
      await record(first, "s1", "success", 3);
      await record(first, "s1", "success", 1); // s1 now began with a success
      await record(first, "s2", "success", 5);
      await record(first, "s2", "failed", 4); // s2's success is now its second attempt
      await record(first, "s3", "failed", 6);
      await first.untilProjected(first.log.chainHead.seq); // a write is answered before the read models hold it
      expect(first.models.states.sessions.totals).to.deep.equal({
        sessions: 3,
        resolved: 2,
        first_attempt_successes: 1,
        succeeded: 2,
        attempts_to_success_sum: 1 + 2,
      });
    } finally {
      await first.close(); // writes the snapshot
    }
    const reopened = await ScriptlogService.open(path.join(dir, "events"), options);
    await reopened.start();
    try {
      await record(reopened, "s2", "failed", 0); // and now its third
      await reopened.untilProjected(reopened.log.chainHead.seq);
      expect(reopened.models.states.sessions.totals).to.deep.equal({
        sessions: 3,
        resolved: 2,
        first_attempt_successes: 1,
        succeeded: 2,
        attempts_to_success_sum: 1 + 3,
      });
    } finally {
      await reopened.close();
    }
  });
});
