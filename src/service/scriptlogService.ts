// The service: one event log, the read models projected from it, and the command that records attempts.
import { hash, randomUUID } from "node:crypto";
import { filter, firstValueFrom, Subject, tap, type Subscription } from "rxjs";
import { checkGeneration } from "../decider/contexts.js";
import { AttemptsWriteState, decide, PendingWrites, type AttemptBody, type RecordAttempt } from "../decider/attempts.js";
import { parseCheckpoint, type Checkpoint, type SignerKey } from "../events/checkpoint.js";
import { latestCheckpointFile, latestCheckpointHead } from "../store/checkpointFiles.js";
import { rawEventLines } from "../store/rawEvents.js";
import { readBoundary } from "../store/archiveBoundary.js";
import { canonicalJson } from "../events/envelope.js";
import type { AlertSentData, AttemptEventDraft, EventDraft, EventLocation, StoredEvent } from "../events/types.js";
import { loadSnapshots, snapshotMadeAt, writeSnapshots } from "./snapshots.js";
import type { KnownHead } from "../store/logReader.js";
import { ScriptlogError } from "../errors.js";
import type { AttemptRecord } from "../projections/attempts.js";
import type { Projected } from "../projections/derive.js";
import type { AnalyzerSettings } from "../projections/attemptFacts.js";
import { sessionView } from "../projections/sessions.js";
import { projectReadModels, ReadModels, type ReadModelOptions } from "../projections/readModels.js";
import type { EventLogOptions } from "../store/eventLog.js";
import type { EventStore } from "../store/eventStore.js";
import { openEventStore } from "../store/openStore.js";
import type { JetStreamSettings } from "../store/jetstream/stream.js";
import { Checkpointer, type CheckpointPolicy } from "./checkpointer.js";
import { DerivationPool } from "./derivationPool.js";
import { factsAhead } from "./factsAhead.js";
import { DEFAULT_LOOP_SETTINGS, type LoopSettings, type RedactionSettings } from "../config.js";
import { redactAttempt, Redactor } from "../analysis/redaction.js";
import { ContextCommands, type LoopHost } from "./contexts.js";
import { AutoContext } from "./autoContext.js";
import { retryOnAppendConflict } from "./appendConflicts.js";
import { LogQueries } from "./queries.js";
import { SeqWaiters } from "../store/seqWaiters.js";

export interface ServiceOptions extends EventLogOptions {
  analyzer?: AnalyzerSettings;
  /** Start from the read-model snapshot in `dir` when it fits the log; write one there on close. */
  snapshots?: { dir: string; onMessage: (line: string) => void };
  /** Sign checkpoints of the chain head with this key. */
  checkpoints?: { key: SignerKey; policy: CheckpointPolicy };
  /** Worker threads deriving incoming attempts' facts; by default one per core beside the main thread's. */
  derivationWorkers?: number;
  /** Told how long each attempt's derivation took on its worker, in seconds (for metrics). */
  onDerived?: (seconds: number) => void;
  /** Extra secret formats and an allowlist for the redaction of attempts before they are appended. */
  redaction?: RedactionSettings;
  /** Context versions, experiments and automatic updates. */
  loop?: LoopSettings;
  /** Keep the log on this JetStream stream, with `eventsDir` as its local mirror; the daily files there by default. */
  jetstream?: JetStreamSettings;
}

export interface Health {
  status: "ok" | "starting" | "degraded";
  reason?: string;
}

export type { AttemptBody } from "../decider/attempts.js";

/** How an attempt came to be recorded. */
export interface RecordOptions {
  /** For `import --jsonl` of an export: the session the body names was once chosen by the service. */
  sessionAssigned?: boolean;
  /** The name of the API token the request was made with, recorded in the event (`recorded_by`). */
  recordedBy?: string;
}

export interface AttemptResult {
  log_id: string;
  session_id: string;
  status: "failed" | "success";
  error_type: string | null;
  error_category: string | null;
  fixed: string[];
}

export interface RecordOutcome {
  result: AttemptResult;
  /** A seq the log holds the attempt by: reads with ?min_seq= it see the attempt. */
  seq: number;
  /** True when this repeated an earlier request with the same log_id and body. */
  replayed: boolean;
}

