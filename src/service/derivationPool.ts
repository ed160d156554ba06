// Worker threads that derive the facts of incoming attempts while earlier requests are being written, so the
// projection (on the main thread) finds them ready, and that redact incoming attempts before they are decided.
// Both are pure and cost more than anything else done per attempt, and the main thread is what limits writes.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { RedactableAttempt } from "../analysis/redaction.js";
import type { RedactionSettings } from "../config.js";
import type { FixStrategy } from "../analysis/fixStrategy.js";
import type { AttemptData, FixRecordedData } from "../events/types.js";
import type { AttemptFacts } from "../projections/attemptFacts.js";
import type { ReadModels } from "../projections/readModels.js";

/** What the main thread asks a worker. */
export type WorkerRequest =
  | { id: number; kind: "facts"; type: "AttemptFailed" | "AttemptSucceeded"; data: AttemptData }
  | { id: number; kind: "fix"; fix: FixRecordedData }
  | { id: number; kind: "redact"; attempt: RedactableAttempt };

interface Pending {
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Requests this worker has not answered yet. */
  pending: Set<number>;
}

export class DerivationPool {
  private readonly slots: Slot[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;

  /**
   * One worker per core beside the main thread's (at least one); `onDerived` hears how long each derivation took;
   * `redaction` configures the workers' redactors.
   */
  constructor(
    size = Math.max(1, availableParallelism() - 1),
    private readonly onDerived?: (seconds: number) => void,
    private readonly redaction?: RedactionSettings,
  ) {
    this.slots = Array.from({ length: size }, (_, i) => this.start(i));
  }

  /**
   * A worker for slot `index`. A worker that dies (an error it did not catch, running out of memory) fails only
   * the requests it held, which the projection then derives itself, and is replaced at once: the pool never
   * shrinks and no request waits on a dead thread.
   */
  private start(index: number): Slot {
    const worker = new Worker(new URL("./derivationWorker.js", import.meta.url), { workerData: { redaction: this.redaction } });
    const slot: Slot = { worker, pending: new Set() };
    slot.worker.on("message", ({ id, result, seconds }: { id: number; result: unknown; seconds?: number }) => {
      slot.pending.delete(id);
      if (seconds !== undefined) this.onDerived?.(seconds);
      if (result !== null) this.pending.get(id)?.resolve(result);
      else this.pending.get(id)?.reject(new Error("the worker could not do this"));
      this.pending.delete(id);
    });
    const died = (err: Error) => {
      if (this.slots[index] !== slot) return; // already replaced ('error' is followed by 'exit')
      this.fail(slot.pending, err);
      if (!this.closed) this.slots[index] = this.start(index);
    };
    slot.worker.on("error", died);
    slot.worker.on("exit", (code) => died(new Error(`derivation worker exited with code ${code}`)));
    return slot;
  }

  /**
   * Derives an attempt's facts and hands them to the read models; resolves with them, or with null if a worker
   * failed (the projection then derives the facts itself).
   */
  prepare(
    models: Pick<ReadModels, "prepareFacts">,
    type: "AttemptFailed" | "AttemptSucceeded",
    data: AttemptData,
  ): Promise<AttemptFacts | null> {
    return this.facts(type, data).then(
      (facts) => {
        models.prepareFacts(data, facts);
        return facts;
      },
      () => null,
    );
  }

  /**
   * Derives a recorded fix's strategy and hands it to the read models, if the worker that derived its session's
   * attempts still holds both (else the projection derives it itself); resolves either way.
   */
  prepareFix(models: Pick<ReadModels, "prepareFix">, fix: FixRecordedData): Promise<void> {
    return this.request<FixStrategy>((id) => ({ id, kind: "fix", fix }), fix.session_id).then(
      (strategy) => models.prepareFix(fix, strategy),
      () => undefined,
    );
  }

  /** The attempt with its secrets redacted, by a worker; rejects if the worker failed (redact it yourself then). */
  redact<T extends RedactableAttempt>(attempt: T): Promise<{ attempt: T; redactions: Record<string, number> }> {
    return this.request((id) => ({ id, kind: "redact", attempt }));
  }

  private facts(type: "AttemptFailed" | "AttemptSucceeded", data: AttemptData): Promise<AttemptFacts> {
    return this.request((id) => ({ id, kind: "facts", type, data }), data.session_id);
  }

  /** Sends a request to a worker: the one for `session` (whose attempts it keeps for their fixes), else in turn. */
  private request<T>(message: (id: number) => WorkerRequest, session?: string): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.closed) return reject(new Error("derivation pool closed"));
      const slot = this.slots[(session === undefined ? id : stringHash(session)) % this.slots.length];
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      slot.pending.add(id);
      slot.worker.postMessage(message(id));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.fail(new Set(this.pending.keys()), new Error("derivation pool closed"));
  }

  private fail(ids: Iterable<number>, err: Error): void {
    for (const id of ids) {
      this.pending.get(id)?.reject(err);
      this.pending.delete(id);
    }
  }
}

/** A small non-negative hash of a string, to send a session's requests to one worker. */
function stringHash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return h >>> 0;
}
