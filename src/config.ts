// Configuration, read in one place: environment variables over embedded defaults.
import { homedir } from "node:os";
import path from "node:path";
import { ScriptlogError } from "./errors.js";
import type { AnalyzerSettings } from "./projections/attemptFacts.js";
import type { JetStreamSettings } from "./store/jetstream/stream.js";
import { DEFAULT_MIN_SESSIONS_PER_VARIANT } from "./analysis/experiments.js";

/** The learning loop: how rules become contexts, and contexts are tried and promoted. */
export interface LoopSettings {
  /** Publish candidate contexts and experiment on them automatically. */
  autoContext: boolean;
  /** At most one automatic candidate per this many minutes. */
  autoIntervalMinutes: number;
  /** A new verified rule makes the generated context materially different once seen in this many sessions. */
  autoMinEvidenceSessions: number;
  /** Rules in a generated context (the `max_rules` of POST /api/contexts without text). */
  contextMaxRules: number;
  /** Sessions per variant before an experiment may declare anything (when it does not say). */
  experimentMinSessions: number;
  /** The rule pool: how many rules recommendations and generated contexts choose from. */
  rulePoolSize: number;
}

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
  /** After a failed write or fsync, how often the log probes whether it can write again. */
  writeProbeMs: number;
  /** On SIGTERM, how long in-flight requests may take before their connections are cut. */
  shutdownDrainMs: number;
  /** GET /api/logs/stream: comment lines this often keep idle connections open; a client further behind is dropped. */
  stream: { heartbeatMs: number; clientBufferBytes: number };
  /** What counts as an anomaly, and what trend verdicts need (judged when asked, so not part of any snapshot). */
  detection: DetectionSettings;
  /** Where new anomalies are POSTed, if anywhere. */
  alerts: AlertSettings;
  loop: LoopSettings;
  /** How long a read with ?min_seq= waits for the read models to reach that seq before answering 503. */
  minSeqWaitMs: number;
  /** EVENT_STORE=jetstream: the log lives on this stream and `eventsDir` is this process's local mirror of it. */
  jetstream: JetStreamSettings | null;
  /** Where `scriptlog run` and the clients send attempts, and where run keeps those it could not send. */
  client: { url: string; token: string | null; spoolFile: string };
  security: SecuritySettings;
  redaction: RedactionSettings;
}

export interface SecuritySettings {
  /** Hashes of the API tokens (`scriptlog token`); by default beside the events directory. */
  tokensFile: string;
  /** Serve a non-loopback address with no tokens at all (refused at start otherwise). */
  insecureNoAuth: boolean;
  /** The console's session cookie is Secure: on, off, or auto (when the request came over https). */
  cookieSecure: "auto" | "on" | "off";
  /** Origins whose pages may call the API from a browser (CORS); none by default. */
  corsOrigins: string[];
}

export interface RedactionSettings {
  /** Secret formats of one's own, by literal prefix, added to the built-in rules. */
  extraPrefixes: Array<{ name: string; prefix: string }>;
  /** Literal strings never redacted (a documented example key, a test fixture). */
  allowlist: string[];
}

export interface DetectionSettings {
  /** The window anomalies are looked for in, ending at the time asked about. */
  windowMs: number;
  /** The baseline a pattern's usual share of attempts is measured over, just before the window. */
  baselineMs: number;
  /** A spike: P(X >= observed) under the baseline share below this ... */
  spikePValue: number;
  /** ... and at least this many occurrences in the window. */
  spikeMinCount: number;
  /** A new pattern: first seen within the window, at least this often. */
  newPatternMinCount: number;
  /** A regression: a fixed pattern failing, despite its rule in the context, at least this often in the window. */
  regressionMinCount: number;
  /** Trend verdicts: significance level, and the fewest attempts each period needs for any verdict. */
  trendAlpha: number;
  trendMinAttempts: number;
}

