// An attempt's record keeps its timestamp only when the ISO form of its time would not give it back, and shares
// its status, ai_model and error with other attempts: what it reads, orders and serializes must not show it.
import { expect } from "chai";
import { timestampMillis } from "../src/events/validation.js";
import { AttemptRecord, type AttemptRecordJSON } from "../src/projections/attempts.js";

function json(logId: string, timestamp: string, fields: Partial<AttemptRecordJSON> = {}): AttemptRecordJSON {
  return {
    log_id: logId,
    session_id: "s1",
    status: "failed",
    timestamp,
    time: timestampMillis(timestamp),
    seq: 1,
    file: "2026-01-01.jsonl",
    offset: 0,
    length: 10,
    code_hash: "0123456789abcdef0123456789abcdef",
    ai_model: "model-a",
    previous_attempt_id: null,
    error_type: "KeyError",
    error_category: "lookup",
    pattern: "KeyError: '<key>'",
    fingerprint: "f1",
    failing_from: 3,
    failing_to: 4,
    libraries: ["numpy"],
    fixed_by: null,
    inferred_previous_attempt_id: null,
    inferred_fixed_by: null,
    ...fields,
  };
}

// ISO forms of their time and others (no zone, microseconds, an offset, a space), in no particular order.
const TIMESTAMPS = [
  "2026-01-01T10:00:00.000Z",
  "2026-01-01T10:00:00.000001",
  "2026-01-01T10:00:00",
  "2026-01-01T09:59:59.999Z",
  "2026-01-01T11:00:00+01:00",
  "2026-01-01 10:00:00.5",
  "2026-01-01T10:00:00.500Z",
  "2025-12-31T23:00:00.000Z",
  "2026-01-01",
];

describe("attempt records", () => {
  it("give back every timestamp as it was sent, and serialize as the plain record they were made from", () => {
    for (const timestamp of TIMESTAMPS) {
      const plain = json("a1", timestamp, { status: "success", error_type: null, error_category: null, pattern: null, fixed_by: "a2" });
      const record = new AttemptRecord(plain);
      expect(record.timestamp).to.equal(timestamp);
      expect(JSON.stringify(record)).to.equal(JSON.stringify(plain));
    }
  });

  it("order their timestamps as the strings compare, whether kept or formatted from their time", () => {
    const records = TIMESTAMPS.map((t, i) => new AttemptRecord(json(`a${i}`, t)));
    for (const a of records) {
      for (const b of records) {
        const asStrings = Math.sign(a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0);
        expect(Math.sign(AttemptRecord.compareTimestamps(a, b)), `${a.timestamp} vs ${b.timestamp}`).to.equal(asStrings);
        expect(a.parsedTimestamp).to.equal(Date.parse(a.timestamp));
      }
    }
  });

  it("read back the status, ai_model and error they share with other attempts, and share one array per library set", () => {
    const [a, b] = ["a1", "a2"].map((id) => new AttemptRecord(json(id, TIMESTAMPS[0])));
    const other = new AttemptRecord(json("a3", TIMESTAMPS[0], { ai_model: "model-b" }));
    expect([a.status, a.ai_model, a.error_type, a.error_category, a.pattern]).to.deep.equal([
      "failed",
      "model-a",
      "KeyError",
      "lookup",
      "KeyError: '<key>'",
    ]);
    expect(a.libraries).to.equal(b.libraries);
    expect(other.ai_model).to.equal("model-b");
    expect(other.pattern).to.equal(a.pattern);
  });
});
