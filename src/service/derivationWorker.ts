// Worker thread: derives the facts of an attempt's own data (its traceback, code summary and line signature)
// and redacts the secrets of incoming attempts, off the event loop, while the main thread validates, appends
// and projects other requests.
import { parentPort, workerData } from "node:worker_threads";
import { redactAttempt, Redactor } from "../analysis/redaction.js";
import type { RedactionSettings } from "../config.js";
import { attemptFacts } from "../projections/attemptFacts.js";
import type { WorkerRequest } from "./derivationPool.js";

const redactor = new Redactor((workerData as { redaction?: RedactionSettings } | null)?.redaction);

parentPort!.on("message", async (request: WorkerRequest) => {
  if (request.kind === "redact") {
    // A failure answers null: the service then redacts on the main thread, never skips it.
    const result = await redactAttempt(redactor, request.attempt).catch(() => null);
    parentPort!.postMessage({ id: request.id, result });
    return;
  }
  let facts;
  const start = performance.now();
  try {
    facts = attemptFacts(request.type, request.data);
  } catch {
    facts = null; // derivation is total, so this is a defect; the projection derives the facts itself
  }
  parentPort!.postMessage({ id: request.id, result: facts, seconds: (performance.now() - start) / 1000 });
});
