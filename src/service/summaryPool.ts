// Worker threads that summarise the code of incoming attempts while their events are being written, so
// the projection finds the summary ready instead of parsing on the event loop.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { CodeSummary } from "../analysis/codeSummary.js";

interface Pending {
  resolve: (summary: CodeSummary) => void;
  reject: (err: Error) => void;
}

export class SummaryPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(size = Math.max(1, availableParallelism() - 1)) {
    this.workers = Array.from({ length: size }, () => {
      const worker = new Worker(new URL("./summaryWorker.js", import.meta.url));
      worker.on("message", ({ id, summary }: { id: number; summary: CodeSummary }) => {
        this.pending.get(id)?.resolve(summary);
        this.pending.delete(id);
      });
      worker.on("error", (err) => this.failAll(err));
      return worker;
    });
  }

  summarise(code: string): Promise<CodeSummary> {
    const id = this.nextId++;
    return new Promise<CodeSummary>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[id % this.workers.length].postMessage({ id, code });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.failAll(new Error("summary pool closed"));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
