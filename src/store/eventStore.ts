// What the service needs of an event log, whichever engine holds it: the daily files on this machine
// (EventLog) or a NATS JetStream stream mirrored into them (JetStreamLog).
import type { Observable } from "rxjs";
import type { ChainHead } from "../events/chain.js";
import type { Envelope, EventDraft, EventLocation, StoredEvent } from "../events/types.js";
import type { ReadOptions } from "./logReader.js";

export interface EventStore {
  /** The directory of daily files: the log itself, or the local mirror of the stream. */
  readonly dir: string;
  /** Resolves once this process has read the whole log as it stood when it started. */
  readonly replayed: Promise<void>;
  readonly chainHead: ChainHead;
  readonly isReplayed: boolean;
  /** Appends are accepted now. */
  readonly isReady: boolean;
  /** Why appends are refused after replay, if they are (a failed write, a store out of reach). */
  readonly writeFailure: Error | null;
  /** The whole log, verified, then every event appended after it, in seq order. */
  events$(replay?: Pick<ReadOptions, "pace" | "trustThrough" | "mustReach">): Observable<StoredEvent>;
  /**
   * Appends the events of one request together. Rejects with `append_conflict` when another writer appended
   * first: the caller catches up and decides the request again.
   */
  append(drafts: EventDraft[]): Promise<StoredEvent[]>;
  /** Waits until this process has seen every event the log holds now. */
  catchUp(): Promise<void>;
  readEnvelope(location: EventLocation): Envelope;
  close(): Promise<void>;
}
