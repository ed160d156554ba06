// Recording an attempt, as a pure decider: decide(command, state) → decision and evolve(state, event) → state.
// The state holds only what the command must check — the session of each attempt with the hash of the request
// that recorded it, and each session's failures no success has fixed yet — never read models, never I/O. The
// service around it chooses ids and clocks, hashes the body, appends, and evolves the state from the log.
import { ScriptlogError } from "../errors.js";
import type { AttemptFailedData, AttemptSucceededData, EventDraft, ExceptionReport } from "../events/types.js";

/** A POST /api/logs/attempts body, already checked against its schema. */
export interface AttemptBody {
  status: "failed" | "success";
  code: string;
  log_id?: string;
  session_id?: string;
  previous_attempt_id?: string;
  timestamp?: string;
  user_prompt?: string | null;
  ai_model?: string | null;
  image_filename?: string | null;
  tags?: string[];
  stdout?: string | null;
  error_message?: string | null;
  error_type?: string | null;
  stderr?: string | null;
  return_code?: number | null;
  timed_out?: boolean | null;
  exception?: ExceptionReport;
  output_files?: string[] | null;
  execution_time_seconds?: number | null;
  context_version?: string;
  prompt_version?: string;
  experiment?: string;
  variant?: string;
}

export interface RecordAttempt {
  type: "RecordAttempt";
  body: AttemptBody;
  /** The client's log_id, or one the service chose (once: a request decided again keeps it). */
  log_id: string;
  /** sha256 of the canonical body as received: a retry with the same body is the same request. */
  request_hash: string;
  /** The session a request that names none starts. */
  new_session_id: string;
  /** When the request arrived: the attempt's timestamp if the body gives none. */
  now: string;
  /** `import --jsonl` of an export: whether the service once chose the session the body names. */
  session_assigned?: boolean;
  /** The name of the API token the request came with. */
  recorded_by?: string;
  /** Secrets the service cut out of `body` before deciding, counted by rule. */
  redactions?: Record<string, number>;
}

export type AttemptDecision =
  | { kind: "append"; session_id: string; fixes: string[]; events: EventDraft[] }
  /** The same request again: nothing to append, the first one's answer stands. */
  | { kind: "repeat"; session_id: string };

export interface RecordedAttempt {
  session_id: string;
  status: "failed" | "success";
  /** requestKey of the request that recorded it: null for attempts recorded before requests were hashed. */
  request_key: number | null;
}

/**
 * The first 52 bits of a request's sha256, as a number: held per attempt instead of the 64-character hex (a
 * million attempts' state is ~60 MB instead of ~160). Another body reusing a log_id is told apart from a retry
 * unless the two hashes share those 52 bits (odds of 2^-52).
 */
export function requestKey(requestHash: string | undefined): number | null {
  return requestHash === undefined ? null : parseInt(requestHash.slice(0, 13), 16);
}

/** What the decider reads. */
export interface WriteView {
  attempt(logId: string): RecordedAttempt | undefined;
  /** The session's failures no success has fixed, oldest first. */
  unfixed(sessionId: string): readonly string[];
}

/** What evolve writes. */
export interface WriteState extends WriteView {
  setAttempt(logId: string, attempt: RecordedAttempt): void;
  setUnfixed(sessionId: string, failures: readonly string[]): void;
}

/** The events this decider's state evolves with; others leave it as it is. */
export type AttemptWriteEvent = Pick<EventDraft, "type" | "data">;

// Request fields the decider resolves itself (and status, which is the event type); the rest are the event's facts.
const RESOLVED_FIELDS = new Set<string>(["status", "previous_attempt_id", "log_id", "session_id", "timestamp"]);

