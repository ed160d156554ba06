// The event log on a NATS JetStream stream. The stream is the system of record: one message per envelope, its
// stream sequence the envelope's seq. Each process follows the stream with an ordered consumer into a local
// mirror — daily JSONL files byte-identical to what the file store holds — from which replays, snapshots and
// whole entries are read, so everything above the store works as it does on files.
//
// Appends publish with Nats-Expected-Last-Sequence set to the writer's head, so the chain stays single with
// several writers: a writer that lost the race is told "wrong last sequence", catches up from the stream and
// the service decides the request again (AppendConflict).
import { mkdir } from "node:fs/promises";
import { concat, Observable, Subject, tap } from "rxjs";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  DeliverPolicy,
  jetstream,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type PubAck,
  type StreamExpectations,
} from "@nats-io/jetstream";
import { EMPTY_HEAD, type ChainHead } from "../../events/chain.js";
import { checkDrafts, sealDrafts } from "../../events/seal.js";
import type { Envelope, EventDraft, EventLocation, StoredEvent } from "../../events/types.js";
import { upcast } from "../../events/upcasters.js";
import { ScriptlogError } from "../../errors.js";
import { EnvelopeReader } from "../envelopeReader.js";
import { acquireLock, type LogLock } from "../lock.js";
import { readLog, type ReadOptions, type TornTail } from "../logReader.js";
import { SeqWaiters } from "../seqWaiters.js";
import { connectNats, ensureStream, subjectFor, type JetStreamSettings } from "./stream.js";
import { retried, StreamMirror, streamEnd } from "./streamMirror.js";

export interface JetStreamLogOptions {
  onTornTail?: (tail: TornTail) => void;
  now?: () => Date;
}

interface PendingAppend {
  drafts: EventDraft[];
  resolve: (events: StoredEvent[]) => void;
  reject: (err: Error) => void;
}

/** How long the follower waits for a message the stream holds before it follows afresh with a new consumer. */
const STALL_MS = 2_000;
/** How often an idle follower, with no one waiting, checks that it has missed nothing. */
const IDLE_CHECK_MS = 15_000;

/** The stream's last message is not the one this writer sealed against: catch up and decide again. */
export const APPEND_CONFLICT = "append_conflict";

export class JetStreamLog {
  readonly appended$ = new Subject<StoredEvent>();
  /** What the local mirror holds: the head of the verified chain. */
  private head: ChainHead = EMPTY_HEAD;
  /** The head this writer's next events are sealed against: ahead of `head` while its publishes are in flight. */
  private sealHead: ChainHead | null = null;
  private lastRecordedAt = "";
  private following = false;
  private caughtUp = false;
  private closed = false;
  private failure: Error | null = null;
  private pending: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;
  /**
   * Events this writer published, by seq, waiting for the follower to mirror them. The follower passes on
   * these very objects (the same data objects the service derived facts for while they were written).
   */
  private readonly expected = new Map<number, { envelope: Envelope; arrived: (event: StoredEvent) => void }>();
  private readonly mirrorReached = new SeqWaiters(() => this.head.seq);
  private stopConsumer: (() => void) | null = null;
  private closeMirror: () => void = () => undefined;
  private markReplayed!: () => void;
  /** Resolves once the mirror holds the whole stream as it stood when this process started to follow it. */
  readonly replayed = new Promise<void>((resolve) => (this.markReplayed = resolve));

  private readonly reader: EnvelopeReader;
  private readonly js: JetStreamClient;

  private constructor(
    readonly dir: string,
    private readonly lock: LogLock,
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    readonly settings: JetStreamSettings,
    private readonly options: JetStreamLogOptions,
  ) {
    this.reader = new EnvelopeReader(dir);
    this.js = jetstream(nc);
  }

