// Replay with the analyzer's per-attempt work spread over worker threads. An attempt's facts (traceback,
// code summary, line signature) are a pure function of its data, and a recorded fix's strategy of its two
// attempts', so while the main thread verifies and projects one event, workers derive the facts of the events
// after it. Events still reach the projections one at a time, in log order; only the facts arrive early. Here
// in the service layer: it joins the pool with the read models.
import { Observable, type OperatorFunction } from "rxjs";
import type { StoredEvent } from "../events/types.js";
import type { ReadModels } from "../projections/readModels.js";
import type { DerivationPool } from "./derivationPool.js";

export interface FactsAhead {
  /** Passes events on in order, each once its facts (if any are still to derive) are ready. */
  operator: OperatorFunction<StoredEvent, StoredEvent>;
  /** For the log reader between chunks: resolves once few enough events wait, so memory stays bounded. */
  pace: () => Promise<void> | undefined;
}

interface Waiting {
  event: StoredEvent;
  ready: boolean;
}

/** At most this many events wait for their facts before the reader is held back. */
const LOOKAHEAD = 1024;

export function factsAhead(pool: DerivationPool, models: ReadModels): FactsAhead {
  /** What a worker derives of the event, if anything is left to derive. */
  const prepare = ({ envelope }: StoredEvent): Promise<unknown> | null => {
    if (envelope.type === "FixRecorded") return pool.prepareFix(models, envelope.data);
    if (envelope.type !== "AttemptFailed" && envelope.type !== "AttemptSucceeded") return null;
    return models.hasPreparedFacts(envelope.data) ? null : pool.prepare(models, envelope.type, envelope.data);
  };
  const queue: Waiting[] = [];
  let head = 0;
  let roomMade: (() => void) | null = null;

  const operator: OperatorFunction<StoredEvent, StoredEvent> = (source) =>
    new Observable<StoredEvent>((subscriber) => {
      let sourceDone = false;
      const release = () => {
        while (head < queue.length && queue[head].ready) subscriber.next(queue[head++].event);
        if (head === queue.length) {
          queue.length = head = 0;
          if (sourceDone) subscriber.complete();
        }
        if (roomMade && queue.length - head < LOOKAHEAD / 2) {
          roomMade();
          roomMade = null;
        }
      };
      const subscription = source.subscribe({
        next: (event) => {
          const prepared = models.analyzer ? prepare(event) : null;
          const waiting: Waiting = { event, ready: prepared === null };
          queue.push(waiting);
          if (prepared) {
            void prepared.then(() => {
              waiting.ready = true;
              if (!subscriber.closed) release();
            });
          } else if (head === queue.length - 1) {
            release();
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          if (head === queue.length) subscriber.complete();
        },
      });
      return () => subscription.unsubscribe();
    });

  const pace = () => (queue.length - head < LOOKAHEAD ? undefined : new Promise<void>((resolve) => (roomMade = resolve)));
  return { operator, pace };
}
