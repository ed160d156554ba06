// The hash chain: hash = sha256_hex(prev_hash + "\n" + RFC 8785 canonical JSON of the envelope without `hash`).
import { hash as digest } from "node:crypto";
import type { Envelope } from "./types.js";

export const GENESIS_HASH = "0".repeat(64);

export function envelopeHash(envelope: Omit<Envelope, "hash">): string {
  return chainHash(envelope.prev_hash, canonicalJson(envelope));
}

/**
 * The chain's one formula: sha256 hex of the previous hash, a newline, and the canonical text. (The one-shot
 * crypto.hash: it runs once per line on replay, where a Hash object per line cost a quarter of the time.)
 */
function chainHash(prevHash: string, canonicalText: string): string {
  return digest("sha256", prevHash + "\n" + canonicalText, "hex");
}

/**
 * RFC 8785 (JCS) canonical JSON: members sorted by UTF-16 code units, no whitespace, ECMAScript number and
 * string serialisation, lone surrogates refused. Written here rather than taken from the `canonicalize`
 * package because that one scans every string character by character in JS, which made it the largest
 * cost of an append; the test suite checks the two agree.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed()) throw new TypeError("a string holds a lone surrogate, which JSON cannot carry canonically");
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`${value} has no JSON form`);
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
      const record = value as Record<string, unknown>;
      const members: string[] = [];
      for (const key of Object.keys(record).sort()) {
        if (record[key] !== undefined) members.push(`${canonicalJson(key)}:${canonicalJson(record[key])}`);
      }
      return `{${members.join(",")}}`;
    }
    default:
      throw new TypeError(`a ${typeof value} has no JSON form`);
  }
}

/**
 * Seals an envelope: its hash, and its log line — the canonical JSON of the whole envelope. The line is made
 * from the hashed text by inserting the `hash` member where it sorts (after `data`, before `id`), so each
 * event is serialised once.
 */
export function sealEnvelope(unhashed: Omit<Envelope, "hash">): { envelope: Envelope; line: string } {
  const text = canonicalJson(unhashed);
  const hash = chainHash(unhashed.prev_hash, text);
  // The members after `id` hold no objects, so the last `,"id":"` is the top-level one.
  const at = text.lastIndexOf(',"id":"');
  return { envelope: { ...unhashed, hash } as Envelope, line: `${text.slice(0, at)},"hash":"${hash}"${text.slice(at)}` };
}

const HASH_MEMBER = ',"hash":"';

/** The hashed text of a canonical line: the line without its `hash` member, which starts at `at`. */
const withoutHashMember = (line: string, at: number) => line.slice(0, at) + line.slice(at + HASH_MEMBER.length + 64 + 1);

const PREV_HASH_MEMBER = ',"prev_hash":"';
const SEQ_MEMBER = ',"seq":';

/**
 * A line's place in the chain — its seq, prev_hash and hash — read from the text without parsing it, if the
 * line is canonical and its hash matches its content; null otherwise. The members after `data` hold no
 * objects, so the last match of each is the top-level one.
 */
export function chainLink(line: string): { seq: number; prev_hash: string; hash: string } | null {
  const at = line.lastIndexOf(HASH_MEMBER);
  const prevAt = line.lastIndexOf(PREV_HASH_MEMBER);
  const seqAt = line.lastIndexOf(SEQ_MEMBER);
  if (at < 0 || prevAt < at || seqAt < prevAt) return null;
  const hash = line.slice(at + HASH_MEMBER.length, at + HASH_MEMBER.length + 64);
  const prevHash = line.slice(prevAt + PREV_HASH_MEMBER.length, prevAt + PREV_HASH_MEMBER.length + 64);
  const seq = Number.parseInt(line.slice(seqAt + SEQ_MEMBER.length), 10);
  return Number.isSafeInteger(seq) && chainHash(prevHash, withoutHashMember(line, at)) === hash ? { seq, prev_hash: prevHash, hash } : null;
}

/**
 * Checks an envelope's hash against its line. Lines we wrote are canonical, so cutting the `hash` member
 * out of the text gives the hashed bytes without re-canonicalising; other lines fall back to the slow path.
 */
export function lineHashMatches(line: string, envelope: Envelope): boolean {
  // `hash` sorts between `data` and `id`; the members after it hold no objects, so the last match is the top-level one.
  const at = line.lastIndexOf(HASH_MEMBER);
  if (at >= 0) {
    if (chainHash(envelope.prev_hash, withoutHashMember(line, at)) === envelope.hash) return true;
  }
  const { hash, ...rest } = envelope;
  return envelopeHash(rest) === hash;
}
