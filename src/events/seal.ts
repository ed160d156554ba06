// Sealing: drafts become the next envelopes of the chain, each hashed over the one before it. Every store seals
// the same way, so a stream's messages are the very lines the daily files hold.
import { randomUUID } from "node:crypto";
import { sealEnvelope } from "./envelope.js";
import { CURRENT_VERSION } from "./schemas.js";
import type { Envelope, EventDraft } from "./types.js";
import { dataProblems } from "./validation.js";
import { ScriptlogError } from "../errors.js";

/** Refuses drafts whose data does not match their type's schema (the envelope's own fields are made here). */
export function checkDrafts(drafts: readonly EventDraft[]): void {
  for (const draft of drafts) {
    const problems = dataProblems(draft.type, CURRENT_VERSION[draft.type], draft.data);
    if (problems.length) throw new ScriptlogError("validation_failed", `${draft.type} does not match its schema`, { problems });
  }
}

export function sealDrafts(
  drafts: readonly EventDraft[],
  after: { seq: number; hash: string },
  recordedAt: string,
): Array<{ envelope: Envelope; line: string }> {
  let { seq, hash } = after;
  const sealed: Array<{ envelope: Envelope; line: string }> = [];
  for (const draft of drafts) {
    seq += 1;
    // Built by assignment in one shape: a spread here would give nearly every envelope its own hidden class.
    const unhashed = {
      seq,
      id: randomUUID(),
      type: draft.type,
      version: CURRENT_VERSION[draft.type],
      recorded_at: recordedAt,
      data: draft.data,
      prev_hash: hash,
    } as Omit<Envelope, "hash">;
    const result = sealEnvelope(unhashed);
    hash = result.envelope.hash;
    sealed.push(result);
  }
  return sealed;
}
