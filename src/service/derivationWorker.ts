// Worker thread: derives the facts of an attempt's own data (its traceback, code summary and line signature)
// and of the fixes between the attempts it derived, and redacts the secrets of incoming attempts, off the event
// loop, while the main thread validates, appends and projects other requests.
import { parentPort, workerData } from "node:worker_threads";
import { LRUCache } from "lru-cache";
import { redactAttempt, Redactor } from "../analysis/redaction.js";
import type { RedactionSettings } from "../config.js";
import { codeRead } from "../analysis/limits.js";
import { attemptFacts } from "../projections/attemptFacts.js";
import { fixSideOf, strategyOfFix, type FixSide } from "../projections/fixFacts.js";
import type { WorkerRequest } from "./derivationPool.js";

const redactor = new Redactor((workerData as { redaction?: RedactionSettings } | null)?.redaction);

// A session's attempts and fixes come to the same worker, and a fix follows its attempts closely: the sides of
// the attempts derived last are kept for the fixes that follow — at most 1,024, and at most 32 M characters of
// code (a side holds the part of its code the analyzer reads, up to 256 KiB characters).
const RECENT_SIDES = 1024;
const RECENT_SIDE_CHARS = 32 * 2 ** 20;
const recentSides = new LRUCache<string, FixSide>({
  max: RECENT_SIDES,
  maxSize: RECENT_SIDE_CHARS,
  sizeCalculation: (side) => side.code.length + 1,
});

parentPort!.on("message", async (request: WorkerRequest) => {
  if (request.kind === "redact") {
    // A failure answers null: the service then redacts on the main thread, never skips it.
    const result = await redactAttempt(redactor, request.attempt).catch(() => null);
    parentPort!.postMessage({ id: request.id, result });
    return;
  }
  if (request.kind === "fix") {
    // Null when this worker did not derive both attempts: the projection then derives the fix itself.
    const wrong = recentSides.get(request.fix.failure_log_id);
    const right = recentSides.get(request.fix.success_log_id);
    parentPort!.postMessage({ id: request.id, result: wrong && right ? strategyOfFix(wrong, right) : null });
    return;
  }
  let facts;
  const start = performance.now();
  try {
    facts = attemptFacts(request.type, request.data);
    recentSides.set(request.data.log_id, fixSideOf(codeRead(request.data.code), facts.derived));
  } catch {
    facts = null; // derivation is total, so this is a defect; the projection derives the facts itself
  }
  parentPort!.postMessage({ id: request.id, result: facts, seconds: (performance.now() - start) / 1000 });
});
