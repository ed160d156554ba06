// Worker thread: derives the facts of an attempt's own data (its traceback, code summary and line signature)
// off the event loop, while the main thread validates, appends and projects other requests.
import { parentPort } from "node:worker_threads";
import { attemptFacts } from "../projections/attemptFacts.js";
import type { AttemptData } from "../events/types.js";

parentPort!.on("message", ({ id, type, data }: { id: number; type: "AttemptFailed" | "AttemptSucceeded"; data: AttemptData }) => {
  let facts;
  const start = performance.now();
  try {
    facts = attemptFacts(type, data);
  } catch {
    facts = null; // derivation is total, so this is a defect; the projection derives the facts itself
  }
  parentPort!.postMessage({ id, facts, seconds: (performance.now() - start) / 1000 });
});