export function decide(command: RecordAttempt, state: WriteView): AttemptDecision {
  const { body, log_id } = command;
  const recorded = state.attempt(log_id);
  if (recorded) {
    if (recorded.request_key !== requestKey(command.request_hash)) {
      throw new ScriptlogError("conflicting_log_id", `log_id '${log_id}' was already recorded with a different body`, { log_id });
    }
    return { kind: "repeat", session_id: recorded.session_id };
  }
  const sessionId = sessionFor(body, state) ?? command.new_session_id;
  // The client's own session, not an inferred one: recorded fixes are facts and must not rest on inference.
  const fixes = body.status === "success" ? [...state.unfixed(sessionId)] : [];
  const events: EventDraft[] = [attemptEvent(command, sessionId)];
  if (body.previous_attempt_id !== undefined) {
    events.push({ type: "AttemptLinked", data: { log_id, previous_attempt_id: body.previous_attempt_id, session_id: sessionId } });
  }
  for (const failure of fixes) {
    events.push({ type: "FixRecorded", data: { failure_log_id: failure, success_log_id: log_id, session_id: sessionId } });
  }
  return { kind: "append", session_id: sessionId, fixes, events };
}

export function evolve(state: WriteState, event: AttemptWriteEvent): WriteState {
  switch (event.type) {
    case "AttemptFailed":
    case "AttemptSucceeded": {
      const data = event.data as AttemptFailedData | AttemptSucceededData;
      const failed = event.type === "AttemptFailed";
      state.setAttempt(data.log_id, {
        session_id: data.session_id,
        status: failed ? "failed" : "success",
        request_key: requestKey(data.request_hash),
      });
      if (failed) state.setUnfixed(data.session_id, [...state.unfixed(data.session_id), data.log_id]);
      return state;
    }
    case "FixRecorded": {
      const { failure_log_id, session_id } = event.data as { failure_log_id: string; session_id: string };
      state.setUnfixed(
        session_id,
        state.unfixed(session_id).filter((id) => id !== failure_log_id),
      );
      return state;
    }
    default:
      return state;
  }
}

/** The session a request belongs to by what it names, or null when it starts a new one. */
function sessionFor(body: AttemptBody, state: WriteView): string | null {
  if (body.previous_attempt_id === undefined) return body.session_id ?? null;
  const previous = state.attempt(body.previous_attempt_id)?.session_id;
  if (previous === undefined) {
    throw new ScriptlogError("unknown_previous_attempt", `previous_attempt_id '${body.previous_attempt_id}' names no recorded attempt`, {
      previous_attempt_id: body.previous_attempt_id,
    });
  }
  if (body.session_id !== undefined && body.session_id !== previous) {
    throw new ScriptlogError(
      "unknown_previous_attempt",
      `previous_attempt_id '${body.previous_attempt_id}' belongs to session '${previous}', not '${body.session_id}'`,
      { previous_attempt_id: body.previous_attempt_id, session_id: body.session_id, previous_session_id: previous },
    );
  }
  return previous;
}

