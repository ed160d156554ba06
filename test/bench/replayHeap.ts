// Replays a log into the read models and prints the heap used afterwards (run with --expose-gc).
import { lastValueFrom } from "rxjs";
import { projectReadModels, ReadModels } from "../../src/projections/readModels.js";
import { readLog } from "../../src/store/logReader.js";

const gc = (globalThis as { gc?: () => void }).gc!;
gc();
const baseline = process.memoryUsage().heapUsed;
const started = process.hrtime.bigint();
const models = await lastValueFrom(readLog(process.argv[2]).pipe(projectReadModels(new ReadModels())));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
gc();
gc();
console.log(JSON.stringify({ baseline, heap: process.memoryUsage().heapUsed, events: models.seq, seconds }));
