// Checks each line of the log in order: JSON, schema of its type and version, seq continuity, hash chain.
import { LogCorruptError } from "../errors.js";
import { chainLink, GENESIS_HASH, lineHashMatches } from "./envelope.js";
import type { Envelope } from "./types.js";
import { envelopeProblems } from "./validation.js";

export interface ChainHead {
  seq: number;
  hash: string;
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

export class ChainVerifier {
  private head: ChainHead;

  constructor(start: ChainHead = EMPTY_HEAD) {
    this.head = { ...start };
  }

  get current(): ChainHead {
    return this.head;
  }

  /** The envelope a line holds, if it is the valid next link of the chain; throws LogCorruptError with its place otherwise. */
  accept(line: string, file: string, lineNumber: number): Envelope {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new LogCorruptError(file, lineNumber, null, `not valid JSON (${(err as Error).message})`);
    }
    const seqOf = (v: unknown) => (typeof (v as Envelope)?.seq === "number" ? (v as Envelope).seq : null);
    const problems = envelopeProblems(value);
    if (problems.length) {
      const list = problems.map((p) => `${p.path}: ${p.message}`).join("; ");
      throw new LogCorruptError(file, lineNumber, seqOf(value), `does not match its schema (${list})`);
    }
    const envelope = value as Envelope;
    this.link(envelope, file, lineNumber);
    if (!lineHashMatches(line, envelope)) {
      throw new LogCorruptError(file, lineNumber, envelope.seq, "hash does not match the event's content");
    }
    this.head = { seq: envelope.seq, hash: envelope.hash };
    return envelope;
  }

  /**
   * Checks only that a line is the next link of the chain: its hash matches its text and follows the hash
   * before it. For lines a snapshot covers: they were checked in full when the snapshot was made, and a chain
   * that still ends at the snapshot's head hash proves they are the same bytes. A line that is not canonical
   * JSON, or whose hash does not match, gets the full check (and its precise complaint).
   */
  acceptLink(line: string, file: string, lineNumber: number): void {
    const link = chainLink(line);
    if (!link) {
      this.accept(line, file, lineNumber);
      return;
    }
    this.link(link, file, lineNumber);
    this.head = { seq: link.seq, hash: link.hash };
  }

  private link({ seq, prev_hash }: { seq: number; prev_hash: string }, file: string, lineNumber: number): void {
    const expected = this.head.seq + 1;
    if (seq !== expected) throw new LogCorruptError(file, lineNumber, seq, `seq ${seq} where ${expected} was expected`);
    if (prev_hash !== this.head.hash) throw new LogCorruptError(file, lineNumber, seq, "prev_hash does not match the hash of the event before it");
  }
}