function attemptEvent(command: RecordAttempt, sessionId: string): EventDraft {
  const { body } = command;
  // Built by assignment: one hidden class for the common fields, whatever facts follow.
  const data: Record<string, unknown> = {};
  data.log_id = command.log_id;
  data.session_id = sessionId;
  data.timestamp = body.timestamp ?? command.now;
  data.request_hash = command.request_hash;
  data.session_assigned = command.session_assigned ?? (body.session_id === undefined && body.previous_attempt_id === undefined);
  if (command.recorded_by !== undefined) data.recorded_by = command.recorded_by;
  if (command.redactions !== undefined) data.redactions = command.redactions;
  for (const key of Object.keys(body)) if (!RESOLVED_FIELDS.has(key)) data[key] = body[key as keyof AttemptBody];
  return body.status === "failed"
    ? { type: "AttemptFailed", data: data as unknown as AttemptFailedData }
    : { type: "AttemptSucceeded", data: data as unknown as AttemptSucceededData };
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * The state as the log has it: every attempt, and only the sessions with a failure still unfixed. Attempts are
 * held in columns (a slot per attempt: its session, status and request key), not an object each.
 */
export class AttemptsWriteState implements WriteState {
  private readonly slots = new Map<string, number>();
  private readonly sessions: string[] = [];
  private failed = new Uint8Array(1024);
  private keys = new Float64Array(1024);
  private readonly unfixedBySession = new Map<string, readonly string[]>();
  /** The last event evolved in. */
  seq = 0;

  attempt(logId: string): RecordedAttempt | undefined {
    const slot = this.slots.get(logId);
    if (slot === undefined) return undefined;
    const key = this.keys[slot];
    return {
      session_id: this.sessions[slot],
      status: this.failed[slot] ? "failed" : "success",
      request_key: Number.isNaN(key) ? null : key,
    };
  }

  unfixed(sessionId: string): readonly string[] {
    return this.unfixedBySession.get(sessionId) ?? NONE;
  }

  setAttempt(logId: string, attempt: RecordedAttempt): void {
    let slot = this.slots.get(logId);
    if (slot === undefined) {
      slot = this.sessions.length;
      this.slots.set(logId, slot);
      this.sessions.push(attempt.session_id);
      if (slot === this.keys.length) this.grow();
    } else {
      this.sessions[slot] = attempt.session_id;
    }
    this.failed[slot] = attempt.status === "failed" ? 1 : 0;
    this.keys[slot] = attempt.request_key ?? NaN;
  }

  setUnfixed(sessionId: string, failures: readonly string[]): void {
    if (failures.length === 0) this.unfixedBySession.delete(sessionId);
    else this.unfixedBySession.set(sessionId, failures);
  }

  /** Evolves the state with an event of the log, in log order. */
  apply(event: AttemptWriteEvent & { seq: number }): void {
    evolve(this, event);
    this.seq = event.seq;
  }

  toJSON(): { seq: number; attempts: Array<[string, RecordedAttempt]>; unfixed: Array<[string, readonly string[]]> } {
    return { seq: this.seq, attempts: [...this.slots.keys()].map((id) => [id, this.attempt(id)!]), unfixed: [...this.unfixedBySession] };
  }

  static fromJSON(json: ReturnType<AttemptsWriteState["toJSON"]>): AttemptsWriteState {
    const state = new AttemptsWriteState();
    state.seq = json.seq;
    for (const [id, attempt] of json.attempts) state.setAttempt(id, attempt);
    for (const [id, failures] of json.unfixed) state.unfixedBySession.set(id, failures);
    return state;
  }

  private grow(): void {
    const failed = new Uint8Array(this.failed.length * 2);
    failed.set(this.failed);
    this.failed = failed;
    const keys = new Float64Array(this.keys.length * 2);
    keys.set(this.keys);
    this.keys = keys;
  }
}

/**
 * Decisions not yet in the log, layered over the state the log has: a request decided while earlier ones are
 * still being written sees them (a fix of a failure whose append is in flight). Rebuilt from the requests still
 * in flight whenever one settles, so a refused append leaves no trace.
 */
export class PendingWrites implements WriteState {
  private attempts = new Map<string, RecordedAttempt>();
  private unfixedBySession = new Map<string, readonly string[]>();
  private readonly inFlight: EventDraft[][] = [];

  constructor(private readonly base: WriteView) {}

  attempt(logId: string): RecordedAttempt | undefined {
    return this.attempts.get(logId) ?? this.base.attempt(logId);
  }

  unfixed(sessionId: string): readonly string[] {
    return this.unfixedBySession.get(sessionId) ?? this.base.unfixed(sessionId);
  }

  setAttempt(logId: string, attempt: RecordedAttempt): void {
    this.attempts.set(logId, attempt);
  }

  setUnfixed(sessionId: string, failures: readonly string[]): void {
    this.unfixedBySession.set(sessionId, failures);
  }

  /** A request's events, decided and handed to the log. */
  add(events: EventDraft[]): void {
    this.inFlight.push(events);
    for (const event of events) evolve(this, event);
  }

  /** The request is in the base state now, or was refused: either way it is no longer pending. */
  settle(events: EventDraft[]): void {
    const at = this.inFlight.indexOf(events);
    if (at < 0) return;
    this.inFlight.splice(at, 1);
    this.attempts = new Map();
    this.unfixedBySession = new Map();
    for (const request of this.inFlight) for (const event of request) evolve(this, event);
  }
}
