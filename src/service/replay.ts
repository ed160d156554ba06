// Replays a log directory into fresh read models without taking its lock: for rebuild, export and the
// other commands that read beside a running server. Worker threads derive the attempts' facts ahead of the
// projection (see factsAhead).
import { availableParallelism } from "node:os";
import { identity, lastValueFrom, takeWhile, tap } from "rxjs";
import type { AnalyzerSettings } from "../projections/attemptFacts.js";
import { projectReadModels, ReadModels } from "../projections/readModels.js";
import { EnvelopeReader } from "../store/envelopeReader.js";
import { readLog } from "../store/logReader.js";
import { readBoundary } from "../store/archiveBoundary.js";
import type { StoredEvent } from "../events/types.js";
import { DerivationPool } from "./derivationPool.js";
import { factsAhead } from "./factsAhead.js";

export interface ReplayOptions {
  settings?: AnalyzerSettings;
  /** False for the core read models only. */
  analyzer?: boolean;
  /** Stop before the first event this returns false for (point-in-time replay). */
  while?: (event: StoredEvent) => boolean;
  onEvent?: (event: StoredEvent) => void;
  /** Keep the log's files open for reading entries back; the caller then calls models.close(). */
  keepOpen?: boolean;
  /** Recent attempts whose entry facts are kept from projection (see ReadModels); 0 derives every entry on demand. */
  recentEntries?: number;
  /**
   * Worker threads deriving facts ahead; 0 derives them on the main thread. Default: one per core, as the main
   * thread, which only verifies and projects, leaves most of its core to them (a server keeps one core for requests).
   */
  derivationWorkers?: number;
}

export async function replayReadModels(eventsDir: string, options: ReplayOptions = {}): Promise<ReadModels> {
  const reader = new EnvelopeReader(eventsDir);
  const models = new ReadModels({
    settings: options.settings,
    analyzer: options.analyzer,
    archived: readBoundary(eventsDir) !== null,
    recentEntries: options.recentEntries,
    readEnvelope: (location) => reader.read(location),
    close: () => reader.close(),
  });
  const pool =
    models.analyzer && options.derivationWorkers !== 0 ? new DerivationPool(options.derivationWorkers ?? availableParallelism()) : null;
  const ahead = pool ? factsAhead(pool, models) : null;
  try {
    await lastValueFrom(
      readLog(eventsDir, { pace: ahead?.pace }).pipe(
        takeWhile((e) => options.while?.(e) ?? true),
        tap((e) => options.onEvent?.(e)),
        ahead?.operator ?? identity,
        projectReadModels(models),
      ),
      { defaultValue: models },
    );
  } catch (err) {
    reader.close();
    throw err;
  } finally {
    await pool?.close();
  }
  if (!options.keepOpen) reader.close();
  return models;
}
