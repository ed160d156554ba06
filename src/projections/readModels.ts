// Runs every projection over one stream of events: replay, then live. The attempt index goes first, so
// the other read models see the records it holds; each event is derived once and shared by all.
import { type Observable, type OperatorFunction, scan } from "rxjs";
import type { StoredEvent } from "../events/types.js";
import { analysisProjection, type AnalysisState } from "./analysis.js";
import { attemptsProjection, type AttemptsState } from "./attempts.js";
import { project } from "./derive.js";
import { failuresProjection } from "./failures.js";
import { reduce, type Projection } from "./projection.js";
import { sessionsProjection, type SessionsState } from "./sessions.js";
import { successesProjection } from "./successes.js";
import { summaryProjection, type SummaryState } from "./summary.js";
import type { Timeline } from "./timeline.js";

export interface ReadModelStates {
  attempts: AttemptsState;
  failures: Timeline;
  successes: Timeline;
  sessions: SessionsState;
  summary: SummaryState;
  analysis: AnalysisState;
}

type ProjectionSet = { [K in keyof ReadModelStates]: Projection<ReadModelStates[K], any> };

/** In the order they are applied to each event. */
export const PROJECTIONS: ProjectionSet = {
  attempts: attemptsProjection,
  failures: failuresProjection,
  successes: successesProjection,
  sessions: sessionsProjection,
  summary: summaryProjection,
  analysis: analysisProjection,
};

const NAMES = Object.keys(PROJECTIONS) as Array<keyof ReadModelStates>;

export class ReadModels {
  /** The seq of the last event applied. */
  seq = 0;

  constructor(readonly states: ReadModelStates = initialStates()) {}

  apply(event: StoredEvent): this {
    const projected = project(event, this.states.attempts);
    const states = this.states as unknown as Record<string, unknown>;
    for (const name of NAMES) states[name] = reduce(PROJECTIONS[name] as Projection<unknown>, states[name], projected);
    this.seq = event.envelope.seq;
    return this;
  }

  /** Every read model as deterministic JSON data: the same log always gives the same bytes. */
  toJSON(): Record<string, { version: number; seq: number; state: unknown }> {
    const out: Record<string, { version: number; seq: number; state: unknown }> = {};
    for (const name of NAMES) {
      const projection = PROJECTIONS[name] as Projection<unknown>;
      out[name] = { version: projection.version, seq: this.seq, state: projection.toJSON(this.states[name]) };
    }
    return out;
  }
}

function initialStates(): ReadModelStates {
  return Object.fromEntries(NAMES.map((n) => [n, PROJECTIONS[n].initial()])) as unknown as ReadModelStates;
}

/** The projection pipeline: each stored event folded into the read models, which are emitted after each. */
export function projectReadModels(models: ReadModels = new ReadModels()): OperatorFunction<StoredEvent, ReadModels> {
  return (events$: Observable<StoredEvent>) =>
    events$.pipe(scan((acc, event) => acc.apply(event), models));
}
