// Older versions of an event, turned into the current one on read. The stored line (and its hash) never
// changes; projections and entries only ever see current-version data.
import { CURRENT_VERSION } from "./schemas.js";
import type { Envelope, EventType } from "./types.js";

type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

// Version 1 attempts do not say who chose the session. Assume the client did: inference must never
// override links a client may have sent, so a version 1 attempt is never joined to an inferred session.
const recordSessionAssigned: Upcaster = (data) => ({ ...data, session_assigned: false });

/** UPCASTERS[type][v] turns version v of an event's data into version v + 1. */
export const UPCASTERS: Partial<Record<EventType, Record<number, Upcaster>>> = {
  AttemptFailed: { 1: recordSessionAssigned },
  AttemptSucceeded: { 1: recordSessionAssigned },
};

/** The envelope with its data at the current version of its type (the same object if it already is). */
export function upcast(envelope: Envelope): Envelope {
  const target = CURRENT_VERSION[envelope.type];
  if (envelope.version === target) return envelope;
  let data = envelope.data as unknown as Record<string, unknown>;
  for (let v = envelope.version; v < target; v++) {
    const step = UPCASTERS[envelope.type]?.[v];
    if (!step) throw new Error(`no upcaster for ${envelope.type} version ${v}`);
    data = step(data);
  }
  return { ...envelope, version: target, data } as unknown as Envelope;
}