  /** Takes the local mirror's lock, connects, and creates the stream if it does not exist. */
  static async open(dir: string, settings: JetStreamSettings, options: JetStreamLogOptions = {}): Promise<JetStreamLog> {
    await mkdir(dir, { recursive: true });
    const lock = await acquireLock(dir);
    try {
      const nc = await connectNats(settings, `scriptlog ${process.pid}`);
      try {
        return new JetStreamLog(dir, lock, nc, await ensureStream(nc, settings), settings, options);
      } catch (err) {
        await nc.close();
        throw err;
      }
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  get chainHead(): ChainHead {
    return this.head;
  }

  get isReplayed(): boolean {
    return this.caughtUp;
  }

  get writeFailure(): Error | null {
    return this.failure ?? (this.nc.isClosed() ? new Error("not connected to NATS") : null);
  }

  get isReady(): boolean {
    return this.caughtUp && this.failure === null && !this.closed && !this.nc.isClosed();
  }

  /** The mirror, verified, then the stream from where the mirror ends: the whole log, then every new event. */
  events$(replay: Pick<ReadOptions, "pace" | "trustThrough" | "mustReach"> = {}): Observable<StoredEvent> {
    const mirrored = readLog(this.dir, {
      ...replay,
      repairTornTail: true, // the stream still holds whatever the mirror lost
      onTornTail: this.options.onTornTail,
      onEnd: (head, _lastFile, lastLine) => {
        this.head = head;
        if (lastLine) this.lastRecordedAt = this.reader.read(lastLine).recorded_at;
      },
    }).pipe(tap((event) => (this.lastRecordedAt = event.envelope.recorded_at)));
    return concat(
      mirrored,
      new Observable<StoredEvent>((subscriber) => {
        const subscription = this.appended$.subscribe(subscriber);
        this.follow();
        return subscription;
      }),
    );
  }

  /** Appends the events of one request; they are acknowledged once the stream has them and the mirror too. */
  async append(drafts: EventDraft[]): Promise<StoredEvent[]> {
    if (!this.isReady) {
      throw this.failure
        ? new ScriptlogError("log_unavailable", `the log stopped accepting writes: ${this.failure.message}`)
        : new ScriptlogError(
            this.caughtUp ? "log_unavailable" : "not_ready",
            this.caughtUp ? "not connected to NATS" : "the log is still being replayed",
          );
    }
    checkDrafts(drafts);
    return new Promise((resolve, reject) => {
      this.pending.push({ drafts, resolve, reject });
      this.flushing ??= this.flush().finally(() => (this.flushing = null));
    });
  }

  /** Waits until the mirror holds everything the stream holds now (after a conflict, before deciding again). */
  async catchUp(): Promise<void> {
    const last = await this.streamLastSeq();
    await this.mirrorReached.until(last);
  }

  readEnvelope(location: EventLocation): Envelope {
    return this.reader.read(location);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    this.stopConsumer?.();
    await this.nc.close().catch(() => undefined);
    this.closeMirror();
    this.reader.close();
    this.appended$.complete();
    this.mirrorReached.fail(new ScriptlogError("log_unavailable", "the log was closed"));
    await this.lock.release();
  }

  private async streamLastSeq(): Promise<number> {
    try {
      return (await this.jsm.streams.info(this.settings.stream)).state.last_seq;
    } catch (err) {
      throw new ScriptlogError("log_unavailable", `stream ${this.settings.stream} did not answer: ${(err as Error).message}`);
    }
  }

  /** Follows the stream from where the mirror ends, writing each message to the mirror before passing it on. */
  private follow(): void {
    if (this.following) return;
    this.following = true;
    // The follower never gives up on a stream that is out of reach for a while; it follows again from where the
    // mirror ends.
    const run = async () => {
      const end = await retried(
        async () => streamEnd(await this.streamLastSeq(), this.head.seq, this.settings.stream, this.dir),
        Infinity,
        () => this.closed,
      );
      if (this.head.seq >= end) this.markCaughtUp();
      // A consumer that ends (stopped as stalled, or by the library) is followed by a new one from the mirror's head.
      while (!this.closed) {
        await retried(
          () => this.consume(end),
          Infinity,
          () => this.closed,
        );
      }
    };
    run().catch((err: Error) => {
      if (this.closed) return;
      this.failure = err;
      this.mirrorReached.fail(err);
      this.appended$.error(err);
    });
  }

  /** Mirrors and passes on every message after the mirror's head until the consumer is stopped or fails. */
  private async consume(end: number): Promise<void> {
    const mirror = new StreamMirror(this.dir, this.head, this.settings.stream);
    this.closeMirror = () => mirror.close();
    try {
      const consumer = await this.js.consumers.get(this.settings.stream, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: this.head.seq + 1,
      });
      const messages = await consumer.consume();
      this.stopConsumer = () => messages.stop();
      if (this.closed) messages.stop();
      let lastArrival = Date.now();
      const unwatch = this.watchForStall(
        () => messages.stop(),
        () => lastArrival,
      );
      try {
        for await (const message of messages) {
          lastArrival = Date.now();
          this.mirrorMessage(mirror, message.seq, message.data, end);
        }
      } finally {
        unwatch();
      }
    } finally {
      mirror.close();
    }
  }

  /** Writes one message to the mirror and passes it on, settling the append that published it if it is ours. */
  private mirrorMessage(mirror: StreamMirror, seq: number, data: Uint8Array, end: number): void {
    const { envelope, location } = mirror.accept(seq, Buffer.from(data));
    const mine = this.expected.get(envelope.seq);
    this.expected.delete(envelope.seq);
    const own = mine !== undefined && mine.envelope.hash === envelope.hash;
    const stored: StoredEvent = { envelope: own ? mine.envelope : upcast(envelope), location };
    this.head = mirror.head;
    if (envelope.recorded_at > this.lastRecordedAt) this.lastRecordedAt = envelope.recorded_at;
    this.appended$.next(stored);
    if (own) mine.arrived(stored);
    this.mirrorReached.advanced();
    if (!this.caughtUp && envelope.seq >= end) this.markCaughtUp();
  }

  /**
   * Stops a consumer that has gone quiet while the stream holds more than the mirror: after a stream leader is
   * lost, a consumer can stay silent for good (nats-server and its clients have known defects there), and an
   * append waits for its own event to be mirrored. Checked after 2 s of quiet while anyone waits, 15 s otherwise.
   */
  private watchForStall(stop: () => void, lastArrival: () => number): () => void {
    let checking = false;
    const timer = setInterval(() => {
      const waiting = this.expected.size > 0 || this.mirrorReached.waiting;
      if (checking || Date.now() - lastArrival() < (waiting ? STALL_MS : IDLE_CHECK_MS)) return;
      checking = true;
      this.streamLastSeq()
        .then((last) => {
          if (last > this.head.seq && Date.now() - lastArrival() >= STALL_MS) stop();
        })
        .catch(() => undefined) // between leaders: look again on the next tick
        .finally(() => (checking = false));
    }, STALL_MS / 4);
    timer.unref();
    return () => clearInterval(timer);
  }

  private markCaughtUp(): void {
    this.caughtUp = true;
    this.markReplayed();
  }

  private async flush(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.splice(0);
      try {
        await this.publish(batch);
      } catch (err) {
        // Whatever went wrong, the next batch is sealed against what the stream really holds.
        this.sealHead = null;
        const error =
          err instanceof ScriptlogError ? err : new ScriptlogError("log_unavailable", `append failed: ${(err as Error).message}`);
        for (const p of batch) p.reject(error);
      }
    }
  }

