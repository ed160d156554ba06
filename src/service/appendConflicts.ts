// Several writers on one JetStream stream: a writer whose append lost the race is told `append_conflict`. What
// it decided was decided from a log that has moved on, so it catches up with the log and decides again.
import { ScriptlogError } from "../errors.js";
import type { EventStore } from "../store/eventStore.js";

/** How often one command may lose the race to another writer before its caller is told to retry (503). */
export const MAX_APPEND_CONFLICTS = 8;

/**
 * Runs `decideAndAppend` until it is not refused with append_conflict (at most MAX_APPEND_CONFLICTS times more);
 * before each retry, catches up with the log and waits (`caughtUp`) until the state the decision reads has
 * the log's head. `retry` tells the decision it is not the first.
 */
export async function retryOnAppendConflict<T>(
  log: Pick<EventStore, "catchUp" | "chainHead">,
  caughtUp: (seq: number) => Promise<unknown>,
  decideAndAppend: (retry: boolean) => Promise<T>,
): Promise<T> {
  for (let conflicts = 0; ; conflicts++) {
    try {
      return await decideAndAppend(conflicts > 0);
    } catch (err) {
      if (!(err instanceof ScriptlogError && err.code === "append_conflict") || conflicts >= MAX_APPEND_CONFLICTS) throw err;
      await log.catchUp();
      await caughtUp(log.chainHead.seq);
    }
  }
}
