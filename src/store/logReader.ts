// Replays a log directory as an Observable of verified events, each with where its line lies.
import { open } from "node:fs/promises";
import path from "node:path";
import { Observable } from "rxjs";
import { ChainVerifier, type ChainHead } from "../events/chain.js";
import type { EventLocation, StoredEvent } from "../events/types.js";
import { upcast } from "../events/upcasters.js";
import { LogCorruptError } from "../errors.js";
import { liveLogFiles } from "./logFiles.js";
import { readBoundary } from "./archiveBoundary.js";
import { quarantineTail } from "./quarantine.js";

export interface TornTail {
  file: string;
  offset: number;
  bytes: number;
  repaired: boolean;
  /** Where the cut bytes were kept, when repaired. */
  quarantine?: string;
}

/** A seq the log is known to have reached, and what knows it (a snapshot, a checkpoint). */
export interface KnownHead {
  seq: number;
  by: string;
  /**
   * An event of the log it was made from: when this log holds another event at that seq, it is another log
   * and proves nothing about this one.
   */
  anchor?: ChainHead;
}

export interface ReadOptions {
  /**
   * Cut a torn final line off the last file, keeping its bytes in a quarantine file (only the process holding
   * the lock may). Only ever once the log is known to reach every `mustReach` seq.
   */
  repairTornTail?: boolean;
  /**
   * Seqs that other records prove the log once held: a log that ends before one of them lost acknowledged
   * events (a file cut short, a file removed), and reading it fails — before anything is cut.
   */
  mustReach?: KnownHead[];
  onTornTail?: (tail: TornTail) => void;
  /** Called once the whole log is read, with the head of its chain and where its last line lies. */
  onEnd?: (head: ChainHead, lastFile: LastFile | null, lastLine: EventLocation | null) => void;
  /**
   * The head of a snapshot: the lines up to it were checked in full when the snapshot was made, so only their
   * links in the chain are checked (see ChainVerifier.acceptLink), and they are not passed on.
   */
  trustThrough?: ChainHead;
  /** Called after each chunk of lines is passed on; reading waits for the promise it may return (backpressure). */
  pace?: () => Promise<void> | undefined;
}

export interface LastFile {
  name: string;
  size: number;
}

const CHUNK = 4 * 1024 * 1024;
const NEWLINE = 0x0a;

export function readLog(dir: string, options: ReadOptions = {}): Observable<StoredEvent> {
  return new Observable<StoredEvent>((subscriber) => {
    let stopped = false;
    const run = async () => {
      // After an archive, the live chain continues from the last archived event.
      const boundary = readBoundary(dir);
      const files = await liveLogFiles(dir);
      const chain = new ChainVerifier(boundary ? { seq: boundary.seq, hash: boundary.hash } : undefined);
      let lastFile: LastFile | null = null;
      // Where the last line lies, updated in place: an object per line a snapshot covers would be garbage.
      const lastLine: EventLocation = { file: "", offset: -1, length: 0 };
      const trust = options.trustThrough;
      // The hash this log holds at each anchor's seq, to set aside evidence from another log.
      const anchors = new Map<number, string | null>();
      for (const known of options.mustReach ?? []) if (known.anchor) anchors.set(known.anchor.seq, null);
      const noteAnchor = () => {
        if (anchors.has(chain.current.seq)) anchors.set(chain.current.seq, chain.current.hash);
      };
      const ofThisLog = (known: KnownHead) => {
        const held = known.anchor && anchors.get(known.anchor.seq);
        return !held || held === known.anchor!.hash;
      };
      for (let i = 0; i < files.length && !stopped; i++) {
        const file = files[i];
        const isLast = i === files.length - 1;
        const filePath = path.join(dir, file);
        const scan = await scanLines(
          filePath,
          (line, offset, length, lineNumber) => {
            lastLine.file = file;
            lastLine.offset = offset;
            lastLine.length = length;
            if (trust && chain.current.seq < trust.seq) {
              chain.acceptLink(line, file, lineNumber);
              if (anchors.size) noteAnchor();
              if (chain.current.seq === trust.seq && chain.current.hash !== trust.hash) {
                throw new LogCorruptError(file, lineNumber, trust.seq, "hash is not the one the snapshot was made at");
              }
              return !stopped;
            }
            const envelope = chain.accept(line, file, lineNumber);
            if (anchors.size) noteAnchor();
            subscriber.next({ envelope: upcast(envelope), location: { file, offset, length } });
            return !stopped;
          },
          options.pace,
        );
        let size = scan.size;
        if (scan.tail) {
          if (!isLast) {
            throw new LogCorruptError(file, scan.tail.lineNumber, null, "line has no end, in a file that is not the last");
          }
          size = scan.tail.offset;
        }
        lastFile = { name: file, size };
        if (isLast && !stopped) {
          checkReached(chain.current.seq, (options.mustReach ?? []).filter(ofThisLog), file, scan.tail ? scan.tail.lineNumber : scan.lines);
          if (scan.tail) {
            const repaired = options.repairTornTail === true;
            const quarantine = repaired ? await quarantineTail(dir, file, scan.tail.offset) : undefined;
            options.onTornTail?.({ file, offset: scan.tail.offset, bytes: scan.size - scan.tail.offset, repaired, quarantine });
          }
        }
      }
      if (stopped) return;
      if (files.length === 0) checkReached(chain.current.seq, options.mustReach ?? [], "(no daily file)", 0);
      if (trust && chain.current.seq < trust.seq) {
        throw new LogCorruptError(
          lastFile?.name ?? "(no file)",
          0,
          chain.current.seq,
          `the log ends before seq ${trust.seq}, where the snapshot was made`,
        );
      }
      options.onEnd?.(chain.current, lastFile, lastLine.offset < 0 ? null : { ...lastLine });
      subscriber.complete();
    };
    run().catch((err) => subscriber.error(err));
    return () => {
      stopped = true;
    };
  });
}

