// Appends signed checkpoints of the chain head while the server runs: at each daily file rollover (covering
// the day just closed), every N events, every M minutes with new events, and on shutdown.
import { parseCheckpoint, signCheckpoint, type SignerKey } from "../events/checkpoint.js";
import type { StoredEvent } from "../events/types.js";
import { latestCheckpointFile, writeCheckpointFile } from "../store/checkpointFiles.js";

export interface CheckpointPolicy {
  everyEvents: number;
  everyMs: number;
}

interface Head {
  seq: number;
  hash: string;
  file: string;
}

export class Checkpointer {
  private head: Head | null = null;
  private lastSeq = 0;
  private live = false;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly eventsDir: string,
    private readonly key: SignerKey,
    private readonly policy: CheckpointPolicy,
    private readonly onError: (err: Error) => void,
  ) {}

  /** After replay: from here on, rollovers and counts trigger checkpoints. */
  async start(): Promise<void> {
    const latest = await latestCheckpointFile(this.eventsDir);
    this.lastSeq = latest ? parseCheckpoint(latest.text).checkpoint.seq : 0;
    this.live = true;
    this.timer = setInterval(() => this.checkpoint(this.head), this.policy.everyMs);
    this.timer.unref();
    if (this.head && this.head.seq - this.lastSeq >= this.policy.everyEvents) this.checkpoint(this.head);
  }

  /** The head of the events replay did not pass on (those a snapshot covers). */
  resumeAt(head: Head): void {
    this.head = head;
  }

  observe({ envelope, location }: StoredEvent): void {
    const previous = this.head;
    this.head = { seq: envelope.seq, hash: envelope.hash, file: location.file };
    if (!this.live) return;
    if (previous && previous.file !== location.file) this.checkpoint(previous);
    if (this.head.seq - this.lastSeq >= this.policy.everyEvents) this.checkpoint(this.head);
  }

  /** Stops the timer and writes a last checkpoint if anything is new. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.live) this.checkpoint(this.head);
    this.live = false;
    await this.writing;
  }

  private checkpoint(head: Head | null): void {
    if (!head || head.seq <= this.lastSeq) return;
    this.lastSeq = head.seq;
    const text = signCheckpoint({ origin: this.key.name, seq: head.seq, hash: head.hash, time: new Date().toISOString() }, this.key);
    this.writing = this.writing.then(() => writeCheckpointFile(this.eventsDir, head.seq, text)).catch(this.onError);
  }
}