export interface AlertSettings {
  webhookUrl: string | null;
  /** Signs each body with HMAC-SHA256 (header X-Scriptlog-Signature: sha256=<hex>). */
  webhookSecret: string | null;
  /** Deliveries after the first, each waiting twice as long as the one before, from retryBaseMs. */
  retries: number;
  retryBaseMs: number;
  timeoutMs: number;
  /** How often every pattern is re-examined (a new occurrence re-examines its own pattern at once). */
  sweepMs: number;
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
  streamHeartbeatSeconds: 15,
  streamClientBufferBytes: 1024 * 1024,
  anomalyWindowHours: 24,
  anomalyBaselineDays: 7,
  spikePValue: 0.001,
  spikeMinCount: 5,
  newPatternMinCount: 3,
  regressionMinCount: 2,
  trendAlpha: 0.05,
  trendMinAttempts: 20,
  alertRetries: 5,
  alertRetryBaseMs: 1000,
  alertTimeoutMs: 10_000,
  alertSweepSeconds: 60,
  writeProbeMs: 1000,
  shutdownDrainSeconds: 10,
  autoIntervalMinutes: 60,
  autoMinEvidenceSessions: 3,
  contextMaxRules: 10,
  experimentMinSessions: DEFAULT_MIN_SESSIONS_PER_VARIANT,
  rulePoolSize: 20,
  minSeqWaitMs: 5000,
  natsUrl: "nats://127.0.0.1:4222",
  natsStream: "SCRIPTLOG",
  natsReplicas: 1,
  serverUrl: "http://127.0.0.1:8000",
  spoolFile: path.join(homedir(), ".scriptlog", "spool.jsonl"),
} as const;

export const DEFAULT_LOOP_SETTINGS: LoopSettings = {
  autoContext: false,
  autoIntervalMinutes: DEFAULTS.autoIntervalMinutes,
  autoMinEvidenceSessions: DEFAULTS.autoMinEvidenceSessions,
  contextMaxRules: DEFAULTS.contextMaxRules,
  experimentMinSessions: DEFAULTS.experimentMinSessions,
  rulePoolSize: DEFAULTS.rulePoolSize,
};

