// Worker thread: summarises code off the event loop (parsing is the costliest part of deriving an attempt).
import { parentPort } from "node:worker_threads";
import { summariseCode } from "../analysis/codeSummary.js";

parentPort!.on("message", ({ id, code }: { id: number; code: string }) => {
  parentPort!.postMessage({ id, summary: summariseCode(code) });
});