export class ScriptlogService implements LoopHost {
  /** Replaced once, at start, when a snapshot is loaded. */
  models: ReadModels;
  /**
   * Every event once the read models have applied it (replayed ones included), with what it meant: what
   * live followers (the event stream, the anomaly watch) react to. Completes when the service closes.
   */
  readonly projected$ = new Subject<Projected>();
  /** The write side's own state, evolved from the log ahead of the read models. */
  private writeState = new AttemptsWriteState();
  /** Decisions handed to the log and not yet in `writeState`. */
  private pending = new PendingWrites(this.writeState);
  private readonly evolved = new SeqWaiters(() => this.writeState.seq);
  /** The answer each request being written will give, by log_id: a retry meanwhile waits for it. */
  private readonly inFlight = new Map<string, Promise<AttemptResult>>();
  private subscription: Subscription | null = null;
  private replayed: Promise<void> | null = null;

  private readonly derivations: DerivationPool;
  private readonly redactor: Redactor;
  /** The last request's redaction: requests are redacted, and so decided, in the order they arrived. */
  private lastRedacted: Promise<unknown> = Promise.resolve();
  /** The last request handed to the log: requests are appended in the order they were decided. */
  private lastEnqueued: Promise<unknown> = Promise.resolve();

  private readonly checkpointer: Checkpointer | null;
  private readonly projection = new SeqWaiters(() => this.models.seq);
  private readonly readModelOptions: ReadModelOptions;

  /** Context versions and experiments. */
  readonly contexts: ContextCommands;
  /** What the read models answer, for the routes. */
  readonly queries = new LogQueries(() => this.models);
  /** AUTO_CONTEXT's check after each attempt, when it is on. */
  private readonly autoContext: AutoContext | null;

  private constructor(
    readonly log: EventStore,
    private readonly options: ServiceOptions,
  ) {
    this.readModelOptions = {
      settings: options.analyzer,
      archived: readBoundary(log.dir) !== null,
      readEnvelope: (location: EventLocation) => log.readEnvelope(location),
    };
    this.models = new ReadModels(this.readModelOptions);
    this.derivations = new DerivationPool(options.derivationWorkers, options.onDerived, options.redaction);
    this.redactor = new Redactor(options.redaction);
    this.checkpointer = options.checkpoints
      ? new Checkpointer(log.dir, options.checkpoints.key, options.checkpoints.policy, (err) =>
          console.error("scriptlog: could not write a checkpoint:", err),
        )
      : null;
    const loop = options.loop ?? DEFAULT_LOOP_SETTINGS;
    this.contexts = new ContextCommands(this, loop);
    this.autoContext = loop.autoContext
      ? new AutoContext(this.contexts, (err) => console.error("scriptlog: automatic context update failed:", err))
      : null;
  }

  /** Opens the log (taking its lock); call start() to replay it. */
  static async open(eventsDir: string, options: ServiceOptions = {}): Promise<ScriptlogService> {
    return new ScriptlogService(await openEventStore(eventsDir, options.jetstream, options), options);
  }

  /**
   * Replays the log into the read models, then follows live appends; resolves once replay is done. With a
   * usable snapshot, the lines it covers are checked as links of the hash chain and the events after it are
   * checked in full and projected.
   */
  start(): Promise<void> {
    this.replayed ??= this.loadSnapshot()
      .then(() => this.knownHeads())
      .then((known) => this.follow(known));
    return this.replayed;
  }

  private async loadSnapshot(): Promise<void> {
    const snapshots = this.options.snapshots;
    if (!snapshots) return;
    const loaded = await loadSnapshots(snapshots.dir, this.readModelOptions);
    let reason = "reason" in loaded ? loaded.reason : null;
    const head = "models" in loaded ? loaded.models.head : null;
    if (head) {
      // The snapshot must describe this log: the event it ends at is still there, with the same hash.
      try {
        const envelope = this.log.readEnvelope(head.location);
        if (envelope.seq !== head.seq || envelope.hash !== head.hash) reason = `it ends at seq ${head.seq}, which this log does not hold`;
      } catch (err) {
        reason = `it ends at seq ${head.seq}, which this log does not hold (${(err as Error).message})`;
      }
    }
    if (reason !== null || !("models" in loaded)) {
      snapshots.onMessage(`scriptlog: snapshot in ${snapshots.dir} not used: ${reason}; replaying the whole log`);
      return;
    }
    this.models = loaded.models;
    this.writeState = loaded.writeState;
    this.pending = new PendingWrites(this.writeState);
    snapshots.onMessage(`scriptlog: loaded snapshot at seq ${this.models.seq}; projecting the events after it`);
  }

