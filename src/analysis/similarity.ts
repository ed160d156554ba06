// How alike two versions of a script are, line by line: the evidence that a later attempt retried an earlier one.
import { normaliseNewlines } from "./codeSummary.js";

/** 32-bit FNV-1a: small and stable, enough to tell lines apart within two scripts. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The distinct meaningful lines of a script (trimmed, no blanks or comments) as sorted hashes. */
export function lineSignature(code: string): Uint32Array {
  const hashes = new Set<number>();
  for (const raw of normaliseNewlines(code).split("\n")) {
    const line = raw.trim();
    if (line && !line.startsWith("#")) hashes.add(fnv1a(line));
  }
  return Uint32Array.from(hashes).sort();
}

/** Dice coefficient of two signatures: 1 for the same lines, 0 for none in common. */
export function lineSimilarity(a: Uint32Array, b: Uint32Array): number {
  if (a.length + b.length === 0) return 1;
  let common = 0;
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    if (a[i] === b[j]) {
      common++;
      i++;
      j++;
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return (2 * common) / (a.length + b.length);
}

/** Levenshtein distance, for pairing a removed name with the added name that replaced it. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
