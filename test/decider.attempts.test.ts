// Given/when/then specifications of recording an attempt: given the events so far, when a RecordAttempt
// command, then the events it decides (or the error it refuses with). No server, no log: decide and evolve only.
import { expect } from "chai";
import { hash } from "node:crypto";
import {
  AttemptsWriteState,
  decide,
  PendingWrites,
  type AttemptBody,
  type RecordAttempt,
  type WriteView,
} from "../src/decider/attempts.js";
import { ScriptlogError } from "../src/errors.js";
import type { EventDraft } from "../src/events/types.js";
import { dataProblems } from "../src/events/validation.js";
import { CURRENT_VERSION } from "../src/events/schemas.js";

const NOW = "2026-12-05T10:00:00.000Z";
const hashOf = (text: string) => hash("sha256", text, "hex");

function record(log_id: string, body: Partial<AttemptBody> & Pick<AttemptBody, "status">, request_hash = hashOf(log_id)): RecordAttempt {
  return { type: "RecordAttempt", body: { code: "x = 1\n", ...body }, log_id, request_hash, new_session_id: `new-${log_id}`, now: NOW };
}

const failed = (log_id: string, session_id: string, extra: Record<string, unknown> = {}): EventDraft => ({
  type: "AttemptFailed",
  data: {
    log_id,
    session_id,
    timestamp: NOW,
    request_hash: hashOf(log_id),
    session_assigned: false,
    code: "x = 1\n",
    ...extra,
  } as never,
});

const succeeded = (log_id: string, session_id: string): EventDraft => ({
  type: "AttemptSucceeded",
  data: { log_id, session_id, timestamp: NOW, request_hash: hashOf(log_id), session_assigned: false, code: "x = 1\n" } as never,
});

const fixed = (failure_log_id: string, success_log_id: string, session_id: string): EventDraft => ({
  type: "FixRecorded",
  data: { failure_log_id, success_log_id, session_id },
});

/** Folds events into a write state the way the log would, one seq each. */
function given(...events: EventDraft[]) {
  const state = new AttemptsWriteState();
  events.forEach((e, i) => state.apply({ type: e.type, data: e.data, seq: i + 1 }));
  return whenOn(state);
}

function whenOn(state: WriteView) {
  return {
    when(command: RecordAttempt) {
      const run = () => decide(command, state);
      return {
        then(expected: EventDraft[]) {
          const decision = run();
          expect(decision.kind).to.equal("append");
          if (decision.kind !== "append") return;
          expect(decision.events).to.deep.equal(expected);
          // what the decider emits is what the log accepts
          for (const e of decision.events) expect(dataProblems(e.type, CURRENT_VERSION[e.type], e.data), e.type).to.deep.equal([]);
        },
        thenRepeats(session_id: string) {
          expect(run()).to.deep.equal({ kind: "repeat", session_id });
        },
        thenRefuses(code: string) {
          expect(run).to.throw(ScriptlogError).with.property("code", code);
        },
      };
    },
  };
}