  /** What proves how far the log reached: its newest checkpoint, and the snapshot (used or not). */
  private async knownHeads(): Promise<KnownHead[]> {
    const known = [
      await latestCheckpointHead(this.log.dir),
      this.options.snapshots ? await snapshotMadeAt(this.options.snapshots.dir) : null,
    ];
    return known.filter((k) => k !== null);
  }

  /**
   * Projects the log after the snapshot (all of it without one), then every append; resolves once the
   * read models have caught up with the end of the log as it was read. Workers derive the facts of the
   * attempts ahead of the projection, so the last events read may be projected a little after the log is.
   */
  private follow(mustReach: KnownHead[]): Promise<void> {
    const snapshotHead = this.models.head;
    if (snapshotHead) this.checkpointer?.resumeAt({ seq: snapshotHead.seq, hash: snapshotHead.hash, file: snapshotHead.location.file });
    const ahead = factsAhead(this.derivations, this.models);
    return new Promise<void>((resolve, reject) => {
      let end: number | null = null;
      // After an archive the live chain starts at the boundary: a log with nothing after it is caught up at once.
      const liveFrom = readBoundary(this.log.dir)?.seq ?? 0;
      const caughtUp = () => {
        if (this.caughtUp || end === null || (this.models.seq < end && end > liveFrom)) return;
        this.caughtUp = true;
        Promise.resolve(this.checkpointer?.start()).then(resolve, reject);
      };
      this.log.replayed.then(() => {
        end = this.log.chainHead.seq;
        caughtUp();
      });
      this.subscription = this.log
        .events$({ pace: ahead.pace, trustThrough: snapshotHead ?? undefined, mustReach })
        .pipe(
          tap((event) => {
            this.checkpointer?.observe(event);
            // The write side's state first: a request is answered once its events are in the log and in this state.
            this.writeState.apply(event.envelope);
            this.evolved.advanced();
          }),
          ahead.operator,
          projectReadModels(this.models),
          tap((models) => models.lastProjected && this.projected$.next(models.lastProjected)),
          tap(() => {
            this.projection.advanced();
            caughtUp();
          }),
        )
        .subscribe({
          error: (err: Error) => {
            // Before the end of replay this refuses start-up; after it, read models would silently go stale.
            this.failure = err;
            this.projection.fail(err);
            this.evolved.fail(err);
            reject(err);
          },
        });
    });
  }

  /** Resolves once the read models hold every event acknowledged so far (rejects if they stopped following the log). */
  untilCaughtUp(): Promise<void> {
    return this.projection.until(this.writeState.seq).catch((err: Error) => {
      throw new ScriptlogError("log_unavailable", `the read models stopped following the log: ${err.message}`);
    });
  }

  /** Resolves once the read models have projected the event at `seq`. */
  untilProjected(seq: number): Promise<unknown> {
    if (this.models.seq >= seq) return Promise.resolve();
    return firstValueFrom(this.projected$.pipe(filter((p) => p.envelope.seq >= seq)));
  }

  /**
   * Appends events decided outside the attempt path (contexts, experiments) after the requests decided before
   * them, and resolves once the read models have projected them, so the next decision sees them.
   */
  async appendDecided(drafts: EventDraft[]): Promise<StoredEvent[]> {
    if (!this.caughtUp) throw new ScriptlogError("not_ready", "the log is still being replayed");
    if (drafts.length === 0) return [];
    let appended!: Promise<StoredEvent[]>;
    const enqueued = this.lastEnqueued.then(() => {
      appended = this.log.append(drafts);
    });
    this.lastEnqueued = enqueued.catch(() => undefined); // a refused append must not block the requests after it
    await enqueued;
    const stored = await appended;
    await this.untilProjected(stored[stored.length - 1].envelope.seq);
    return stored;
  }

  /** Why the read models stopped following the log, if they did. */
  failure: Error | null = null;

  /** The read models have projected the whole log as it stood at start-up. */
  private caughtUp = false;