export function readConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const eventsDir = path.resolve(overrides.eventsDir ?? env.EVENTS_DIR ?? DEFAULTS.eventsDir);
  return {
    port: overrides.port ?? port(env.PORT, "PORT"),
    host: overrides.host ?? env.HOST ?? DEFAULTS.host,
    eventsDir,
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
    shutdownDrainMs:
      overrides.shutdownDrainMs ?? integer(env.SHUTDOWN_DRAIN_SECONDS, "SHUTDOWN_DRAIN_SECONDS", DEFAULTS.shutdownDrainSeconds) * 1000,
    stream: overrides.stream ?? {
      heartbeatMs: positive(env.STREAM_HEARTBEAT_SECONDS, "STREAM_HEARTBEAT_SECONDS", DEFAULTS.streamHeartbeatSeconds) * 1000,
      clientBufferBytes: positive(env.STREAM_CLIENT_BUFFER_BYTES, "STREAM_CLIENT_BUFFER_BYTES", DEFAULTS.streamClientBufferBytes),
    },
    detection: overrides.detection ?? {
      windowMs: positive(env.ANOMALY_WINDOW_HOURS, "ANOMALY_WINDOW_HOURS", DEFAULTS.anomalyWindowHours) * 3_600_000,
      baselineMs: positive(env.ANOMALY_BASELINE_DAYS, "ANOMALY_BASELINE_DAYS", DEFAULTS.anomalyBaselineDays) * 86_400_000,
      spikePValue: fraction(env.SPIKE_P_VALUE, "SPIKE_P_VALUE", DEFAULTS.spikePValue),
      spikeMinCount: integer(env.SPIKE_MIN_COUNT, "SPIKE_MIN_COUNT", DEFAULTS.spikeMinCount),
      newPatternMinCount: integer(env.NEW_PATTERN_MIN_COUNT, "NEW_PATTERN_MIN_COUNT", DEFAULTS.newPatternMinCount),
      regressionMinCount: integer(env.REGRESSION_MIN_COUNT, "REGRESSION_MIN_COUNT", DEFAULTS.regressionMinCount),
      trendAlpha: fraction(env.TREND_ALPHA, "TREND_ALPHA", DEFAULTS.trendAlpha),
      trendMinAttempts: integer(env.TREND_MIN_ATTEMPTS, "TREND_MIN_ATTEMPTS", DEFAULTS.trendMinAttempts),
    },
    alerts: overrides.alerts ?? {
      webhookUrl: url(env.ALERT_WEBHOOK_URL, "ALERT_WEBHOOK_URL"),
      webhookSecret: env.ALERT_WEBHOOK_SECRET || null,
      retries: integer(env.ALERT_RETRIES, "ALERT_RETRIES", DEFAULTS.alertRetries),
      retryBaseMs: integer(env.ALERT_RETRY_BASE_MS, "ALERT_RETRY_BASE_MS", DEFAULTS.alertRetryBaseMs),
      timeoutMs: positive(env.ALERT_TIMEOUT_MS, "ALERT_TIMEOUT_MS", DEFAULTS.alertTimeoutMs),
      sweepMs: positive(env.ALERT_SWEEP_SECONDS, "ALERT_SWEEP_SECONDS", DEFAULTS.alertSweepSeconds) * 1000,
    },
    writeProbeMs: overrides.writeProbeMs ?? (integer(env.WRITE_PROBE_MS, "WRITE_PROBE_MS", DEFAULTS.writeProbeMs) || 1),
    loop: overrides.loop ?? {
      autoContext: onOff(env.AUTO_CONTEXT, "AUTO_CONTEXT"),
      autoIntervalMinutes: integer(env.AUTO_CONTEXT_INTERVAL_MINUTES, "AUTO_CONTEXT_INTERVAL_MINUTES", DEFAULTS.autoIntervalMinutes),
      autoMinEvidenceSessions: positive(env.AUTO_CONTEXT_MIN_SESSIONS, "AUTO_CONTEXT_MIN_SESSIONS", DEFAULTS.autoMinEvidenceSessions),
      contextMaxRules: positive(env.CONTEXT_MAX_RULES, "CONTEXT_MAX_RULES", DEFAULTS.contextMaxRules),
      experimentMinSessions: positive(env.EXPERIMENT_MIN_SESSIONS, "EXPERIMENT_MIN_SESSIONS", DEFAULTS.experimentMinSessions),
      rulePoolSize: positive(env.RULE_POOL_SIZE, "RULE_POOL_SIZE", DEFAULTS.rulePoolSize),
    },
    minSeqWaitMs: overrides.minSeqWaitMs ?? integer(env.MIN_SEQ_WAIT_MS, "MIN_SEQ_WAIT_MS", DEFAULTS.minSeqWaitMs),
    jetstream: overrides.jetstream !== undefined ? overrides.jetstream : eventStore(env),
    client: overrides.client ?? {
      url: env.SCRIPTLOG_URL || DEFAULTS.serverUrl,
      token: env.SCRIPTLOG_TOKEN || null,
      spoolFile: path.resolve(env.SCRIPTLOG_SPOOL || DEFAULTS.spoolFile),
    },
    security: overrides.security ?? {
      tokensFile: path.resolve(env.TOKENS_FILE || `${eventsDir}.tokens.json`),
      insecureNoAuth: onOff(env.INSECURE_NO_AUTH, "INSECURE_NO_AUTH"),
      cookieSecure: oneOf(env.COOKIE_SECURE, "COOKIE_SECURE", ["auto", "on", "off"] as const),
      corsOrigins: origins(env.CORS_ORIGINS),
    },
    redaction: overrides.redaction ?? {
      extraPrefixes: redactPrefixes(env.REDACT_PREFIXES),
      allowlist: (env.REDACT_ALLOWLIST ?? "").split(",").filter((entry) => entry !== ""),
    },
  };
}

/** One of `choices`, the first when unset. */
function oneOf<T extends string>(value: string | undefined, name: string, choices: readonly T[]): T {
  if (value === undefined || value === "") return choices[0];
  if (!(choices as readonly string[]).includes(value)) throw invalid(name, choices.join(", ").replace(/, (?=[^,]*$)/, " or "), value);
  return value as T;
}