describe("decider: recording an attempt", () => {
  it("given nothing, when a failure names no session, then it starts the new session the service chose", () => {
    given()
      .when(record("a1", { status: "failed", stderr: "boom" }))
      .then([failed("a1", "new-a1", { session_assigned: true, stderr: "boom" })]);
  });

  it("given nothing, when the body gives its timestamp and session, then both are kept and the session is the client's", () => {
    given()
      .when(record("a1", { status: "failed", session_id: "s1", timestamp: "2026-01-01T00:00:00.000Z" }))
      .then([failed("a1", "s1", { timestamp: "2026-01-01T00:00:00.000Z" })]);
  });

  it("given two failures in a session, one already fixed, when a success follows, then it fixes the other only", () => {
    given(failed("a1", "s1"), failed("a2", "s1"), succeeded("a3", "s1"), fixed("a1", "a3", "s1"))
      .when(record("a4", { status: "success", session_id: "s1" }))
      .then([succeeded("a4", "s1"), fixed("a2", "a4", "s1")]);
  });

  it("given a failure, when a success names it as its previous attempt, then it joins its session, links and fixes it", () => {
    given(failed("a1", "s1"))
      .when(record("a2", { status: "success", previous_attempt_id: "a1" }))
      .then([
        succeeded("a2", "s1"),
        { type: "AttemptLinked", data: { log_id: "a2", previous_attempt_id: "a1", session_id: "s1" } },
        fixed("a1", "a2", "s1"),
      ]);
  });

  it("given a failure in another session, when a success follows in its own session, then nothing is fixed", () => {
    given(failed("a1", "s1"))
      .when(record("a2", { status: "success", session_id: "s2" }))
      .then([succeeded("a2", "s2")]);
  });

  it("given an attempt, when the same log_id comes with the same body, then it is a repeat of the first", () => {
    given(failed("a1", "s1"))
      .when(record("a1", { status: "failed" }))
      .thenRepeats("s1");
  });

  it("given an attempt, when the same log_id comes with another body, then it is refused as a conflict", () => {
    given(failed("a1", "s1"))
      .when(record("a1", { status: "failed" }, hashOf("another body")))
      .thenRefuses("conflicting_log_id");
  });

  it("given nothing, when previous_attempt_id names no attempt, then it is refused", () => {
    given()
      .when(record("a2", { status: "success", previous_attempt_id: "nope" }))
      .thenRefuses("unknown_previous_attempt");
  });

  it("given a failure in s1, when a request names it as previous but gives session s2, then it is refused", () => {
    given(failed("a1", "s1"))
      .when(record("a2", { status: "success", previous_attempt_id: "a1", session_id: "s2" }))
      .thenRefuses("unknown_previous_attempt");
  });

  it("an import restores whether the service once chose the session", () => {
    given()
      .when({ ...record("a1", { status: "failed", session_id: "s1" }), session_assigned: true })
      .then([failed("a1", "s1", { session_assigned: true })]);
  });
});

describe("decider: decisions still being written", () => {
  it("given a failure in flight, a success in its session fixes it; once the failure's append is refused, it no longer does", () => {
    const state = new AttemptsWriteState();
    const pending = new PendingWrites(state);
    const inFlight = [failed("a1", "s1")];
    pending.add(inFlight);
    whenOn(pending)
      .when(record("a2", { status: "success", session_id: "s1" }))
      .then([succeeded("a2", "s1"), fixed("a1", "a2", "s1")]);
    pending.settle(inFlight); // refused: the log never held it
    whenOn(pending)
      .when(record("a2", { status: "success", session_id: "s1" }))
      .then([succeeded("a2", "s1")]);
  });

  it("a retry of a request in flight is a repeat; once it is in the log, the log's state says so", () => {
    const state = new AttemptsWriteState();
    const pending = new PendingWrites(state);
    const inFlight = [failed("a1", "s1")];
    pending.add(inFlight);
    whenOn(pending)
      .when(record("a1", { status: "failed" }))
      .thenRepeats("s1");
    state.apply({ ...inFlight[0], seq: 1 });
    pending.settle(inFlight);
    whenOn(pending)
      .when(record("a1", { status: "failed" }))
      .thenRepeats("s1");
    expect(state.unfixed("s1")).to.deep.equal(["a1"]);
  });

  it("survives a snapshot: the state read back decides as the one written", () => {
    const state = new AttemptsWriteState();
    [failed("a1", "s1"), failed("a2", "s1"), fixed("a1", "a9", "s1")].forEach((e, i) => state.apply({ ...e, seq: i + 1 }));
    const copy = AttemptsWriteState.fromJSON(JSON.parse(JSON.stringify(state.toJSON())));
    expect(copy.seq).to.equal(3);
    whenOn(copy)
      .when(record("a3", { status: "success", session_id: "s1" }))
      .then([succeeded("a3", "s1"), fixed("a2", "a3", "s1")]);
  });
});
