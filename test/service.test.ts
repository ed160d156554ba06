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
      service.recordAttempt({ status: "failed", code: long, log_id: "a0", stderr: "AttributeError: module 'os' has no attribute 'makedir'\n", return_code: 1 }),
      service.recordAttempt({ status: "failed", code: "x = 1 +\n", log_id: "a1", previous_attempt_id: "a0" }),
      service.recordAttempt({ status: "success", code: "import os\nos.makedirs('out')\n", log_id: "a2", previous_attempt_id: "a1" }),
    ];
    const results = await Promise.all(recorded).finally(() => service.close());
    expect(results.map((r) => r.result.session_id)).to.satisfy((ids: string[]) => new Set(ids).size === 1);
    expect(results[2].result.fixed).to.deep.equal(["a0", "a1"]);

    const lines: string[] = [];
    for await (const line of rawEventLines(events, 0)) lines.push(line);
    const types = lines.map((l) => JSON.parse(l) as { type: string; data: { log_id?: string } }).map((e) => `${e.type}${e.data.log_id ? ` ${e.data.log_id}` : ""}`);
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
});
