// `scriptlog rebuild`: replays the log (all of it, or up to a point) into fresh read models and writes their snapshots.
import type { Config } from "../config.js";
import type { StoredEvent } from "../events/types.js";
import { timestampMillis, isIsoTimestamp } from "../events/validation.js";
import { ScriptlogError } from "../errors.js";
import type { AnalyzerSettings } from "../projections/attemptFacts.js";
import { AttemptsWriteState } from "../decider/attempts.js";
import { writeSnapshots } from "../service/snapshots.js";
import { replayReadModels } from "../service/replay.js";
import { refuseWhileLocked } from "../store/lock.js";
import { logProgress } from "./logProgress.js";
import { compareWithSnapshots, printComparison, type ComparisonReport } from "./compare.js";
import type { ReadModels } from "../projections/readModels.js";

export interface RebuildReport {
  events: number;
  seq: number;
  seconds: number;
  events_per_second: number;
  snapshots: string[];
}

/** `--until`: a seq (the last event to include) or an ISO time (events recorded at or before it). */
export function untilPredicate(until: string | undefined): ((e: StoredEvent) => boolean) | undefined {
  if (until === undefined) return undefined;
  if (/^\d+$/.test(until)) {
    const seq = Number(until);
    return (e) => e.envelope.seq <= seq;
  }
  if (!isIsoTimestamp(until))
    throw new ScriptlogError("invalid_argument", `--until must be a seq or an ISO-8601 time, not '${until}'`, { until });
  const time = timestampMillis(until);
  return (e) => timestampMillis(e.envelope.recorded_at) <= time;
}

export async function rebuild(
  eventsDir: string,
  outDir: string,
  settings: AnalyzerSettings,
  options: { until?: string; onEvent?: (e: StoredEvent) => void; beforeWrite?: (models: ReadModels) => Promise<void> } = {},
): Promise<RebuildReport> {
  const started = process.hrtime.bigint();
  let events = 0;
  const writeState = new AttemptsWriteState();
  const models = await replayReadModels(eventsDir, {
    settings,
    while: untilPredicate(options.until),
    onEvent: (e) => {
      events++;
      writeState.apply(e.envelope);
      options.onEvent?.(e);
    },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await options.beforeWrite?.(models);
  const snapshots = await writeSnapshots(models, writeState, outDir, eventsDir);
  return { events, seq: models.seq, seconds, events_per_second: seconds > 0 ? events / seconds : events, snapshots };
}

export async function rebuildCommand(
  config: Config,
  options: { json?: boolean; until?: string; out?: string; compare?: boolean; show?: string },
): Promise<void> {
  // The server keeps its own snapshots in the projections directory: do not write there under it.
  if (options.out === undefined) await refuseWhileLocked(config.eventsDir, "rebuild into the live projections directory");
  const outDir = options.out ?? config.projectionsDir;
  const progress = await logProgress("rebuild", config.eventsDir);
  let comparison: ComparisonReport | null = null;
  const report = await rebuild(config.eventsDir, outDir, config.analyzer, {
    until: options.until,
    onEvent: progress.onEvent,
    // Compared with what is there before the new snapshots replace it.
    beforeWrite: options.compare
      ? async (models) => void (comparison = await compareWithSnapshots(outDir, models, Number(options.show ?? 20)))
      : undefined,
  });
  progress.stop();
  if (options.json) {
    console.log(JSON.stringify(comparison ? { ...report, comparison } : report));
  } else {
    if (comparison) printComparison(comparison);
    console.log(
      `rebuilt ${report.events} events (seq ${report.seq}) in ${report.seconds.toFixed(2)} s: ` +
        `${Math.round(report.events_per_second)} events/s; snapshots in ${outDir}`,
    );
  }
}
