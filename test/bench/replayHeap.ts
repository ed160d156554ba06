// Replays a log into the read models and prints the heap used afterwards (run with --expose-gc).
import { replayReadModels } from "../../src/service/replay.js";

const gc = (globalThis as { gc?: () => void }).gc!;
gc();
const baseline = process.memoryUsage().heapUsed;
const started = process.hrtime.bigint();
const models = await replayReadModels(process.argv[2]);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
gc();
gc();
console.log(JSON.stringify({ baseline, heap: process.memoryUsage().heapUsed, events: models.seq, seconds }));