/** Comma-separated origins, each exactly as a browser sends it (scheme://host[:port]). */
function origins(value: string | undefined): string[] {
  const list = (value ?? "").split(",").filter((entry) => entry !== "");
  for (const origin of list) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin)
      throw invalid("CORS_ORIGINS", "origins such as https://app.example.com", origin);
  }
  return list;
}

/**
 * REDACT_PREFIXES: a JSON object of rule name to the literal prefix of a secret format (say {"acme":"acme_live_"}):
 * the prefix and the token characters after it are redacted. Literal prefixes, not regexes: a regex given at run
 * time could not be proven linear, and a secret format with a fixed prefix is what such rules catch.
 */
function redactPrefixes(value: string | undefined): RedactionSettings["extraPrefixes"] {
  if (value === undefined || value === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw invalid("REDACT_PREFIXES", 'a JSON object of rule name to prefix, such as {"acme":"acme_live_"}', value);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw invalid("REDACT_PREFIXES", "a JSON object", value);
  return Object.entries(parsed).map(([name, prefix]) => {
    if (!/^[a-z0-9_-]{1,40}$/.test(name)) throw invalid("REDACT_PREFIXES", "rule names of 1-40 lowercase letters, digits, _ or -", name);
    if (typeof prefix !== "string" || prefix.length < 3)
      throw invalid("REDACT_PREFIXES", "a prefix of at least 3 characters per rule", String(prefix));
    return { name, prefix };
  });
}

function positive(value: string | undefined, name: string, fallback: number): number {
  const n = integer(value, name, fallback);
  if (n === 0) throw invalid(name, "at least 1", String(value));
  return n;
}

function url(value: string | undefined, name: string): string | null {
  if (value === undefined || value === "") return null;
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) throw invalid(name, "an http(s) URL", value);
  return value;
}

function eventStore(env: NodeJS.ProcessEnv): JetStreamSettings | null {
  const kind = env.EVENT_STORE ?? "files";
  if (kind === "files") return null;
  if (kind !== "jetstream") throw new Error(`EVENT_STORE must be 'files' or 'jetstream', not '${kind}'`);
  const stream = env.NATS_STREAM || DEFAULTS.natsStream;
  // JetStream's own rule for stream names, checked here so a bad one fails at start with its name.
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stream)) throw new Error(`NATS_STREAM must be 1-64 letters, digits, '_' or '-', not '${stream}'`);
  const replicas = integer(env.NATS_REPLICAS, "NATS_REPLICAS", DEFAULTS.natsReplicas);
  if (replicas < 1 || replicas > 5) throw new Error(`NATS_REPLICAS must be from 1 to 5, not '${replicas}'`);
  return { url: env.NATS_URL || DEFAULTS.natsUrl, stream, replicas };
}

// A bad setting is refused with a one-line message (exit 2), never a stack trace. Numbers are written plainly:
// Number() would also read "1e2", "0x10" and " 10 ".
const DECIMAL = /^\d+(?:\.\d+)?$/;
const INTEGER = /^\d+$/;

const invalid = (name: string, expected: string, value: string) =>
  new ScriptlogError("invalid_argument", `${name} must be ${expected}, not '${value.slice(0, 80)}'`, { setting: name });

function onOff(value: string | undefined, name: string): boolean {
  if (value === undefined || value === "" || value === "off") return false;
  if (value === "on") return true;
  throw invalid(name, "on or off", value);
}

function fraction(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!DECIMAL.test(value) || !(n >= 0 && n <= 1)) throw invalid(name, "a number from 0 to 1", value);
  return n;
}

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  if (!INTEGER.test(value) || !Number.isSafeInteger(Number(value))) throw invalid(name, "a non-negative integer", value);
  return Number(value);
}

/** A TCP port, 0 (any free one) to 65535; `name` is how the user gave it (`--port` or PORT). */
export function port(value: string | undefined, name: string): number {
  const n = integer(value, name, DEFAULTS.port);
  if (n > 65535) throw invalid(name, "a port from 0 to 65535", String(value));
  return n;
}
