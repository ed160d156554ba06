// Configuration, read in one place: environment variables over embedded defaults.
import path from "node:path";
import type { AnalyzerSettings } from "./projections/derive.js";

export interface Config {
  port: number;
  host: string;
  eventsDir: string;
  projectionsDir: string;
  /** Largest request body accepted, in bytes. */
  bodyLimit: number;
  /** Session inference: window and code similarity. */
  analyzer: AnalyzerSettings;
  /** A signed-note private key file: with it, the server appends signed checkpoints. */
  signingKeyFile: string | null;
  checkpointEveryEvents: number;
  checkpointEveryMinutes: number;
}

export const DEFAULTS = {
  port: 8000,
  host: "127.0.0.1",
  eventsDir: "./events",
  projectionsDir: "./projections",
  bodyLimit: 1024 * 1024,
  inferWindowMinutes: 30,
  inferSimilarity: 0.5,
  checkpointEveryEvents: 1000,
  checkpointEveryMinutes: 10,
} as const;

export function readConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  return {
    port: overrides.port ?? integer(env.PORT, "PORT", DEFAULTS.port),
    host: overrides.host ?? env.HOST ?? DEFAULTS.host,
    eventsDir: path.resolve(overrides.eventsDir ?? env.EVENTS_DIR ?? DEFAULTS.eventsDir),
    projectionsDir: path.resolve(overrides.projectionsDir ?? env.PROJECTIONS_DIR ?? DEFAULTS.projectionsDir),
    bodyLimit: overrides.bodyLimit ?? integer(env.BODY_LIMIT_BYTES, "BODY_LIMIT_BYTES", DEFAULTS.bodyLimit),
    analyzer: overrides.analyzer ?? {
      inferWindowMs: integer(env.INFER_WINDOW_MINUTES, "INFER_WINDOW_MINUTES", DEFAULTS.inferWindowMinutes) * 60_000,
      inferSimilarity: fraction(env.INFER_SIMILARITY, "INFER_SIMILARITY", DEFAULTS.inferSimilarity),
    },
    signingKeyFile: overrides.signingKeyFile ?? (env.SIGNING_KEY ? path.resolve(env.SIGNING_KEY) : null),
    checkpointEveryEvents:
      overrides.checkpointEveryEvents ??
      (integer(env.CHECKPOINT_EVERY_EVENTS, "CHECKPOINT_EVERY_EVENTS", DEFAULTS.checkpointEveryEvents) || 1),
    checkpointEveryMinutes:
      overrides.checkpointEveryMinutes ??
      integer(env.CHECKPOINT_EVERY_MINUTES, "CHECKPOINT_EVERY_MINUTES", DEFAULTS.checkpointEveryMinutes),
  };
}

function fraction(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new Error(`${name} must be a number from 0 to 1, not '${value}'`);
  return n;
}

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, not '${value}'`);
  return n;
}