/** Refuses a log that ends before a seq something else proves it held, naming what is missing and who knows. */
function checkReached(end: number, known: KnownHead[], file: string, line: number): void {
  const beyond = known.filter((k) => k.seq > end).sort((a, b) => b.seq - a.seq);
  if (beyond.length === 0) return;
  const by = beyond.map((k) => `${k.by} (seq ${k.seq})`).join(", ");
  throw new LogCorruptError(
    file,
    line,
    end,
    `the log ends at seq ${end}, but ${by} proves it held events up to seq ${beyond[0].seq}: ` +
      `events ${end + 1}..${beyond[0].seq} are missing (a daily file cut short or removed?); nothing was changed`,
  );
}

interface ScanResult {
  size: number;
  /** Complete lines read. */
  lines: number;
  /** Bytes after the last newline: a line cut short by a crash. */
  tail: { offset: number; lineNumber: number } | null;
}

/** Calls onLine for each complete line; the callback returns false to stop. */
async function scanLines(
  filePath: string,
  onLine: (line: string, offset: number, length: number, lineNumber: number) => boolean,
  pace?: () => Promise<void> | undefined,
): Promise<ScanResult> {
  const handle = await open(filePath, "r");
  try {
    let carry = Buffer.alloc(0);
    let carryOffset = 0;
    let position = 0;
    let lineNumber = 0;
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, position);
      if (bytesRead === 0) break;
      const chunk = carry.length ? Buffer.concat([carry, buffer.subarray(0, bytesRead)]) : buffer.subarray(0, bytesRead);
      const chunkOffset = carry.length ? carryOffset : position;
      position += bytesRead;
      let start = 0;
      for (let nl = chunk.indexOf(NEWLINE, start); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
        lineNumber++;
        if (!onLine(chunk.toString("utf8", start, nl), chunkOffset + start, nl - start, lineNumber)) {
          return { size: position, lines: lineNumber, tail: null };
        }
        start = nl + 1;
      }
      // Copy the unfinished line: `buffer` is reused by the next read.
      carry = Buffer.from(chunk.subarray(start));
      carryOffset = chunkOffset + start;
      await pace?.();
    }
    return { size: position, lines: lineNumber, tail: carry.length ? { offset: carryOffset, lineNumber: lineNumber + 1 } : null };
  } finally {
    await handle.close();
  }
}
