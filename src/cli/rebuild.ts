// `scriptlog rebuild`: replays the whole log into fresh read models and writes their snapshots.
import { stat } from "node:fs/promises";
import path from "node:path";
import type { Config } from "../config.js";
import type { AnalyzerSettings } from "../projections/derive.js";
import { writeSnapshots } from "../projections/snapshots.js";
import { listLogFiles } from "../store/logFiles.js";
import { replayReadModels } from "../service/replay.js";
import { progressBar } from "./progress.js";

export interface RebuildReport {
  events: number;
  seq: number;
  seconds: number;
  events_per_second: number;
  snapshots: string[];
}

export async function rebuild(eventsDir: string, outDir: string, settings: AnalyzerSettings, onProgress?: (bytes: number, totalBytes: number) => void): Promise<RebuildReport> {
  const files = await listLogFiles(eventsDir);
  const sizes = await Promise.all(files.map(async (f) => (await stat(path.join(eventsDir, f))).size));
  const total = sizes.reduce((a, b) => a + b, 0);
  const before = new Map(files.map((f, i) => [f, sizes.slice(0, i).reduce((a, b) => a + b, 0)]));
  const started = process.hrtime.bigint();
  let events = 0;
  const models = await replayReadModels(eventsDir, {
    settings,
    onEvent: (e) => {
      events++;
      if ((events & 1023) === 0) onProgress?.(before.get(e.location.file)! + e.location.offset, total);
    },
  });
  onProgress?.(total, total);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const snapshots = await writeSnapshots(models, outDir);
  return { events, seq: models.seq, seconds, events_per_second: seconds > 0 ? events / seconds : events, snapshots };
}

export async function rebuildCommand(config: Config, options: { json?: boolean }): Promise<void> {
  let bar: ReturnType<typeof progressBar> | null = null;
  const report = await rebuild(config.eventsDir, config.projectionsDir, config.analyzer, (done, total) => {
    bar ??= progressBar("rebuild", total);
    bar.update(done);
  });
  (bar as ReturnType<typeof progressBar> | null)?.stop();
  if (options.json) {
    console.log(JSON.stringify(report));
  } else {
    console.log(
      `rebuilt ${report.events} events (seq ${report.seq}) in ${report.seconds.toFixed(2)} s: ` +
        `${Math.round(report.events_per_second)} events/s; snapshots in ${config.projectionsDir}`,
    );
  }
}
