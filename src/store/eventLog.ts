// The append-only log: replays the daily files once, then appends events with group commit.
// Every append is acknowledged only after its bytes are fsync'd; all events waiting while one fsync runs
// share the next write and the next fsync, so throughput grows with concurrency instead of collapsing.
import { mkdir, open, rm, stat, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { concat, Observable, Subject, tap } from "rxjs";
import { EMPTY_HEAD, type ChainHead } from "../events/chain.js";
import { checkDrafts, sealDrafts } from "../events/seal.js";
import type { Envelope, EventDraft, EventLocation, StoredEvent } from "../events/types.js";
import { ScriptlogError } from "../errors.js";
import { EnvelopeReader } from "./envelopeReader.js";
import type { EventStore } from "./eventStore.js";
import { acquireLock, type LogLock } from "./lock.js";
import { dailyFileName } from "./logFiles.js";
import { readLog, type LastFile, type ReadOptions, type TornTail } from "./logReader.js";
import { quarantineTail } from "./quarantine.js";

/** The two calls that make an append durable; tests put faults in them (a full disk, a failing fsync). */
export interface LogIo {
  write(handle: FileHandle, bytes: Buffer, offset: number, length: number): Promise<number>;
  datasync(handle: FileHandle): Promise<void>;
}

export const DIRECT_IO: LogIo = {
  write: async (handle, bytes, offset, length) => (await handle.write(bytes, offset, length)).bytesWritten,
  datasync: (handle) => handle.datasync(),
};

export interface EventLogOptions {
  onTornTail?: (tail: TornTail) => void;
  /** Told when writes stop after a failure, and when they resume. */
  onWriteState?: (message: string) => void;
  /** How often a log that stopped writing probes whether it can write again. Default 1000 ms. */
  writeProbeMs?: number;
  io?: LogIo;
  /** The clock, for tests of day rollover. */
  now?: () => Date;
}

interface PendingAppend {
  drafts: EventDraft[];
  resolve: (events: StoredEvent[]) => void;
  reject: (err: Error) => void;
}

interface OpenFile {
  name: string;
  handle: FileHandle;
  size: number;
  /** The inode the handle writes, to notice the file being removed or replaced under us. */
  ino: number;
}

export class EventLog implements EventStore {
  /** Every event appended after replay, in seq order, emitted once it is durable. */
  readonly appended$ = new Subject<StoredEvent>();
  private head: ChainHead = EMPTY_HEAD;
  private lastRecordedAt = "";
  private ready = false;
  private failure: Error | null = null;
  private pending: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;
  private current: OpenFile | null = null;
  private lastFileAtReplay: LastFile | null = null;
  /** Where the head's line lies: re-read before writing resumes after a failure. */
  private headLocation: EventLocation | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private markReady!: () => void;
  /** Resolves once the replay has reached the end of the log (and read models fed by it are complete). */
  readonly replayed = new Promise<void>((resolve) => (this.markReady = resolve));

  private readonly reader: EnvelopeReader;

  private constructor(
    readonly dir: string,
    private readonly lock: LogLock,
    private readonly options: EventLogOptions,
    /** The directory's inode at open: a directory removed (or replaced) under a running log is noticed. */
    private readonly dirIno: number,
  ) {
    this.reader = new EnvelopeReader(dir);
  }

  /** Takes the directory's writer lock; the log accepts appends once replay() has run to its end. */
  static async open(dir: string, options: EventLogOptions = {}): Promise<EventLog> {
    await mkdir(dir, { recursive: true });
    const lock = await acquireLock(dir);
    return new EventLog(dir, lock, options, (await stat(dir)).ino);
  }

  get chainHead(): ChainHead {
    return this.head;
  }

  /** Replay reached the end of the log (even if the log has stopped accepting writes since). */
  get isReplayed(): boolean {
    return this.ready;
  }

  get isReady(): boolean {
    return this.ready && !this.failure && !this.closed;
  }

  /** Why writes are refused until a probe succeeds, if they are. */
  get writeFailure(): Error | null {
    return this.failure;
  }

  /**
   * The whole log, verified (a torn final line is cut off), then every live append: one stream. `pace` may
   * hold the replay back between chunks while its consumer catches up; the events up to `trustThrough` (a
   * snapshot's head) are checked as links of the chain only, and not passed on. A log that ends before a
   * `mustReach` seq fails, and nothing is cut.
   */
  events$(replay: Pick<ReadOptions, "pace" | "trustThrough" | "mustReach"> = {}): Observable<StoredEvent> {
    return concat(this.replay$(replay), this.appended$);
  }

  private replay$(replay: Pick<ReadOptions, "pace" | "trustThrough" | "mustReach">): Observable<StoredEvent> {
    return readLog(this.dir, {
      ...replay,
      repairTornTail: true,
      onTornTail: this.options.onTornTail,
      onEnd: (head, lastFile, lastLine) => {
        this.head = head;
        // recorded_at never goes backwards, even when no event was passed on
        if (this.lastRecordedAt === "" && lastLine) this.lastRecordedAt = this.reader.read(lastLine).recorded_at;
        this.lastFileAtReplay = lastFile;
        this.headLocation = lastLine;
        this.ready = true;
        this.markReady();
      },
    }).pipe(tap((event) => (this.lastRecordedAt = event.envelope.recorded_at)));
  }

  /** Appends the events of one request atomically: all land in the same durable batch, or none do. */
  async append(drafts: EventDraft[]): Promise<StoredEvent[]> {
    if (!this.isReady) {
      throw this.failure
        ? new ScriptlogError("log_unavailable", `the log stopped accepting writes: ${this.failure.message}`)
        : new ScriptlogError("not_ready", "the log is still being replayed");
    }
    checkDrafts(drafts);
    return new Promise((resolve, reject) => {
      this.pending.push({ drafts, resolve, reject });
      this.flushing ??= this.flush().finally(() => (this.flushing = null));
    });
  }

  /** This process is the log's only writer: it has seen every event there is. */
  catchUp(): Promise<void> {
    return Promise.resolve();
  }

  /** Reads back the envelope at a location (the log is immutable, so this never goes stale). */
  readEnvelope(location: EventLocation): Envelope {
    return this.reader.read(location);
  }

  /** Finishes in-flight appends, then releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    while (this.flushing) await this.flushing;
    await this.current?.handle.close();
    this.reader.close();
    this.appended$.complete();
    await this.lock.release();
  }

  private async flush(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.splice(0);
      try {
        if (this.failure) throw this.failure;
        const stored = await this.commit(batch.flatMap((p) => p.drafts));
        let next = 0;
        const perRequest = batch.map((p) => stored.slice(next, (next += p.drafts.length)));
        // Read models see the events before the clients hear back, so a client reads its own writes.
        for (const event of stored) this.appended$.next(event);
        batch.forEach((p, i) => p.resolve(perRequest[i]));
      } catch (err) {
        // Any failure to write (opening the next daily file included) stops writing until a probe succeeds.
        if (!(err instanceof ScriptlogError)) this.stopWriting(err as Error);
        const error =
          err instanceof ScriptlogError ? err : new ScriptlogError("log_unavailable", `write failed: ${(err as Error).message}`);
        for (const p of batch) p.reject(error);
      }
    }
  }

  private async commit(drafts: EventDraft[]): Promise<StoredEvent[]> {
    const recordedAt = this.nextRecordedAt();
    const file = await this.fileFor(dailyFileName(recordedAt));
    let offset = file.size;
    const stored: StoredEvent[] = [];
    const lines: Buffer[] = [];
    const seals = sealDrafts(drafts, this.head, recordedAt);
    for (const sealed of seals) {
      const line = Buffer.from(sealed.line + "\n", "utf8");
      stored.push({ envelope: sealed.envelope, location: { file: file.name, offset, length: line.length - 1 } });
      lines.push(line);
      offset += line.length;
    }
    const bytes = Buffer.concat(lines);
    const io = this.options.io ?? DIRECT_IO;
    try {
      for (let written = 0; written < bytes.length;) written += await io.write(file.handle, bytes, written, bytes.length - written);
      await io.datasync(file.handle);
      await this.checkInPlace(file);
    } catch (err) {
      // Stop acknowledging: after a failed write or fsync the kernel's view of the file can no longer be
      // trusted. What reached the file was never acknowledged: cut it now (a probe checks again before
      // writing resumes), so a crash before then cannot turn it into events.
      this.stopWriting(err as Error);
      await this.cutUnacknowledged(file).catch(() => undefined);
      throw err;
    }
    file.size = offset;
    const last = seals[seals.length - 1].envelope;
    this.head = { seq: last.seq, hash: last.hash };
    this.headLocation = stored[stored.length - 1].location;
    return stored;
  }

  private stopWriting(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.options.onWriteState?.(`scriptlog: writes stopped: ${err.message}; probing until the log can be written again`);
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.closed) return;
    this.probeTimer = setTimeout(() => void this.probe(), this.options.writeProbeMs ?? 1000);
    this.probeTimer.unref();
  }

  /** Resumes writing once the directory takes a durable write again and the file ends where we left it. */
  private async probe(): Promise<void> {
    this.probeTimer = null;
    if (this.closed || !this.failure) return;
    try {
      await this.probeWrite();
      const file = this.current;
      await this.checkInPlace(file);
      if (file) {
        await this.cutUnacknowledged(file);
        await file.handle.close().catch(() => undefined); // a handle whose writeback failed is not reused
        this.current = null;
      }
      this.checkHead();
    } catch (err) {
      this.failure = err as Error;
      this.scheduleProbe();
      return;
    }
    this.failure = null;
    this.options.onWriteState?.(`scriptlog: writes resumed at seq ${this.head.seq}`);
  }

  /** A small file written and fsync'd beside the log, the way appends are. */
  private async probeWrite(): Promise<void> {
    const io = this.options.io ?? DIRECT_IO;
    const probe = path.join(this.dir, ".write-probe");
    const handle = await open(probe, "w");
    try {
      const bytes = Buffer.alloc(4096, 0x0a);
      for (let written = 0; written < bytes.length;) written += await io.write(handle, bytes, written, bytes.length - written);
      await io.datasync(handle);
    } finally {
      await handle.close();
      await rm(probe, { force: true });
    }
  }

  /**
   * Re-reads the daily file's end: bytes after what was acknowledged are kept aside and cut; a file shorter
   * than that lost acknowledged events, and writing never resumes over it.
   */
  private async cutUnacknowledged(file: OpenFile): Promise<void> {
    const { size } = await stat(path.join(this.dir, file.name));
    if (size < file.size) {
      throw new Error(
        `${file.name} is ${size} bytes, shorter than the ${file.size} bytes acknowledged: acknowledged events were lost; restart to have the log checked`,
      );
    }
    if (size > file.size) await quarantineTail(this.dir, file.name, file.size);
  }

  /** The head's line still reads back as the head: the chain resumes where it stopped. */
  private checkHead(): void {
    if (!this.headLocation) return;
    const envelope = this.reader.read(this.headLocation);
    if (envelope.seq !== this.head.seq || envelope.hash !== this.head.hash)
      throw new Error(`the log no longer holds seq ${this.head.seq} where it was written`);
  }

  /**
   * The bytes just made durable are where readers (and the next start-up) will look: the directory and the
   * daily file are still the ones opened. If either was removed or replaced, the write went into the void and
   * must not be acknowledged.
   */
  private async checkInPlace(file: OpenFile | null): Promise<void> {
    const [dirNow, fileNow] = await Promise.all([
      stat(this.dir).catch(() => null),
      file ? stat(path.join(this.dir, file.name)).catch(() => null) : null,
    ]);
    if (dirNow?.ino !== this.dirIno || (file && fileNow?.ino !== file.ino)) {
      throw new Error(
        `${dirNow?.ino === this.dirIno ? `the daily file ${file!.name}` : `the log directory ${this.dir}`} was removed or replaced ` +
          "while the log was open; writes are refused, as no one could read them back (restart to re-read the directory)",
      );
    }
  }

  /** recorded_at never goes backwards, even if the clock does, so daily files stay in order. */
  private nextRecordedAt(): string {
    const now = (this.options.now ?? (() => new Date()))().toISOString();
    this.lastRecordedAt = now > this.lastRecordedAt ? now : this.lastRecordedAt;
    return this.lastRecordedAt;
  }

  private async fileFor(name: string): Promise<OpenFile> {
    if (this.current?.name === name) return this.current;
    await this.current?.handle.close();
    const filePath = path.join(this.dir, name);
    const handle = await open(filePath, "a");
    const { size, ino } = await handle.stat();
    if (size === 0 && this.lastFileAtReplay?.name !== name) await fsyncDirectory(this.dir);
    this.current = { name, handle, size, ino };
    return this.current;
  }
}

/** A new file's directory entry must be durable too, or a crash could lose the whole file. */
async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads one event's line back, keeping each file open for the next read. */
