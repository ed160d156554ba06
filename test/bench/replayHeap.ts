// Replays a log into the read models, then into the write side's state, as a server holds both, and prints the
// heap used after each (run with --expose-gc).
import { ignoreElements, lastValueFrom, tap } from "rxjs";
import { AttemptsWriteState } from "../../src/decider/attempts.js";
import { replayReadModels } from "../../src/service/replay.js";
import { readLog } from "../../src/store/logReader.js";

const gc = (globalThis as { gc?: () => void }).gc!;
const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const baseline = heapAfterGc();
const started = process.hrtime.bigint();
const models = await replayReadModels(process.argv[2]);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const heap = heapAfterGc();
const writeState = new AttemptsWriteState();
await lastValueFrom(
  readLog(process.argv[2]).pipe(
    tap((e) => writeState.apply(e.envelope)),
    ignoreElements(),
  ),
  { defaultValue: undefined },
);
const withWriteState = heapAfterGc();
console.log(JSON.stringify({ baseline, heap, withWriteState, events: models.seq, writeSeq: writeState.seq, seconds }));