  /** Resolves true once the read models reach `seq`, or false after `maxWaitMs`. */
  projectedUntil(seq: number, maxWaitMs: number): Promise<boolean> {
    return this.projection.until(seq, AbortSignal.timeout(maxWaitMs)).then(
      () => true,
      () => false,
    );
  }

  get ready(): boolean {
    return this.health().status === "ok";
  }

  /**
   * "ok" only while writes are accepted and the read models follow the log; "starting" during the replay;
   * "degraded" with the reason otherwise (writes resume by themselves after a write failure, once a probe
   * succeeds; read models that stopped need a restart).
   */
  health(): Health {
    if (!this.caughtUp) return { status: "starting", reason: "replaying the log" };
    if (this.failure) return { status: "degraded", reason: `the read models stopped following the log: ${this.failure.message}` };
    if (this.log.writeFailure) return { status: "degraded", reason: `writes refused: ${this.log.writeFailure.message}` };
    if (!this.log.isReady) return { status: "degraded", reason: "shutting down" };
    return { status: "ok" };
  }

  /** Why a write must be refused now, if it must: before deciding anything, so nothing is appended twice. */
  private writeRefusal(): ScriptlogError | null {
    const health = this.health();
    if (health.status === "ok") return null;
    return new ScriptlogError(health.status === "starting" ? "not_ready" : "log_unavailable", health.reason!);
  }

  async close(): Promise<void> {
    await this.lastEnqueued; // requests being derived are appended, not dropped
    await this.log.close();
    await this.checkpointer?.stop();
    await this.derivations.close();
    // Next start-up projects only what follows this point, once the read models hold what the write state does.
    await this.projection.until(this.writeState.seq).catch(() => undefined);
    if (this.options.snapshots && this.log.isReplayed && this.failure === null && this.models.seq === this.writeState.seq)
      await writeSnapshots(this.models, this.writeState, this.options.snapshots.dir, this.log.dir);
    this.subscription?.unsubscribe();
    this.projected$.complete();
  }

  /**
   * Records an attempt as the API does, answering once its events are durable in the log and in the write
   * side's state; the read models follow a moment later (reads wait for them with ?min_seq). `options.sessionAssigned`
   * is for `import --jsonl` of an export: the session the body names was once chosen by the service, and session
   * inference must still know it. `options.recordedBy` names the API token the request came with.
   */
  async recordAttempt(received: AttemptBody, options: RecordOptions = {}): Promise<RecordOutcome> {
    // Read models that stopped following the log may have stopped the write state too: a retry would be appended again.
    const refusal = this.writeRefusal();
    if (refusal) throw refusal;
    checkGeneration(this.models.states.contexts.catalog, received);
    // The hash is of the body as received, so a retry still matches; what is stored has its secrets cut out.
    const request_hash = sha256(canonicalBody(received));
    // Redacted on a worker (here if it fails), and decided in turn: redaction takes longer for a longer body, and
    // a retry sent right after its failure must not be decided first.
    const job = this.derivations.redact(received).catch(() => redactAttempt(this.redactor, received));
    const redacted = this.lastRedacted.then(() => job);
    this.lastRedacted = redacted.catch(() => undefined);
    const { attempt: body, redactions } = await redacted;
    const command: RecordAttempt = {
      type: "RecordAttempt",
      body,
      // Chosen once: a request decided again after a conflict must not become a second attempt.
      log_id: body.log_id ?? randomUUID(),
      request_hash,
      new_session_id: randomUUID(),
      now: new Date().toISOString(),
      session_assigned: options.sessionAssigned,
      recorded_by: options.recordedBy,
      redactions: Object.keys(redactions).length > 0 ? redactions : undefined,
    };
    // Another writer may append first (JetStream): then see what it wrote, and decide again from there.
    return retryOnAppendConflict(
      this.log,
      (seq) => this.evolved.until(seq),
      () => this.decideAndAppend(command),
    );
  }

  private async decideAndAppend(command: RecordAttempt): Promise<RecordOutcome> {
    const decision = decide(command, this.pending);
    if (decision.kind === "repeat") {
      const result = await (this.inFlight.get(command.log_id) ?? this.settledResult(command.log_id));
      return { result, seq: this.writeState.seq, replayed: command.body.log_id !== undefined };
    }
    const answer = this.append(decision.events, decision.fixes);
    this.inFlight.set(command.log_id, answer);
    try {
      const result = await answer;
      return { result, seq: this.writeState.seq, replayed: false };
    } finally {
      this.inFlight.delete(command.log_id);
    }
  }