  /**
   * Seals the batch's events against the writer's head and publishes them all at once, each expecting the one
   * before it as the stream's last message; JetStream applies them in order, so either a request's events
   * follow the head or the first to find another writer's event there — and every one after it — is refused.
   */
  private async publish(batch: PendingAppend[]): Promise<void> {
    if (this.sealHead === null) {
      await this.catchUp();
      this.sealHead = this.head;
    }
    const drafts = batch.flatMap((p) => p.drafts);
    const sealed = sealDrafts(drafts, this.sealHead, this.nextRecordedAt()).map((s, i) => ({ ...s, draft: drafts[i] }));
    const arrivals = sealed.map(
      ({ envelope }) => new Promise<StoredEvent>((arrived) => this.expected.set(envelope.seq, { envelope, arrived })),
    );
    // Each message after the first also expects the one before it by its message id: were that one refused and
    // another writer's event taken at its seq, this one would still find the expected last sequence and land
    // with a prev_hash that is not the hash before it.
    const acks = await Promise.allSettled(
      sealed.map(({ envelope, line, draft }, i) => {
        const expect: Partial<StreamExpectations> = { lastSequence: envelope.seq - 1 };
        if (i > 0) expect.lastMsgID = messageId(sealed[i - 1]);
        const { subject, unique } = subjectFor(this.settings.stream, draft);
        if (unique) expect.lastSubjectSequence = 0;
        return this.js.publish(subject, line, { msgID: messageId(sealed[i]), expect });
      }),
    );
    let next = 0;
    let failed: ScriptlogError | null = null;
    for (const p of batch) {
      const mine = acks.slice(next, next + p.drafts.length);
      const events = arrivals.slice(next, next + p.drafts.length);
      const firstSeq = sealed[next].envelope.seq;
      next += p.drafts.length;
      failed ??= mine.map((ack, i) => refusal(ack, firstSeq + i)).find((r) => r !== null) ?? null;
      if (failed) {
        for (let s = firstSeq; s < firstSeq + p.drafts.length; s++) this.expected.delete(s);
        p.reject(failed);
      } else {
        Promise.all(events).then(p.resolve, p.reject);
      }
    }
    if (failed) {
      this.sealHead = null;
      return;
    }
    const last = sealed[sealed.length - 1].envelope;
    this.sealHead = { seq: last.seq, hash: last.hash };
  }

