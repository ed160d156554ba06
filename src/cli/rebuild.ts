// `scriptlog rebuild`: replays the whole log into fresh read models and writes their snapshots.
import { stat } from "node:fs/promises";
import path from "node:path";
import { lastValueFrom, tap } from "rxjs";
import type { Config } from "../config.js";
import { projectReadModels, ReadModels } from "../projections/readModels.js";
import { writeSnapshots } from "../projections/snapshots.js";
import { listLogFiles } from "../store/logFiles.js";
import { readLog } from "../store/logReader.js";
import { progressBar } from "./progress.js";

export interface RebuildReport {
  events: number;
  seq: number;
  seconds: number;
  events_per_second: number;
  snapshots: string[];
}

export async function rebuild(eventsDir: string, outDir: string, onProgress?: (bytes: number, totalBytes: number) => void): Promise<RebuildReport> {
  const files = await listLogFiles(eventsDir);
  const sizes = await Promise.all(files.map(async (f) => (await stat(path.join(eventsDir, f))).size));
  const total = sizes.reduce((a, b) => a + b, 0);
  const before = new Map(files.map((f, i) => [f, sizes.slice(0, i).reduce((a, b) => a + b, 0)]));
  const started = process.hrtime.bigint();
  let events = 0;
  const models = await lastValueFrom(
    readLog(eventsDir).pipe(
      tap((e) => {
        events++;
        if ((events & 1023) === 0) onProgress?.(before.get(e.location.file)! + e.location.offset, total);
      }),
      projectReadModels(new ReadModels()),
    ),
    { defaultValue: new ReadModels() },
  );
  onProgress?.(total, total);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const snapshots = await writeSnapshots(models, outDir);
  return { events, seq: models.seq, seconds, events_per_second: seconds > 0 ? events / seconds : events, snapshots };
}

export async function rebuildCommand(config: Config, options: { json?: boolean }): Promise<void> {
  let bar: ReturnType<typeof progressBar> | null = null;
  const report = await rebuild(config.eventsDir, config.projectionsDir, (done, total) => {
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
