// The hash chain: hash = sha256_hex(prev_hash + "\n" + RFC 8785 canonical JSON of the envelope without `hash`).
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import type { Envelope } from "./types.js";

export const GENESIS_HASH = "0".repeat(64);

export function envelopeHash(envelope: Omit<Envelope, "hash">): string {
  return sha256Hex(envelope.prev_hash + "\n" + canonicalJson(envelope));
}

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("value has no JSON form");
  return text;
}

/** One log line: the canonical JSON of the whole envelope, so its text without `hash` is what was hashed. */
export function envelopeLine(envelope: Envelope): string {
  return canonicalJson(envelope);
}

const HASH_MEMBER = ',"hash":"';

/**
 * Checks an envelope's hash against its line. Lines we wrote are canonical, so cutting the `hash` member
 * out of the text gives the hashed bytes without re-canonicalising; other lines fall back to the slow path.
 */
export function lineHashMatches(line: string, envelope: Envelope): boolean {
  // `hash` sorts between `data` and `id`; the members after it hold no objects, so the last match is the top-level one.
  const at = line.lastIndexOf(HASH_MEMBER);
  if (at >= 0) {
    const unhashed = line.slice(0, at) + line.slice(at + HASH_MEMBER.length + 64 + 1);
    if (sha256Hex(envelope.prev_hash + "\n" + unhashed) === envelope.hash) return true;
  }
  const { hash, ...rest } = envelope;
  return envelopeHash(rest) === hash;
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