  private nextRecordedAt(): string {
    // Never before the last event seen, whoever wrote it, so daily files stay in order across writers' clocks.
    const now = (this.options.now ?? (() => new Date()))().toISOString();
    this.lastRecordedAt = now > this.lastRecordedAt ? now : this.lastRecordedAt;
    return this.lastRecordedAt;
  }
}

/** An attempt's message id is its log_id, so JetStream deduplicates a retried attempt; any other event's is its id. */
function messageId({ envelope, draft }: { envelope: Envelope; draft: EventDraft }): string {
  return isAttempt(draft) ? draft.data.log_id : envelope.id;
}

function isAttempt(draft: EventDraft): draft is Extract<EventDraft, { type: "AttemptFailed" | "AttemptSucceeded" }> {
  return draft.type === "AttemptFailed" || draft.type === "AttemptSucceeded";
}

/** Why a publish did not put the event where it was sealed to go, or null if it did. */
function refusal(ack: PromiseSettledResult<PubAck>, seq: number): ScriptlogError | null {
  if (ack.status === "fulfilled") {
    if (!ack.value.duplicate && ack.value.seq === seq) return null;
    // A duplicate: an attempt with this log_id is already in the stream, at another place.
    return new ScriptlogError(APPEND_CONFLICT, `the stream already holds this event at seq ${ack.value.seq}`);
  }
  const err = ack.reason as Error;
  // 10071: wrong last sequence (or subject sequence); 10070: wrong last message id.
  if (err instanceof JetStreamApiError && (err.code === 10071 || err.code === 10070)) {
    return new ScriptlogError(APPEND_CONFLICT, `another writer appended first (${err.message})`);
  }
  return new ScriptlogError("log_unavailable", `the stream did not take the event: ${err.message}`);
}
