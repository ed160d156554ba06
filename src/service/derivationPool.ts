// Worker threads that derive the facts of incoming attempts while earlier requests are being written, so the
// projection (on the main thread) finds them ready. Deriving is pure and costs more than anything else the
// projection does per attempt, and the main thread is what limits writes.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { AttemptData } from "../events/types.js";
import type { AttemptFacts } from "../projections/derive.js";
import type { ReadModels } from "../projections/readModels.js";

interface Pending {
  resolve: (facts: AttemptFacts) => void;
  reject: (err: Error) => void;
}

export class DerivationPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  /** One worker per core beside the main thread's (at least one). */
  constructor(size = Math.max(1, availableParallelism() - 1)) {
    this.workers = Array.from({ length: size }, () => {
      const worker = new Worker(new URL("./derivationWorker.js", import.meta.url));
      worker.on("message", ({ id, facts }: { id: number; facts: AttemptFacts }) => {
        this.pending.get(id)?.resolve(facts);
        this.pending.delete(id);
      });
      worker.on("error", (err) => this.failAll(err));
      return worker;
    });
  }

  /**
   * Derives an attempt's facts and hands them to the read models. Resolves either way: if a worker fails,
   * the projection derives the facts itself.
   */
  prepare(models: ReadModels, type: "AttemptFailed" | "AttemptSucceeded", data: AttemptData): Promise<void> {
    return this.facts(type, data).then(
      (facts) => models.prepareFacts(data, facts),
      () => undefined,
    );
  }

  private facts(type: "AttemptFailed" | "AttemptSucceeded", data: AttemptData): Promise<AttemptFacts> {
    const id = this.nextId++;
    return new Promise<AttemptFacts>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[id % this.workers.length].postMessage({ id, type, data });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.failAll(new Error("derivation pool closed"));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