  /**
   * Appends a request's events after the requests decided before it (a later one may refer to an earlier one:
   * previous_attempt_id, a fix), while a worker derives the attempt's facts; answers once the events are in the
   * write state, with the error the facts found.
   */
  private async append(events: EventDraft[], fixes: string[]): Promise<AttemptResult> {
    const attempt = events[0] as AttemptEventDraft;
    const facts = this.derivations.prepare(this.models, attempt.type, attempt.data);
    this.pending.add(events);
    try {
      let appended!: Promise<StoredEvent[]>;
      const enqueued = Promise.all([this.lastEnqueued, facts]).then(() => {
        appended = this.log.append(events);
      });
      this.lastEnqueued = enqueued;
      await enqueued;
      const stored = await appended;
      const lastSeq = stored[stored.length - 1].envelope.seq;
      await this.evolved.until(lastSeq);
      if (this.autoContext)
        void this.untilProjected(lastSeq).then(
          () => this.autoContext?.afterAttempt(),
          () => undefined,
        );
      const derived = (await facts)?.derived;
      if (!derived) return this.settledResult(attempt.data.log_id); // the worker failed: the projection derives them
      const failure = "error_type" in derived ? derived : null;
      return {
        log_id: attempt.data.log_id,
        session_id: attempt.data.session_id,
        status: attempt.type === "AttemptFailed" ? "failed" : "success",
        error_type: failure?.error_type ?? null,
        error_category: failure?.error_category ?? null,
        fixed: fixes,
      };
    } finally {
      this.pending.settle(events);
    }
  }

  /** The answer to an attempt already in the log, once the read models hold it. */
  private async settledResult(logId: string): Promise<AttemptResult> {
    await this.projection.until(this.writeState.seq).catch(() => undefined);
    if (this.failure) {
      throw new ScriptlogError("log_unavailable", `stored, but the read models stopped following the log: ${this.failure.message}`, {
        log_id: logId,
        stored: true,
      });
    }
    return this.resultOf(logId);
  }

  private resultOf(logId: string): AttemptResult {
    const record = this.record(logId);
    return {
      log_id: record.log_id,
      session_id: record.session_id,
      status: record.status,
      error_type: record.error_type,
      error_category: record.error_category,
      fixed: record.status === "success" ? this.fixedBy(record) : [],
    };
  }

  private fixedBy(success: AttemptRecord): string[] {
    const session = sessionView(this.models.states.sessions, success.session_id);
    return (session?.attempts ?? []).filter((a) => a.fixed_by === success.log_id).map((a) => a.log_id);
  }

  record(logId: string): AttemptRecord {
    return this.queries.record(logId);
  }

  /**
   * Records that the webhook acknowledged an alert, so it is never sent again. Nothing in it is decided from the
   * log, so after another writer appended first it is simply appended again.
   */
  async recordAlertSent(data: AlertSentData): Promise<void> {
    await retryOnAppendConflict(
      this.log,
      async () => undefined,
      () => this.log.append([{ type: "AlertSent", data }]),
    );
  }

  /** The log's lines as stored, after a seq: for auditors and replicas. */
  rawEvents(afterSeq: number): AsyncGenerator<string> {
    return rawEventLines(this.log.dir, afterSeq);
  }

  async latestCheckpoint(): Promise<{ checkpoint: Checkpoint; note: string }> {
    const latest = await latestCheckpointFile(this.log.dir);
    if (!latest) throw new ScriptlogError("not_found", "no checkpoint yet: the server signs them when started with SIGNING_KEY", {});
    return { checkpoint: parseCheckpoint(latest.text).checkpoint, note: latest.text };
  }
}

function canonicalBody(body: AttemptBody): string {
  try {
    return canonicalJson(body);
  } catch (err) {
    throw new ScriptlogError("validation_failed", `the body cannot be stored: ${(err as Error).message}`, {
      problems: [{ path: "/", message: (err as Error).message }],
    });
  }
}

function sha256(text: string): string {
  return hash("sha256", text, "hex");
}
